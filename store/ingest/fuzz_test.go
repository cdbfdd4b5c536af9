package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"genestore/internal/sparse"
)

func memLines(name string, b []byte) *lineReader {
	return &lineReader{r: bufio.NewReader(bytes.NewReader(b)), name: name}
}

// addSeeds adds every file under testdata/{ingest,bad} whose name matches.
func addSeeds(f *testing.F, match func(name string) bool, extra ...any) {
	root := repoRoot(f)
	for _, d := range []string{"ingest", "bad"} {
		filepath.Walk(filepath.Join(root, "testdata", d), func(p string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() || !match(p) || info.Size() > 1<<20 {
				return nil
			}
			b, err := os.ReadFile(p)
			if err == nil {
				if len(b) > 1 && b[0] == 0x1f && b[1] == 0x8b {
					return nil // the parsers under test see decompressed text
				}
				f.Add(append([]any{b}, extra...)...)
			}
			return nil
		})
	}
}

// writeMTX renders a cells × genes CSR as a 10x Matrix Market file.
func writeMTX(x *sparse.CSR) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%%%%MatrixMarket matrix coordinate real general\n%d %d %d\n", x.Cols, x.Rows, x.NNZ())
	for r := 0; r < x.Rows; r++ {
		idx, val := x.Row(r)
		for k, c := range idx {
			fmt.Fprintf(&b, "%d %d %v\n", c+1, r+1, val[k])
		}
	}
	return b.Bytes()
}

func sameCSR(a, b *sparse.CSR) bool {
	if a.Rows != b.Rows || a.Cols != b.Cols || a.NNZ() != b.NNZ() {
		return false
	}
	for i := range a.Indptr {
		if a.Indptr[i] != b.Indptr[i] {
			return false
		}
	}
	for k := range a.Data {
		if a.Indices[k] != b.Indices[k] || a.Data[k] != b.Data[k] {
			return false
		}
	}
	return true
}

// knownError reports whether err wraps one of the package's sentinels (or
// is a context error): every failure must be one of them.
func knownError(err error) bool {
	for _, s := range []error{ErrFormat, ErrDuplicate, ErrValue, ErrMismatch, ErrEmpty, ErrLimit} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

var fuzzLimits = mtxLimits{genes: -1, cells: -1, maxNNZ: 1 << 16, maxDim: 1 << 16}

func FuzzMTX(f *testing.F) {
	addSeeds(f, func(p string) bool { return strings.Contains(p, "matrix.mtx") })
	f.Add(mtxText("integer", "5 4 8", tinyEntryLines()...))
	f.Add(mtxText("real", "3 3 2", "1 1 1.5e3", "3 2 0.25"))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, _, err := parseMTX(context.Background(), memLines("fuzz.mtx", data), fuzzLimits)
		if err != nil {
			if !knownError(err) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			if !strings.Contains(err.Error(), "fuzz.mtx") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if err := x.Validate(); err != nil {
			t.Fatalf("invalid CSR: %v", err)
		}
		// Round trip: write it back and read it again.
		y, _, err := parseMTX(context.Background(), memLines("again.mtx", writeMTX(x)), fuzzLimits)
		if err != nil {
			t.Fatalf("re-reading written matrix: %v", err)
		}
		if !sameCSR(x, y) {
			t.Fatal("round trip changed the matrix")
		}
	})
}

func FuzzCSV(f *testing.F) {
	addSeeds(f, func(p string) bool { return strings.HasSuffix(p, ".csv") || strings.HasSuffix(p, ".tsv") }, false)
	f.Add(tinyCSV(",", false), false)
	f.Add(tinyCSV(",", true), true)
	f.Fuzz(func(t *testing.T, data []byte, transpose bool) {
		opts := Options{Transpose: transpose, MaxNNZ: 1 << 16, MaxDim: 1 << 16}
		ds, err := parseCSV(context.Background(), memLines("fuzz.csv", data), ',', opts)
		if err != nil {
			if !knownError(err) || !strings.Contains(err.Error(), "fuzz.csv") {
				t.Fatalf("bad error: %v", err)
			}
			return
		}
		if err := ds.X.Validate(); err != nil {
			t.Fatalf("invalid CSR: %v", err)
		}
		if len(ds.Barcodes) != ds.X.Rows || len(ds.Genes) != ds.X.Cols {
			t.Fatalf("%d barcodes, %d genes for %d×%d", len(ds.Barcodes), len(ds.Genes), ds.X.Rows, ds.X.Cols)
		}
	})
}

func FuzzObs(f *testing.F) {
	addSeeds(f, func(p string) bool { return strings.Contains(filepath.Base(p), "obs") })
	f.Add([]byte(tinyObsCSV))
	f.Fuzz(func(t *testing.T, data []byte) {
		cols, err := parseObs(memLines("fuzz_obs.csv", data), ',', tinyBarcodes)
		if err != nil {
			if !knownError(err) || !strings.Contains(err.Error(), "fuzz_obs.csv") {
				t.Fatalf("bad error: %v", err)
			}
			return
		}
		for _, c := range cols {
			if len(c.Values) != len(tinyBarcodes) {
				t.Fatalf("column %q has %d values", c.Name, len(c.Values))
			}
		}
	})
}

// fuzzHDF5 writes data to a temp file and reads it as format.
func fuzzHDF5(f *testing.F, ext, format string) {
	addSeeds(f, func(p string) bool { return strings.HasSuffix(p, ext) })
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "fuzz"+ext)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ds, err := Read(context.Background(), p, Options{Format: format, MaxNNZ: 1 << 20, MaxDim: 1 << 20})
		if err != nil {
			if !knownError(err) || !strings.Contains(err.Error(), "fuzz"+ext) {
				t.Fatalf("bad error: %v", err)
			}
			return
		}
		if err := ds.X.Validate(); err != nil {
			t.Fatalf("invalid CSR: %v", err)
		}
	})
}

func FuzzH5AD(f *testing.F)   { fuzzHDF5(f, ".h5ad", FormatH5AD) }
func FuzzTenxH5(f *testing.F) { fuzzHDF5(f, ".h5", FormatTenxH5) }

// FuzzTenxTSV: barcodes and features files, read from disk as Read does,
// never panic, and every error has a sentinel and names the file.
func FuzzTenxTSV(f *testing.F) {
	f.Add(linesText(tinyBarcodes))
	f.Add(featuresText(tinyIDs, tinySymbols, true))
	f.Add(featuresText(tinyIDs, tinySymbols, false))
	f.Add([]byte("\"AAAC-1\nx\"y\t\"z\"\"\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "in.tsv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		check := func(err error) {
			if err != nil && (!knownError(err) || !strings.Contains(err.Error(), "in.tsv")) {
				t.Fatalf("error without a sentinel or the file's name: %v", err)
			}
		}
		bc, err := readBarcodes(path, sha256.New())
		check(err)
		if err == nil && slices.Contains(bc, "") {
			t.Fatal("an empty barcode read")
		}
		genes, types, err := readFeatures(path, sha256.New())
		check(err)
		if err == nil && len(genes) != len(types) {
			t.Fatalf("%d genes, %d types", len(genes), len(types))
		}
	})
}
