package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/scigolib/hdf5"

	"genestore/internal/cputime"
)

// Simulated benchmark matrix: 100,000 cells × 20,000 genes, 100 nonzero
// counts per cell (10M nonzeros), generated once into os.TempDir() and
// reused by name.
const (
	benchCells    = 100_000
	benchGenes    = 20_000
	benchPerCell  = 100
	benchNNZ      = benchCells * benchPerCell
	benchDirName  = "genestore-ingest-bench-10M-v2"
	benchH5ADName = "genestore-ingest-bench-10M-v3.h5ad"
)

// benchEntries calls fn for every entry (gene, cell, count), 0-based,
// sorted by cell then gene, reproducibly.
func benchEntries(fn func(gene, cell int, v int)) {
	rng := rand.New(rand.NewSource(42))
	genes := make([]int, 0, benchPerCell)
	for c := 0; c < benchCells; c++ {
		genes = genes[:0]
		// benchPerCell distinct sorted genes: one in each stride of the gene range.
		const stride = benchGenes / benchPerCell
		for k := 0; k < benchPerCell; k++ {
			genes = append(genes, k*stride+rng.Intn(stride))
		}
		for _, g := range genes {
			fn(g, c, 1+int(rng.ExpFloat64()*4))
		}
	}
}

func benchMTXDir(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), benchDirName)
	if _, err := os.Stat(filepath.Join(dir, "done")); err == nil {
		return dir
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	write := func(name string, body func(w *bufio.Writer)) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		z := kgzip.NewWriter(f)
		w := bufio.NewWriterSize(z, 1<<20)
		body(w)
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		z.Close()
		f.Close()
	}
	write("barcodes.tsv.gz", func(w *bufio.Writer) {
		for c := 0; c < benchCells; c++ {
			fmt.Fprintf(w, "CELL%07d-1\n", c)
		}
	})
	write("features.tsv.gz", func(w *bufio.Writer) {
		for g := 0; g < benchGenes; g++ {
			fmt.Fprintf(w, "ENSG%011d\tGENE%d\tGene Expression\n", g, g)
		}
	})
	write("matrix.mtx.gz", func(w *bufio.Writer) {
		fmt.Fprintf(w, "%%%%MatrixMarket matrix coordinate integer general\n%d %d %d\n", benchGenes, benchCells, benchNNZ)
		var buf []byte
		benchEntries(func(g, c, v int) {
			buf = strconv.AppendInt(buf[:0], int64(g+1), 10)
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, int64(c+1), 10)
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, int64(v), 10)
			buf = append(buf, '\n')
			w.Write(buf)
		})
	})
	os.WriteFile(filepath.Join(dir, "done"), nil, 0o644)
	return dir
}

// benchRead reads path b.N times and reports nonzeros per wall and CPU second.
func benchRead(b *testing.B, path string, opts Options) {
	b.ReportAllocs()
	ctx := context.Background()
	cpu0 := cputime.Seconds()
	b.ResetTimer()
	var nnz int
	for i := 0; i < b.N; i++ {
		ds, err := Read(ctx, path, opts)
		if err != nil {
			b.Fatal(err)
		}
		nnz = ds.X.NNZ()
	}
	b.StopTimer()
	cpu := cputime.Seconds() - cpu0
	b.ReportMetric(float64(nnz)*float64(b.N)/b.Elapsed().Seconds(), "nnz/s")
	if cpu > 0 {
		b.ReportMetric(float64(nnz)*float64(b.N)/cpu, "nnz/cpu-s")
	}
}

// BenchmarkReadMTXGz reads the 10M-nonzero 10x folder (gzip, klauspost
// decoder). go test ./store/ingest -run '^$' -bench ReadMTXGz -benchtime 3x
func BenchmarkReadMTXGz(b *testing.B) {
	dir := benchMTXDir(b)
	b.Run("klauspost", func(b *testing.B) { benchRead(b, dir, Options{}) })
	b.Run("klauspost-sync", func(b *testing.B) {
		syncGzip = true
		defer func() { syncGzip = false }()
		benchRead(b, dir, Options{})
	})
	b.Run("stdlib", func(b *testing.B) {
		useStdGzip = true
		defer func() { useStdGzip = false }()
		benchRead(b, dir, Options{})
	})
}

// BenchmarkParseMTX parses the decompressed matrix from memory: the byte
// parser and the CSR build alone, without gzip, hashing or file reads.
func BenchmarkParseMTX(b *testing.B) {
	dir := benchMTXDir(b)
	f, err := os.Open(filepath.Join(dir, "matrix.mtx.gz"))
	if err != nil {
		b.Fatal(err)
	}
	z, err := kgzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := readAllBytes(z)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	cpu0 := cputime.Seconds()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x, _, err := parseMTX(context.Background(), memLines("bench.mtx", raw), mtxLimits{genes: -1, cells: -1, maxNNZ: DefaultMaxNNZ, maxDim: DefaultMaxDim})
		if err != nil || x.NNZ() != benchNNZ {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(benchNNZ)*float64(b.N)/b.Elapsed().Seconds(), "nnz/s")
	b.ReportMetric(float64(benchNNZ)*float64(b.N)/(cputime.Seconds()-cpu0), "nnz/cpu-s")
}

func readAllBytes(r interface{ Read([]byte) (int, error) }) ([]byte, error) {
	var out []byte
	buf := make([]byte, 1<<20)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			if err.Error() == "EOF" {
				return out, nil
			}
			return out, err
		}
	}
}

// benchH5AD writes the benchmark matrix as an AnnData CSR (chunked, 256k
// elements per chunk) with the scigolib/hdf5 writer. Uncompressed: files
// that writer gzips (WithGZIPCompression) fail to read back with its own
// reader ("unsupported filter ID: 0") in v0.14.0. BenchmarkReadH5ADReal
// covers gzip-compressed data written by anndata.
func benchH5AD(b *testing.B) string {
	b.Helper()
	p := filepath.Join(os.TempDir(), benchH5ADName)
	if _, err := os.Stat(p + ".done"); err == nil {
		return p
	}
	data := make([]float32, 0, benchNNZ)
	indices := make([]int32, 0, benchNNZ)
	indptr := make([]int64, benchCells+1)
	benchEntries(func(g, c, v int) {
		data = append(data, float32(v))
		indices = append(indices, int32(g))
		indptr[c+1] = int64(len(data))
	})
	fw, err := hdf5.CreateForWrite(p, hdf5.CreateTruncate)
	if err != nil {
		b.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	g, err := fw.CreateGroup("/X")
	must(err)
	must(g.WriteAttribute("encoding-type", "csr_matrix"))
	must(g.WriteAttribute("shape", []int64{benchCells, benchGenes}))
	chunk := []uint64{1 << 18}
	for _, d := range []struct {
		name string
		dt   hdf5.Datatype
		n    int
		v    any
	}{{"/X/data", hdf5.Float32, len(data), data}, {"/X/indices", hdf5.Int32, len(indices), indices}, {"/X/indptr", hdf5.Int64, len(indptr), indptr}} {
		ch := []uint64{min(chunk[0], uint64(d.n))}
		ds, err := fw.CreateDataset(d.name, d.dt, []uint64{uint64(d.n)}, hdf5.WithChunkDims(ch))
		must(err)
		must(ds.Write(d.v))
	}
	bc := make([]string, benchCells)
	for c := range bc {
		bc[c] = fmt.Sprintf("CELL%07d-1", c)
	}
	gn := make([]string, benchGenes)
	for i := range gn {
		gn[i] = fmt.Sprintf("GENE%d", i)
	}
	for _, fr := range []struct {
		name string
		idx  []string
	}{{"/obs", bc}, {"/var", gn}} {
		g, err := fw.CreateGroup(fr.name)
		must(err)
		must(g.WriteAttribute("_index", "_index"))
		ds, err := fw.CreateDataset(fr.name+"/_index", hdf5.VLenString, []uint64{uint64(len(fr.idx))})
		must(err)
		must(ds.Write(fr.idx))
	}
	must(fw.Close())
	os.WriteFile(p+".done", nil, 0o644)
	return p
}

// BenchmarkReadH5AD reads the same 10M-nonzero matrix from an h5ad.
func BenchmarkReadH5AD(b *testing.B) {
	benchRead(b, benchH5AD(b), Options{})
}

// BenchmarkReadCSV reads a dense 2,000 genes × 2,000 cells CSV (10% nonzero).
func BenchmarkReadCSV(b *testing.B) {
	p := filepath.Join(os.TempDir(), "genestore-ingest-bench-dense-v1.csv")
	if _, err := os.Stat(p); err != nil {
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		rng := rand.New(rand.NewSource(7))
		w.WriteString("gene")
		for c := 0; c < 2000; c++ {
			fmt.Fprintf(w, ",C%d", c)
		}
		w.WriteByte('\n')
		for g := 0; g < 2000; g++ {
			fmt.Fprintf(w, "G%d", g)
			for c := 0; c < 2000; c++ {
				if rng.Intn(10) == 0 {
					fmt.Fprintf(w, ",%.3f", rng.Float64()*10)
				} else {
					w.WriteString(",0")
				}
			}
			w.WriteByte('\n')
		}
		w.Flush()
		f.Close()
	}
	st, _ := os.Stat(p)
	b.SetBytes(st.Size())
	cpu0 := cputime.Seconds()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Read(context.Background(), p, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(4e6*float64(b.N)/b.Elapsed().Seconds(), "values/s")
	b.ReportMetric(4e6*float64(b.N)/(cputime.Seconds()-cpu0), "values/cpu-s")
}

// BenchmarkReadH5ADReal reads the hsmm_myoblast h5ad (271 × 47,192, 2.0M
// nonzeros, gzip, written by anndata 0.8) from ../shared/data.
func BenchmarkReadH5ADReal(b *testing.B) {
	benchRead(b, filepath.Join(sharedData(b), "hsmm_myoblast", "hsmm_myoblast.h5ad"), Options{})
}

// BenchmarkGunzip decodes the 10M-nonzero matrix.mtx.gz (45 MB → ~150 MB)
// with each decoder, to decide which one Read uses.
func BenchmarkGunzip(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join(benchMTXDir(b), "matrix.mtx.gz"))
	if err != nil {
		b.Fatal(err)
	}
	for _, std := range []bool{false, true} {
		name := "klauspost"
		if std {
			name = "stdlib"
		}
		b.Run(name, func(b *testing.B) {
			buf := make([]byte, 1<<20)
			var total int64
			cpu0 := cputime.Seconds()
			for i := 0; i < b.N; i++ {
				var r interface{ Read([]byte) (int, error) }
				if std {
					z, err := gzip.NewReader(bytes.NewReader(raw))
					if err != nil {
						b.Fatal(err)
					}
					r = z
				} else {
					z, err := kgzip.NewReader(bytes.NewReader(raw))
					if err != nil {
						b.Fatal(err)
					}
					r = z
				}
				for {
					n, err := r.Read(buf)
					total += int64(n)
					if err != nil {
						break
					}
				}
			}
			b.ReportMetric(float64(total)/1e6/b.Elapsed().Seconds(), "MB/s")
			b.ReportMetric(float64(total)/1e6/(cputime.Seconds()-cpu0), "MB/cpu-s")
		})
	}
}
