package sim

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"genestore/internal/sparse"
)

// readGz returns the decompressed content of a gzip file, read with the
// standard library (an implementation independent of the writer's).
func readGz(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

func lines(b []byte) []string {
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// readMTX parses a genes × cells coordinate integer Matrix Market file and
// returns it as a cells × genes CSR, checking the header and the order of
// entries (by cell, then gene).
func readMTX(t *testing.T, path string) *sparse.CSR {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(readGz(t, path)))
	sc.Buffer(nil, 1<<20)
	if !sc.Scan() || sc.Text() != "%%MatrixMarket matrix coordinate integer general" {
		t.Fatalf("%s: bad banner %q", path, sc.Text())
	}
	for sc.Scan() && strings.HasPrefix(sc.Text(), "%") {
	}
	var genes, cells, nnz int
	if _, err := fmt.Sscan(sc.Text(), &genes, &cells, &nnz); err != nil {
		t.Fatalf("%s: size line %q: %v", path, sc.Text(), err)
	}
	X := &sparse.CSR{Rows: cells, Cols: genes, Indptr: make([]int64, cells+1)}
	prevCell, prevGene := 0, 0
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			t.Fatalf("%s: entry %q", path, sc.Text())
		}
		g, err1 := strconv.Atoi(f[0])
		c, err2 := strconv.Atoi(f[1])
		v, err3 := strconv.Atoi(f[2])
		if err := errors.Join(err1, err2, err3); err != nil || g < 1 || g > genes || c < 1 || c > cells || v < 1 {
			t.Fatalf("%s: bad entry %q (%v)", path, sc.Text(), err)
		}
		if c < prevCell || (c == prevCell && g <= prevGene) {
			t.Fatalf("%s: entry %q out of order", path, sc.Text())
		}
		prevCell, prevGene = c, g
		X.Indptr[c]++
		X.Indices = append(X.Indices, int32(g-1))
		X.Data = append(X.Data, float32(v))
	}
	for i := range cells {
		X.Indptr[i+1] += X.Indptr[i]
	}
	if X.NNZ() != nnz {
		t.Fatalf("%s: size line says %d entries, read %d", path, nnz, X.NNZ())
	}
	return X
}

// dirBytes returns the content of every file under dir by relative path.
func dirBytes(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteDirMatchesGenerate(t *testing.T) {
	cfg := smallConfig()
	cfg.Cells = 1100 // two blocks, the second partial
	cfg.Datasets = 2
	cfg.DropDatasetTypes = 1
	t.Run("rna", func(t *testing.T) { checkWriteDirMatchesGenerate(t, cfg) })
	cfg.Datasets, cfg.Spatial, cfg.OtherSpecies = 3, 1, 1
	t.Run("spatial and second species", func(t *testing.T) { checkWriteDirMatchesGenerate(t, cfg) })
}

func checkWriteDirMatchesGenerate(t *testing.T, cfg Config) {
	dir := t.TempDir()
	var calls, last int
	err := WriteDir(context.Background(), cfg, dir, func(done, total int) {
		calls++
		if done <= last || total != cfg.Datasets*cfg.Cells {
			t.Errorf("progress(%d, %d) after %d", done, total, last)
		}
		last = done
	})
	if err != nil {
		t.Fatal(err)
	}
	if last != cfg.Datasets*cfg.Cells || calls != cfg.Datasets*2 {
		t.Errorf("progress ended at %d after %d calls", last, calls)
	}
	s := mustGenerate(t, cfg)
	for _, d := range s.Datasets {
		sub := filepath.Join(dir, d.Name)
		X := readMTX(t, filepath.Join(sub, "matrix.mtx.gz"))
		if !reflect.DeepEqual(X, d.X) {
			t.Errorf("%s: matrix.mtx.gz differs from Generate's counts", d.Name)
		}
		feats := lines(readGz(t, filepath.Join(sub, "features.tsv.gz")))
		if len(feats) != len(d.Genes) {
			t.Fatalf("%s: %d features, want %d", d.Name, len(feats), len(d.Genes))
		}
		for j, l := range feats {
			if want := d.Genes[j] + "\t" + d.Genes[j] + "\tGene Expression"; l != want {
				t.Fatalf("%s: feature %d = %q, want %q", d.Name, j, l, want)
			}
		}
		if bcs := lines(readGz(t, filepath.Join(sub, "barcodes.tsv.gz"))); !reflect.DeepEqual(bcs, d.Barcodes) {
			t.Errorf("%s: barcodes.tsv.gz differs from Generate's barcodes", d.Name)
		}
		obs, err := os.ReadFile(filepath.Join(sub, "obs.csv"))
		if err != nil {
			t.Fatal(err)
		}
		ol := lines(obs)
		header := "barcode,cell_type,batch"
		if d.Coords != nil {
			header += ",x,y"
		}
		if ol[0] != header || len(ol) != cfg.Cells+1 {
			t.Fatalf("%s: obs.csv header %q, %d lines", d.Name, ol[0], len(ol))
		}
		for i, l := range ol[1:] {
			want := d.Barcodes[i] + "," + d.CellTypes[i] + "," + d.Batches[i]
			if d.Coords != nil {
				want += fmt.Sprintf(",%g,%g", d.Coords[i][0], d.Coords[i][1])
			}
			if l != want {
				t.Fatalf("%s: obs line %d = %q, want %q", d.Name, i+1, l, want)
			}
		}
		// Per-dataset truth.
		tl := lines(mustRead(t, filepath.Join(dir, "truth", d.Name+"_gene_modules.tsv")))
		for j, l := range tl[1:] {
			if want := d.Genes[j] + "\t" + moduleField(s.Truth.DatasetModule[d.Name][j]); l != want {
				t.Fatalf("%s_gene_modules.tsv line %d = %q, want %q", d.Name, j+2, l, want)
			}
		}
	}
	gm := lines(mustRead(t, filepath.Join(dir, "truth", "gene_modules.tsv")))
	if gm[0] != "gene\tmodule" || len(gm) != cfg.Genes+1 {
		t.Fatalf("gene_modules.tsv: header %q, %d lines", gm[0], len(gm))
	}
	for g, l := range gm[1:] {
		if want := s.Truth.Genes[g] + "\t" + moduleField(s.Truth.Module[g]); l != want {
			t.Fatalf("gene_modules.tsv line %d = %q, want %q", g+2, l, want)
		}
	}
	gmt := lines(mustRead(t, filepath.Join(dir, "truth", "gene_sets.gmt")))
	if len(gmt) != cfg.Modules {
		t.Fatalf("gene_sets.gmt: %d lines, want %d", len(gmt), cfg.Modules)
	}
	for m, l := range gmt {
		f := strings.Split(l, "\t")
		if f[0] != ModuleName(m, cfg.Modules) || f[1] != fmt.Sprintf("simulated module %d", m+1) {
			t.Fatalf("gene_sets.gmt line %d starts %q %q", m+1, f[0], f[1])
		}
		for _, g := range f[2:] {
			if s.Truth.Module[geneIndex(t, s.Truth.Genes, g)] != m {
				t.Fatalf("gene_sets.gmt: %s listed in module %d", g, m+1)
			}
		}
	}
	if s.Truth.Orthologs != nil {
		ol := lines(mustRead(t, filepath.Join(dir, "truth", "orthologs.tsv")))
		if ol[0] != SpeciesHome+"\t"+SpeciesOther || len(ol) != len(s.Truth.Orthologs)+1 {
			t.Fatalf("orthologs.tsv: header %q, %d lines, want %d pairs", ol[0], len(ol), len(s.Truth.Orthologs))
		}
		for i, p := range s.Truth.Orthologs {
			if ol[i+1] != p[0]+"\t"+p[1] {
				t.Fatalf("orthologs.tsv line %d = %q, want %v", i+2, ol[i+1], p)
			}
		}
	}
	for _, name := range []string{"cell_types.tsv", "batch_genes.tsv", "config.json"} {
		if len(mustRead(t, filepath.Join(dir, "truth", name))) == 0 {
			t.Errorf("truth/%s is empty", name)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func moduleField(m int) string {
	if m < 0 {
		return ""
	}
	return strconv.Itoa(m + 1)
}

func geneIndex(t *testing.T, genes []string, g string) int {
	for i, n := range genes {
		if n == g {
			return i
		}
	}
	t.Fatalf("unknown gene %q", g)
	return -1
}

func TestWriteDirDeterministic(t *testing.T) {
	cfg := smallConfig()
	cfg.Cells = 1100
	cfg.Datasets = 2
	a, b := t.TempDir(), t.TempDir()
	if err := WriteDir(context.Background(), cfg, a, nil); err != nil {
		t.Fatal(err)
	}
	prev := runtime.GOMAXPROCS(1)
	err := WriteDir(context.Background(), cfg, b, nil)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	fa, fb := dirBytes(t, a), dirBytes(t, b)
	if len(fa) != 2*4+cfg.Datasets+5 {
		t.Errorf("wrote %d files: %v", len(fa), keys(fa))
	}
	for name, ba := range fa {
		if !bytes.Equal(ba, fb[name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	cfg.Seed++
	c := t.TempDir()
	if err := WriteDir(context.Background(), cfg, c, nil); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(fa["D1/matrix.mtx.gz"], dirBytes(t, c)["D1/matrix.mtx.gz"]) {
		t.Error("different seeds wrote the same matrix")
	}
}

func keys(m map[string][]byte) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}

func TestWriteDirCancelled(t *testing.T) {
	cfg := smallConfig()
	cfg.Cells = 5000
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	err := WriteDir(ctx, cfg, dir, func(done, total int) {
		if done >= 2048 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteDir(cancelled) = %v, want context.Canceled", err)
	}
	// No file of the cancelled dataset may look complete.
	files := dirBytes(t, dir)
	for name := range files {
		t.Errorf("cancelled run left %s", name)
	}
}

func TestWriteDirErrors(t *testing.T) {
	bad := DefaultConfig()
	bad.Genes = 0
	if err := WriteDir(context.Background(), bad, t.TempDir(), nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("WriteDir(bad config) = %v, want ErrInvalidConfig", err)
	}
	// A regular file where the output directory should be.
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(context.Background(), smallConfig(), f, nil); !errors.Is(err, ErrWrite) {
		t.Errorf("WriteDir(into a file) = %v, want ErrWrite", err)
	}
}

func TestStoredGzipMember(t *testing.T) {
	for _, n := range []int{0, 1, 256, 65535} {
		data := bytes.Repeat([]byte("x"), n)
		member := storedGzipMember(data)
		if len(member) != n+23 {
			t.Errorf("member of %d bytes is %d long, want %d", n, len(member), n+23)
		}
		zr, err := gzip.NewReader(bytes.NewReader(member))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("member of %d bytes decodes to %d bytes, %v", n, len(got), err)
		}
	}
}

// TestWriteDirFailedRenameLeavesNoMatrix: a dataset whose last files cannot
// be put in place (here obs.csv, blocked by a folder of that name) must not
// be left with its matrix in place, the file ingest takes as the folder's
// mark of completeness: the matrix is renamed last.
func TestWriteDirFailedRenameLeavesNoMatrix(t *testing.T) {
	cfg := smallConfig()
	cfg.Datasets = 1
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "D1", "obs.csv", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(context.Background(), cfg, dir, nil); !errors.Is(err, ErrWrite) {
		t.Fatalf("WriteDir = %v, want ErrWrite", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "D1", "matrix.mtx.gz")); err == nil {
		t.Error("a dataset whose obs.csv was not written has its matrix.mtx.gz in place")
	}
}

// TestWriteGRNDirFailedWriteLeavesNoMatrix: WriteGRNDir stops at the first
// file it cannot write, and writes a view's matrix after its other files,
// so a view without obs.csv (pseudotime) has no matrix.mtx.gz either.
func TestWriteGRNDirFailedWriteLeavesNoMatrix(t *testing.T) {
	c := DefaultGRNConfig()
	c.Views, c.Cells, c.Genes, c.Regulators = 1, 200, 40, 6
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "D1", "obs.csv.tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteGRNDir(context.Background(), c, dir); !errors.Is(err, ErrWrite) {
		t.Fatalf("WriteGRNDir = %v, want ErrWrite", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "D1", "matrix.mtx.gz")); err == nil {
		t.Error("a view whose obs.csv was not written has its matrix.mtx.gz in place")
	}
}
