package ingest

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// update regenerates testdata/ingest and testdata/bad:
//
//	go test ./store/ingest -run TestGenerateFixtures -update
var update = flag.Bool("update", false, "regenerate testdata/ingest and testdata/bad fixtures")

// The tiny dataset every good fixture holds: 4 cells × 5 genes, 8 counts.
// Gene 4 repeats gene 1's symbol with another id (allowed).
var (
	tinyBarcodes = []string{"AAAC-1", "AAAG-1", "AAAT-1", "AACA-1"}
	tinyIDs      = []string{"ENSG1", "ENSG2", "ENSG3", "ENSG4", "ENSG5"}
	tinySymbols  = []string{"GeneA", "GeneB", "GeneC", "GeneA", "GeneE"}
	// tinyEntries are (gene, cell, value), 1-based, sorted by cell as 10x writes them.
	tinyEntries = [][3]int{{1, 1, 3}, {3, 1, 1}, {2, 2, 5}, {4, 2, 2}, {5, 3, 7}, {1, 4, 1}, {2, 4, 1}, {5, 4, 4}}
	// tinyDense is cells × genes.
	tinyDense = func() [][]float32 {
		d := make([][]float32, 4)
		for i := range d {
			d[i] = make([]float32, 5)
		}
		for _, e := range tinyEntries {
			d[e[1]-1][e[0]-1] = float32(e[2])
		}
		return d
	}()
	tinyObsCSV = "barcode,cell_type,n_counts\nAAAC-1,T cell,4\nAAAG-1,\"B cell, naive\",7\nAACA-1,T cell,6\n"
)

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Header.ModTime = w.Header.ModTime.UTC() // zero time: reproducible bytes
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// mtxText renders a Matrix Market file from a banner field, a size line
// and entry lines.
func mtxText(field, size string, lines ...string) []byte {
	return []byte("%%MatrixMarket matrix coordinate " + field + " general\n%metadata_json: {}\n" + size + "\n" + strings.Join(lines, "\n") + "\n")
}

func tinyEntryLines() []string {
	out := make([]string, len(tinyEntries))
	for i, e := range tinyEntries {
		out[i] = fmt.Sprintf("%d %d %d", e[0], e[1], e[2])
	}
	return out
}

func featuresText(ids, syms []string, typed bool) []byte {
	var b strings.Builder
	for i := range ids {
		b.WriteString(ids[i] + "\t" + syms[i])
		if typed {
			b.WriteString("\tGene Expression")
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

func linesText(s []string) []byte { return []byte(strings.Join(s, "\n") + "\n") }

// mtxDir describes a 10x folder; nil parts are omitted.
type mtxDir struct {
	matrix, features, barcodes, obs []byte
	gzipped                         bool
	featuresName                    string
	extra                           map[string][]byte // more files, written as they are
}

func tinyMTX() mtxDir {
	return mtxDir{
		matrix:   mtxText("integer", "5 4 8", tinyEntryLines()...),
		features: featuresText(tinyIDs, tinySymbols, true),
		barcodes: linesText(tinyBarcodes),
		gzipped:  true,
	}
}

func (m mtxDir) write(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	put := func(name string, b []byte) {
		if b == nil {
			return
		}
		if m.gzipped && name != "obs.csv" {
			name += ".gz"
			b = gz(b)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fn := m.featuresName
	if fn == "" {
		fn = "features.tsv"
	}
	put("matrix.mtx", m.matrix)
	put(fn, m.features)
	put("barcodes.tsv", m.barcodes)
	put("obs.csv", m.obs)
	for name, b := range m.extra {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// tinyCSV renders the tiny matrix as a dense table: genes × cells, or cells
// × genes when transposed.
func tinyCSV(sep string, transposed bool) []byte {
	var b strings.Builder
	if transposed {
		b.WriteString("cell" + sep + strings.Join(tinyIDs, sep) + "\n")
		for c, bc := range tinyBarcodes {
			b.WriteString(bc)
			for g := range tinyIDs {
				fmt.Fprintf(&b, "%s%g", sep, tinyDense[c][g])
			}
			b.WriteByte('\n')
		}
		return []byte(b.String())
	}
	b.WriteString("gene" + sep + strings.Join(tinyBarcodes, sep) + "\n")
	for g, id := range tinyIDs {
		b.WriteString(id)
		for c := range tinyBarcodes {
			fmt.Fprintf(&b, "%s%g", sep, tinyDense[c][g])
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// h5adSpec describes an AnnData file; the zero value plus tinyH5AD() is the
// tiny dataset as CSR.
type h5adSpec struct {
	spatial     []float64 // obsm["spatial"], cells × 2 row-major; nil = none
	layout      string    // "csr", "csc", "dense", "none" (no X), "strings", "1d"
	encoding    string    // overrides the X encoding-type
	noShape     bool
	shape       []int64
	data        []float32
	indices     []int32
	indptr      []int32
	layerCounts bool // X is scaled, layers/counts holds the counts
	barcodes    []string
	ids         []string
	noObs       bool
	catCodes    []int8
	floatIdx    bool
	legacyCats  bool // anndata 0.7: obs/cell_type holds codes, obs/__categories/cell_type the labels
}

func tinyH5AD() h5adSpec {
	s := h5adSpec{layout: "csr", barcodes: tinyBarcodes, ids: tinyIDs, catCodes: []int8{0, 1, -1, 0}}
	s.data, s.indices, s.indptr = tinyCSR(false)
	return s
}

// tinyCSR returns the tiny matrix as CSR (cells × genes) or, with csc, as
// CSC (its transpose's CSR).
func tinyCSR(csc bool) ([]float32, []int32, []int32) {
	var data []float32
	var idx, ptr []int32
	ptr = append(ptr, 0)
	outer, inner := 4, 5
	if csc {
		outer, inner = 5, 4
	}
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			var v float32
			if csc {
				v = tinyDense[i][o]
			} else {
				v = tinyDense[o][i]
			}
			if v != 0 {
				data = append(data, v)
				idx = append(idx, int32(i))
			}
		}
		ptr = append(ptr, int32(len(data)))
	}
	return data, idx, ptr
}

func (s h5adSpec) write(t *testing.T, path string) {
	t.Helper()
	w := newH5W(path)
	shape := s.shape
	if shape == nil {
		shape = []int64{int64(len(tinyBarcodes)), int64(len(tinyIDs))}
	}
	xp := "/X"
	writeSparse := func(p, enc string, data []float32) {
		attrs := []any{"encoding-type", enc, "encoding-version", "0.1.0"}
		if !s.noShape {
			attrs = append(attrs, "shape", shape)
		}
		w.group(p, attrs...)
		w.ds(p+"/data", data, nil)
		if s.floatIdx {
			f := make([]float32, len(s.indices))
			for i, v := range s.indices {
				f[i] = float32(v)
			}
			w.ds(p+"/indices", f, nil)
		} else {
			w.ds(p+"/indices", s.indices, nil)
		}
		w.ds(p+"/indptr", s.indptr, nil)
	}
	data := s.data
	if s.layerCounts {
		scaled := make([]float32, len(data))
		for i, v := range data {
			scaled[i] = v / 4
		}
		writeSparse(xp, "csr_matrix", scaled)
		w.group("/layers", "encoding-type", "dict")
		xp = "/layers/counts"
	}
	enc := s.encoding
	switch s.layout {
	case "csr":
		if enc == "" {
			enc = "csr_matrix"
		}
		writeSparse(xp, enc, data)
	case "csc":
		if enc == "" {
			enc = "csc_matrix"
		}
		writeSparse(xp, enc, data)
	case "dense":
		flat := make([]float32, 0, 20)
		for _, row := range tinyDense {
			flat = append(flat, row...)
		}
		w.ds(xp, flat, []uint64{4, 5}, "encoding-type", "array")
	case "strings":
		w.ds(xp, []string{"a", "b"}, nil)
	case "1d":
		w.ds(xp, []float32{1, 2, 3}, nil)
	case "none":
	}
	if !s.noObs {
		w.group("/obs", "_index", "_index", "column-order", []string{"cell_type", "n_counts"}, "encoding-type", "dataframe", "encoding-version", "0.2.0")
		w.ds("/obs/_index", s.barcodes, nil)
		if s.legacyCats {
			w.ds("/obs/cell_type", s.catCodes, nil)
			w.group("/obs/__categories")
			w.ds("/obs/__categories/cell_type", []string{"T cell", "B cell, naive"}, nil)
		} else {
			w.group("/obs/cell_type", "encoding-type", "categorical", "encoding-version", "0.2.0")
			w.ds("/obs/cell_type/categories", []string{"T cell", "B cell, naive"}, nil)
			w.ds("/obs/cell_type/codes", s.catCodes, nil)
		}
		w.ds("/obs/n_counts", []float64{4, 7, 7, 6}, nil)
	}
	if s.spatial != nil {
		w.group("/obsm", "encoding-type", "dict", "encoding-version", "0.1.0")
		w.ds("/obsm/spatial", s.spatial, []uint64{uint64(len(s.spatial) / 2), 2})
	}
	w.group("/var", "_index", "_index", "column-order", []string{"gene_ids", "gene_symbols"}, "encoding-type", "dataframe", "encoding-version", "0.2.0")
	uniq := make([]string, len(tinySymbols))
	copy(uniq, tinySymbols)
	uniq[3] = "GeneA-1" // the index is made unique, as anndata does
	w.ds("/var/_index", uniq, nil)
	w.ds("/var/gene_ids", s.ids, nil)
	w.ds("/var/gene_symbols", tinySymbols, nil)
	if err := w.close(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// tenxSpec describes a 10x v3 .h5 file holding the tiny dataset plus one
// antibody feature (dropped on read).
type tenxSpec struct {
	v2       bool // Cell Ranger 2 layout: one genome group, genes + gene_names, no feature types
	noMatrix bool
	shape    []int64
	data     []float32
	strData  bool
	indices  []int32
	indptr   []int32
	barcodes []string
	ids      []string
}

func tinyTenx() tenxSpec {
	s := tenxSpec{shape: []int64{6, 4}, barcodes: tinyBarcodes, ids: append(append([]string{}, tinyIDs...), "AB1")}
	// CSC over cells (= CSR cells × features), with feature 6 (antibody) in cell 2.
	s.data, s.indices, s.indptr = tinyCSR(false)
	var d []float32
	var idx, ptr []int32
	ptr = append(ptr, 0)
	for c := 0; c < 4; c++ {
		for k := s.indptr[c]; k < s.indptr[c+1]; k++ {
			d = append(d, s.data[k])
			idx = append(idx, s.indices[k])
		}
		if c == 1 {
			d = append(d, 9)
			idx = append(idx, 5)
		}
		ptr = append(ptr, int32(len(d)))
	}
	s.data, s.indices, s.indptr = d, idx, ptr
	return s
}

func (s tenxSpec) write(t *testing.T, path string) {
	t.Helper()
	w := newH5W(path)
	if s.noMatrix {
		w.group("/other")
		w.ds("/other/x", []int32{1}, nil)
	} else if s.v2 {
		g := "/GRCh38"
		w.group(g)
		w.ds(g+"/data", s.data, nil)
		w.ds(g+"/indices", s.indices, nil)
		w.ds(g+"/indptr", s.indptr, nil)
		w.ds(g+"/shape", s.shape, nil)
		w.ds(g+"/barcodes", s.barcodes, nil)
		w.ds(g+"/genes", s.ids, nil)
		w.ds(g+"/gene_names", tinySymbols, nil)
	} else {
		w.group("/matrix")
		if s.strData {
			w.ds("/matrix/data", []string{"1"}, nil)
		} else {
			w.ds("/matrix/data", s.data, nil)
		}
		w.ds("/matrix/indices", s.indices, nil)
		w.ds("/matrix/indptr", s.indptr, nil)
		w.ds("/matrix/shape", s.shape, nil)
		w.ds("/matrix/barcodes", fixedStrings(s.barcodes), nil)
		w.group("/matrix/features")
		w.ds("/matrix/features/id", fixedStrings(s.ids), nil)
		names := append(append([]string{}, tinySymbols...), "CD3_TotalSeqB")
		w.ds("/matrix/features/name", fixedStrings(names[:len(s.ids)]), nil)
		types := make([]string, len(s.ids))
		for i := range types {
			types[i] = "Gene Expression"
		}
		types[len(types)-1] = "Antibody Capture"
		w.ds("/matrix/features/feature_type", fixedStrings(types), nil)
	}
	if err := w.close(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeGoodFixtures writes the tiny dataset in every format into dir.
func writeGoodFixtures(t *testing.T, dir string) {
	v3 := tinyMTX()
	// one antibody feature that the reader drops
	v3.matrix = mtxText("integer", "6 4 9", append(tinyEntryLines(), "6 2 9")...)
	v3.features = append(featuresText(tinyIDs, tinySymbols, true), []byte("AB1\tCD3_TotalSeqB\tAntibody Capture\n")...)
	v3.obs = []byte(tinyObsCSV)
	v3.write(t, filepath.Join(dir, "tiny_v3"))
	// v2: plain text, genes.tsv with two columns, entries out of order.
	lines := tinyEntryLines()
	for i, j := 0, len(lines)-1; i < j; i, j = i+1, j-1 {
		lines[i], lines[j] = lines[j], lines[i]
	}
	v2 := mtxDir{matrix: mtxText("integer", "5 4 8", lines...), features: featuresText(tinyIDs, tinySymbols, false),
		barcodes: linesText(tinyBarcodes), featuresName: "genes.tsv"}
	v2.write(t, filepath.Join(dir, "tiny_v2"))
	writeFile(t, filepath.Join(dir, "tiny_genes_by_cells.csv"), tinyCSV(",", false))
	writeFile(t, filepath.Join(dir, "tiny_cells_by_genes.tsv.gz"), gz(tinyCSV("\t", true)))
	writeFile(t, filepath.Join(dir, "tiny_obs.csv"), []byte(tinyObsCSV))
	csr := tinyH5AD()
	csr.write(t, filepath.Join(dir, "tiny_csr.h5ad"))
	csc := tinyH5AD()
	csc.layout = "csc"
	csc.shape = []int64{4, 5}
	csc.data, csc.indices, csc.indptr = tinyCSR(true)
	csc.write(t, filepath.Join(dir, "tiny_csc.h5ad"))
	dense := tinyH5AD()
	dense.layout = "dense"
	dense.write(t, filepath.Join(dir, "tiny_dense.h5ad"))
	layers := tinyH5AD()
	layers.layerCounts = true
	layers.write(t, filepath.Join(dir, "tiny_layers.h5ad"))
	tinyTenx().write(t, filepath.Join(dir, "tiny_v3.h5"))
	v2h5 := tenxSpec{v2: true, shape: []int64{5, 4}, barcodes: tinyBarcodes, ids: tinyIDs}
	v2h5.data, v2h5.indices, v2h5.indptr = tinyCSR(false)
	v2h5.write(t, filepath.Join(dir, "tiny_v2.h5"))
	legacy := tinyH5AD()
	legacy.legacyCats = true
	legacy.write(t, filepath.Join(dir, "tiny_legacy_categories.h5ad"))
}

func TestGenerateFixtures(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate testdata/ingest and testdata/bad")
	}
	root := repoRoot(t)
	good := filepath.Join(root, "testdata", "ingest")
	// Not removed first: tiny_nullable.h5ad and its script are written by
	// h5py, not here, and must survive (files this code writes are replaced).
	writeGoodFixtures(t, good)
	writeFile(t, filepath.Join(good, "README.md"), []byte(fixturesReadme))
	bad := filepath.Join(root, "testdata", "bad")
	os.RemoveAll(bad)
	writeBadCorpus(t, bad)
	writeFile(t, filepath.Join(bad, "README.md"), []byte(badReadme))
}

const fixturesReadme = `# Small good fixtures for store/ingest

Every file here holds the same tiny dataset (4 cells × 5 genes, 8 counts; gene
ENSG4 repeats the symbol of ENSG1) in one format, so tests can check that every
reader yields the same matrix. Generated by Go code, not by hand:

    go test ./store/ingest -run TestGenerateFixtures -update

(store/ingest/gen_test.go; HDF5 files are written with github.com/scigolib/hdf5's
writer, so no Python is needed). Synthetic data: no license restrictions.

- tiny_v3/: 10x v3 folder, gzipped, with an extra "Antibody Capture" feature that
  the reader drops, and obs.csv (one cell missing, a quoted value with a comma).
- tiny_v2/: 10x v2 folder, plain text, genes.tsv, entries in reverse order.
- tiny_genes_by_cells.csv, tiny_cells_by_genes.tsv.gz (read with Transpose).
- tiny_csr.h5ad, tiny_csc.h5ad, tiny_dense.h5ad, tiny_layers.h5ad (X scaled,
  layers/counts holds the counts).
- tiny_legacy_categories.h5ad: anndata 0.7 categorical layout (codes dataset +
  obs/__categories/<column>).
- tiny_v3.h5: 10x v3 HDF5 layout with an antibody feature and fixed-length
  strings, as Cell Ranger writes them; tiny_v2.h5: Cell Ranger 2 layout (one
  genome group, variable-length strings).
- tiny_nullable.h5ad: not the tiny dataset — 3 cells × 3 genes whose obs holds an
  h5py boolean column and anndata ≥ 0.9's nullable-integer, nullable-boolean and
  nullable-string-array columns. The one fixture written with h5py (the Go writer
  cannot write enumerations): ` + "`cd testdata/ingest && /usr/bin/python3\n  tiny_nullable.py`" + `. Checked by TestH5ADBoolAndNullableColumns.
`

func nan() float64 { return math.NaN() }
func inf() float64 { return math.Inf(1) }

const badReadme = `# Malformed-input corpus for store/ingest

Each entry of MANIFEST.tsv is one malformed input (a file, or a 10x folder) with
the format and options to read it with, the text the error must contain, and the
sentinel error it must wrap. Columns (tab-separated, "-" = empty):

    path  format  options  expect  sentinel  note

options are comma-separated key=value pairs: values=counts|normalized|log,
transpose=true, obs=PATH (relative to this folder), maxnnz=N, maxdim=N.
ingest.LoadBadInputs(dir) parses the manifest; store/ingest's TestBadCorpus reads
every entry and checks the sentinel, the text, and that the error names the file.

Generated by Go code (store/ingest/genbad_test.go), never edited by hand:

    go test ./store/ingest -run TestGenerateFixtures -update
`
