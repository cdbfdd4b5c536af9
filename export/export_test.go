package export

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"genestore/internal/sparse"
	"genestore/store"
	"genestore/store/h5ad"
	"genestore/store/ingest"
	"genestore/vocab"
)

// newStore builds a small store through the store API: two datasets that
// share a barcode, obs columns of every kind (a numeric one with a missing
// value, one named "batch" like a batch key, one with a slash), cell,
// gene and consensus vectors, a clustering of each space and a label
// transfer onto the second dataset.
func newStore(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), &store.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a := &ingest.Dataset{
		Format: "mtx", Source: "a/", Values: vocab.Counts,
		X: &sparse.CSR{Rows: 3, Cols: 3, Indptr: []int64{0, 2, 3, 4},
			Indices: []int32{0, 2, 1, 2}, Data: []float32{5, 1, 3, 7}},
		Genes:    []ingest.Gene{{ID: "E1", Symbol: "CD3E"}, {ID: "E2", Symbol: "MS4A1"}, {ID: "E3", Symbol: "LYZ"}},
		Barcodes: []string{"AAAC-1", "AAAG-1", "AACT-1"},
		Obs: []ingest.ObsColumn{
			{Name: "cell_type", Categorical: true, Values: []string{"T", "B", "Mono"}},
			{Name: "batch", Categorical: true, Values: []string{"r1", "r2", "r1"}},
			{Name: "n_counts", Values: []string{"6", "", "7"}},
			{Name: "qc/pass", Categorical: true, Values: []string{"True", "False", "True"}},
		},
	}
	b := &ingest.Dataset{
		Format: "mtx", Source: "b/", Values: vocab.Counts,
		X: &sparse.CSR{Rows: 2, Cols: 2, Indptr: []int64{0, 1, 2},
			Indices: []int32{0, 1}, Data: []float32{2, 4}},
		Genes:    []ingest.Gene{{ID: "E3", Symbol: "LYZ"}, {ID: "E4", Symbol: "NKG7"}},
		Barcodes: []string{"AAAC-1", "TTTT-1"},
		Obs:      []ingest.ObsColumn{{Name: "donor", Categorical: true, Values: []string{"d1", "d2"}}},
	}
	ia, err := db.AddDataset(ctx, "A", a, store.AddOptions{BatchKey: "batch"})
	if err != nil {
		t.Fatal(err)
	}
	ib, err := db.AddDataset(ctx, "B", b, store.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	prov := store.Provenance{Kind: "cell-model", ModelVersion: "vae:test", Params: []byte(`{"latent":2}`), Datasets: []uint32{ia.ID, ib.ID}}
	err = db.Update(func(tx *store.Tx) error {
		if err := tx.PutEmbeddings(vocab.SpaceCells, ia.ID, []uint32{0, 1, 2}, 2, []float32{1, 0, 0, 1, 1, 1}, prov); err != nil {
			return err
		}
		if err := tx.PutEmbeddings(vocab.SpaceCells, ib.ID, []uint32{0, 1}, 2, []float32{2, 0, 0, 2}, prov); err != nil {
			return err
		}
		gids, err := tx.DatasetGenes(ia.ID)
		if err != nil {
			return err
		}
		gp := store.Provenance{Kind: "gene-model", ModelVersion: "gnn:test"}
		if err := tx.PutEmbeddings(vocab.SpaceGenes, ia.ID, gids, 2, []float32{1, 2, 3, 4, 5, 6}, gp); err != nil {
			return err
		}
		if err := tx.PutEmbeddings(vocab.SpaceGenes, vocab.Consensus, gids[:2], 2, []float32{7, 8, 9, 10}, gp); err != nil {
			return err
		}
		keys := []uint64{vocab.EntityKey(ia.ID, 0), vocab.EntityKey(ia.ID, 1), vocab.EntityKey(ib.ID, 1)}
		if err := tx.PutClustering(vocab.SpaceCells, "leiden_r1.0", keys, []int32{0, 10, 2}, prov); err != nil {
			return err
		}
		if err := tx.PutClustering(vocab.SpaceGenes, "leiden_r1.0", []uint64{vocab.EntityKey(vocab.Consensus, gids[0])}, []int32{4}, gp); err != nil {
			return err
		}
		rows := []store.Prediction{{Entity: vocab.EntityKey(ib.ID, 0), Label: "T", Score: 0.75}, {Entity: vocab.EntityKey(ib.ID, 1), Label: "Unassigned", Score: 0.25}}
		return tx.PutPredictions(vocab.KindCellLabels, "B:cell_type", rows, prov)
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// prechangeStore opens testdata/prechange.db.gz: a store written by the
// binary before this package existed (commit 77616d3: two simulated
// datasets, D1 with batch key "batch", both models trained briefly, cells
// and genes clustered, cell_type transferred from D1 to D2), migrated to
// the current schema as `genestore migrate` would (its schema is 2).
func prechangeStore(t *testing.T) *store.DB {
	t.Helper()
	in, err := os.Open(filepath.Join("testdata", "prechange.db.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	z, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.db")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, z); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.Migrate(context.Background(), path, &store.Options{Version: "test"}); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, &store.Options{ReadOnly: true, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func exportFile(t *testing.T, db *store.DB, space string, counts bool) string {
	t.Helper()
	opts := DefaultOptions()
	opts.Space, opts.Format, opts.WithCounts = space, FormatH5AD, counts
	name := space
	if counts {
		name += "-counts"
	}
	path := filepath.Join(t.TempDir(), name+".h5ad")
	if _, err := WriteFile(context.Background(), db, path, opts); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCellsAnnDataHasAllMetadata reads a cells export back with
// genestore's reader: every obs column, dataset, batch, clusters,
// transferred labels and confidence, counts in X.
func TestCellsAnnDataHasAllMetadata(t *testing.T) {
	db := newStore(t)
	ds, err := ingest.Read(context.Background(), exportFile(t, db, vocab.SpaceCells, true), ingest.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"AAAC-1", "AAAG-1", "AACT-1", "AAAC-1-B", "TTTT-1"}; !slices.Equal(ds.Barcodes, want) {
		t.Errorf("obs index %q, want %q", ds.Barcodes, want)
	}
	want := map[string][]string{
		"dataset":                          {"A", "A", "A", "B", "B"},
		"barcode":                          {"AAAC-1", "AAAG-1", "AACT-1", "AAAC-1", "TTTT-1"},
		"batch_genestore":                  {"A/r1", "A/r2", "A/r1", "B", "B"},
		"modality":                         {"rna", "rna", "rna", "rna", "rna"},
		"species":                          {"", "", "", "", ""}, // no dataset named one
		"cell_type":                        {"T", "B", "Mono", "", ""},
		"batch":                            {"r1", "r2", "r1", "", ""},
		"n_counts":                         {"6", "", "7", "", ""},
		"qc_pass":                          {"True", "False", "True", "", ""},
		"donor":                            {"", "", "", "d1", "d2"},
		"cell_type_transferred":            {"", "", "", "T", "Unassigned"},
		"cell_type_transferred_confidence": {"", "", "", "0.75", "0.25"},
		"cluster_leiden_r1.0":              {"0", "10", "", "", "2"},
	}
	var names []string
	for _, c := range ds.Obs {
		names = append(names, c.Name)
		if !slices.Equal(c.Values, want[c.Name]) {
			t.Errorf("obs %q = %q, want %q", c.Name, c.Values, want[c.Name])
		}
	}
	if len(names) != len(want) {
		t.Errorf("obs columns %q, want the %d of %v", names, len(want), want)
	}
	// X = counts over the union of genes: CD3E MS4A1 LYZ NKG7
	var syms []string
	for _, g := range ds.Genes {
		syms = append(syms, g.Symbol)
	}
	if !slices.Equal(syms, []string{"CD3E", "MS4A1", "LYZ", "NKG7"}) {
		t.Errorf("var %v", syms)
	}
	x := ds.X
	if !slices.Equal(x.Indptr, []int64{0, 2, 3, 4, 5, 6}) || !slices.Equal(x.Indices, []int32{0, 2, 1, 2, 2, 3}) ||
		!slices.Equal(x.Data, []float32{5, 1, 3, 7, 2, 4}) {
		t.Errorf("X = %+v", x)
	}
}

// TestTSVUnchanged: the TSV of a store written before this change is byte
// for byte what that binary printed.
func TestTSVUnchanged(t *testing.T) {
	db := prechangeStore(t)
	for _, space := range []string{vocab.SpaceGenes, vocab.SpaceCells, vocab.SpaceCellGenes} {
		var b bytes.Buffer
		opts := DefaultOptions()
		opts.Space = space
		if _, err := Write(context.Background(), db, &b, opts); err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("testdata", "prechange."+space+".tsv"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s TSV differs from the one the previous binary wrote", space)
		}
	}
}

// TestWriteFileNeverDestroys: an existing file is refused without Force
// and kept byte-identical; a failed write leaves it and no temporary file;
// Force replaces it.
func TestWriteFileNeverDestroys(t *testing.T) {
	db := newStore(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "cells.h5ad")
	old := []byte("previous export")
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.Space, opts.Format = vocab.SpaceCells, FormatH5AD
	if _, err := WriteFile(context.Background(), db, path, opts); !errors.Is(err, ErrExists) {
		t.Fatalf("without Force: %v, want ErrExists", err)
	}
	boom := errors.New("disk on fire")
	if err := writeFileAtomic(path, true, func(f *os.File) error {
		f.Write([]byte("half a fi"))
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failing write: %v", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, old) {
		t.Fatalf("the previous file changed: %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
	opts.Force = true
	if _, err := WriteFile(context.Background(), db, path, opts); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); bytes.Equal(got, old) || !bytes.HasPrefix(got, []byte("\x89HDF")) {
		t.Fatal("Force did not replace the file with an HDF5 file")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
}

// TestExportDeterministic: two exports of one store are byte-identical.
func TestExportDeterministic(t *testing.T) {
	db := newStore(t)
	a, _ := os.ReadFile(exportFile(t, db, vocab.SpaceCells, true))
	b, _ := os.ReadFile(exportFile(t, db, vocab.SpaceCells, true))
	if !bytes.Equal(a, b) {
		t.Fatal("two exports differ")
	}
}

func TestOptionsValidate(t *testing.T) {
	bad := []Options{
		{Space: "nope", Format: FormatTSV},
		{Space: vocab.SpaceCells, Format: "csv"},
		{Space: vocab.SpaceGenes, Format: FormatH5AD, WithCounts: true},
		{Space: vocab.SpaceCells, Format: FormatTSV, WithCounts: true},
	}
	for _, o := range bad {
		if err := o.Validate(); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: %v, want ErrOptions", o, err)
		}
	}
	for _, o := range []Options{DefaultOptions(), {}} {
		if err := o.Validate(); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
}

// anndataSummary is one file as testdata/read_anndata.py reports it.
type anndataSummary struct {
	Anndata      string              `json:"anndata"`
	Shape        []int               `json:"shape"`
	ObsColumns   []string            `json:"obs_columns"`
	ObsDtypes    map[string]string   `json:"obs_dtypes"`
	ObsIndexStr  bool                `json:"obs_index_str"`
	ObsIndexUniq bool                `json:"obs_index_unique"`
	VarIndexStr  bool                `json:"var_index_str"`
	VarColumns   []string            `json:"var_columns"`
	Obsm         map[string][]int    `json:"obsm"`
	XSparse      bool                `json:"x_sparse"`
	XSum         *float64            `json:"x_sum"`
	ObsmEqualsX  bool                `json:"obsm_equals_x"`
	Uns          []string            `json:"uns"`
	ModelVersion string              `json:"model_version"`
	First        map[string]any      `json:"first"`
	Categories   map[string][]string `json:"categories"`
	Layers       map[string]struct {
		ObsmKey  string       `json:"obsm_key"`
		Values   string       `json:"values"`
		VarNames []string     `json:"var_names"`
		Datasets []string     `json:"datasets"`
		Matrix   [][]*float64 `json:"matrix"`
	} `json:"layers"`
}

// readWithAnndata runs the system Python's anndata (Debian python3-anndata)
// over files. It skips when anndata is missing, except in CI (CI set),
// where it fails: CI installs it.
func readWithAnndata(t *testing.T, files ...string) []anndataSummary {
	t.Helper()
	py := "/usr/bin/python3"
	if p := os.Getenv("GENESTORE_PYTHON"); p != "" {
		py = p
	}
	if err := exec.Command(py, "-c", "import anndata").Run(); err != nil {
		msg := py + " cannot import anndata (apt-get install python3-anndata): " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cmd := exec.Command(py, append([]string{filepath.Join("testdata", "read_anndata.py")}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("anndata could not read the exports: %v\n%s", err, stderr.String())
	}
	var got []anndataSummary
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return got
}

// TestAnndataReadsExports: anndata opens every kind of export, of a store
// built now and of one written before this change, and sees the
// metadata, the vectors in obsm["X_genestore"], string names and the
// provenance.
func TestAnndataReadsExports(t *testing.T) {
	type check struct {
		file  string
		shape []int
		cols  []string // obs columns that must be there
		dim   int
		x     string // "vectors" or "counts"
	}
	fresh, old := newStore(t), prechangeStore(t)
	checks := []check{
		{exportFile(t, fresh, vocab.SpaceCells, false), []int{5, 2}, []string{"dataset", "barcode", "batch_genestore", "cell_type", "batch", "n_counts", "qc_pass", "donor", "cell_type_transferred", "cell_type_transferred_confidence", "cluster_leiden_r1.0"}, 2, "vectors"},
		{exportFile(t, fresh, vocab.SpaceCells, true), []int{5, 4}, []string{"dataset", "cell_type_transferred_confidence"}, 2, "counts"},
		{exportFile(t, fresh, vocab.SpaceGenes, false), []int{5, 2}, []string{"symbol", "gene_id", "dataset", "consensus", "modality", "species", "cluster_leiden_r1.0"}, 2, "vectors"},
		{exportFile(t, old, vocab.SpaceCells, false), []int{80, 4}, []string{"dataset", "barcode", "batch_genestore", "cell_type", "batch", "cell_type_transferred", "cell_type_transferred_confidence", "cluster_leiden_r1.0"}, 4, "vectors"},
		{exportFile(t, old, vocab.SpaceCells, true), []int{80, 60}, []string{"dataset", "cell_type"}, 4, "counts"},
		{exportFile(t, old, vocab.SpaceGenes, false), []int{174, 8}, []string{"symbol", "gene_id", "dataset", "consensus", "modality", "species", "cluster_leiden_r1.0"}, 8, "vectors"},
		{exportFile(t, old, vocab.SpaceCellGenes, false), []int{54, 4}, []string{"symbol", "gene_id", "dataset", "consensus", "modality", "species"}, 4, "vectors"},
	}
	var files []string
	for _, c := range checks {
		files = append(files, c.file)
	}
	got := readWithAnndata(t, files...)
	if len(got) != len(checks) {
		t.Fatalf("%d summaries for %d files", len(got), len(checks))
	}
	for i, c := range checks {
		g := got[i]
		name := filepath.Base(filepath.Dir(c.file)) + "/" + filepath.Base(c.file)
		if !slices.Equal(g.Shape, c.shape) {
			t.Errorf("%s: shape %v, want %v", name, g.Shape, c.shape)
		}
		for _, col := range c.cols {
			if !slices.Contains(g.ObsColumns, col) {
				t.Errorf("%s: obs columns %v lack %q", name, g.ObsColumns, col)
			}
		}
		if !g.ObsIndexStr || !g.VarIndexStr || !g.ObsIndexUniq {
			t.Errorf("%s: names are not unique str (obs str %v, unique %v, var str %v)", name, g.ObsIndexStr, g.ObsIndexUniq, g.VarIndexStr)
		}
		if e := g.Obsm["X_genestore"]; !slices.Equal(e, []int{c.shape[0], c.dim}) {
			t.Errorf("%s: obsm %v, want X_genestore %d × %d", name, g.Obsm, c.shape[0], c.dim)
		}
		if (c.x == "counts") != g.XSparse || (c.x == "vectors" && !g.ObsmEqualsX) {
			t.Errorf("%s: X sparse %v, equals obsm %v; want %s", name, g.XSparse, g.ObsmEqualsX, c.x)
		}
		for _, k := range []string{"space", "generation", "model_version", "sets"} {
			if !slices.Contains(g.Uns, k) {
				t.Errorf("%s: uns[genestore] keys %v lack %q", name, g.Uns, k)
			}
		}
		if g.ModelVersion == "" || strings.Contains(g.ModelVersion, "[") {
			t.Errorf("%s: model_version %q", name, g.ModelVersion)
		}
		if c.x == "counts" {
			if !slices.Contains(g.VarColumns, "gene_ids") {
				t.Errorf("%s: var columns %v", name, g.VarColumns)
			}
		}
	}
	// types anndata gives the fresh cells' columns
	types := map[string]string{"dataset": "category", "barcode": "object", "n_counts": "float64",
		"cell_type_transferred": "category", "cell_type_transferred_confidence": "float64", "cluster_leiden_r1.0": "category"}
	for col, typ := range types {
		if g := got[0].ObsDtypes[col]; g != typ {
			t.Errorf("cells obs %q is %s, want %s", col, g, typ)
		}
	}
	if c := got[0].Categories["cluster_leiden_r1.0"]; !slices.Equal(c, []string{"0", "2", "10"}) {
		t.Errorf("cluster categories %v, want numeric order", c)
	}
	if g := got[2].ObsDtypes["consensus"]; g != "bool" {
		t.Errorf("genes obs consensus is %s, want bool", g)
	}
	if s := got[1].XSum; s == nil || *s != 22 {
		t.Errorf("counts X sums to %v, want 22", s)
	}
	t.Logf("anndata %s read %d exports", got[0].Anndata, len(got))
}

// addPredictedLayer stores a "predicted" layer on dataset B of newStore:
// CD3E (which B does not measure) and MS4A1 for its two cells.
func addPredictedLayer(t *testing.T, db *store.DB) {
	t.Helper()
	err := db.Update(func(tx *store.Tx) error {
		b, err := tx.DatasetByName("B")
		if err != nil {
			return err
		}
		var genes []uint32
		for _, sym := range []string{"CD3E", "MS4A1"} {
			g, err := tx.GenesBySymbol(sym)
			if err != nil {
				return err
			}
			genes = append(genes, g[0].ID)
		}
		slices.Sort(genes)
		l := store.Layer{Dataset: b.ID, Name: vocab.LayerPredicted, Values: vocab.Predicted, Cells: 2, Genes: genes,
			Provenance: store.Provenance{Kind: "expr-model", ModelVersion: "expr:test", Params: []byte(`{"landmarks_present":1}`)}}
		if err := tx.PutLayer(l); err != nil {
			return err
		}
		return tx.PutLayerChunk(b.ID, vocab.LayerPredicted, 0, []float32{1.5, 2.5, 0.25, 0}) // gene-major
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestExportCarriesPredictedLayer: a cells h5ad carries a dataset's
// predicted layer as obsm["layer_predicted"] (cells × the layer's genes,
// NaN for cells of datasets without it) with its var names, value type and
// provenance in uns["genestore"]["layers"]; NoLayers leaves it out; anndata
// reads it.
func TestExportCarriesPredictedLayer(t *testing.T) {
	ctx := context.Background()
	db := newStore(t)
	addPredictedLayer(t, db)
	nan := float32(math.NaN())
	want := []float32{nan, nan, nan, nan, nan, nan, 1.5, 0.25, 2.5, 0} // rows A0 A1 A2 B0 B1 × CD3E MS4A1
	for _, noLayers := range []bool{false, true} {
		var a *h5ad.AnnData
		err := db.View(func(tx *store.Tx) error {
			s, err := readSnapshot(ctx, tx, vocab.SpaceCells)
			if err != nil {
				return err
			}
			a, err = buildAnnData(ctx, tx, s, Options{Space: vocab.SpaceCells, Format: FormatH5AD, NoLayers: noLayers})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(a.Obsm, func(n h5ad.Named) bool { return n.Name == "layer_predicted" })
		if noLayers {
			if i >= 0 {
				t.Error("NoLayers: obsm still holds layer_predicted")
			}
			continue
		}
		if i < 0 {
			t.Fatalf("obsm %v lacks layer_predicted", a.Obsm)
		}
		m := a.Obsm[i].M
		if m.Rows != 5 || m.Cols != 2 {
			t.Fatalf("layer_predicted is %d × %d, want 5 × 2", m.Rows, m.Cols)
		}
		for k, v := range m.Data {
			if w := want[k]; v != w && !(v != v && w != w) {
				t.Errorf("layer_predicted value %d = %v, want %v", k, v, w)
			}
		}
	}
	got := readWithAnndata(t, exportFile(t, db, vocab.SpaceCells, false), exportFile(t, db, vocab.SpaceCells, true))
	for i, g := range got {
		l, ok := g.Layers["predicted"]
		if !ok {
			t.Fatalf("export %d: uns genestore layers %v lack predicted", i, g.Layers)
		}
		if l.ObsmKey != "layer_predicted" || l.Values != "predicted" || !slices.Equal(l.VarNames, []string{"CD3E", "MS4A1"}) ||
			!slices.Equal(l.Datasets, []string{"B"}) {
			t.Errorf("export %d: layer %+v", i, l)
		}
		if len(l.Matrix) != 5 || l.Matrix[0][0] != nil || l.Matrix[3][0] == nil || *l.Matrix[3][0] != 1.5 || *l.Matrix[4][0] != 2.5 {
			t.Errorf("export %d: anndata reads obsm[layer_predicted] as %v", i, l.Matrix)
		}
		if e := g.Obsm["layer_predicted"]; !slices.Equal(e, []int{5, 2}) {
			t.Errorf("export %d: obsm %v", i, g.Obsm)
		}
	}
}

// TestEmptySpaceAnnData: a space whose every set was deleted exports as an
// h5ad of no rows, as its TSV is a header alone (the empty name columns
// were once nil, which the writer took for unset columns).
func TestEmptySpaceAnnData(t *testing.T) {
	db := newStore(t)
	for _, space := range []string{vocab.SpaceCells, vocab.SpaceGenes} {
		err := db.Update(func(tx *store.Tx) error {
			info, err := tx.Space(space)
			if err != nil {
				return err
			}
			for _, set := range info.Sets {
				if err := tx.DeleteEmbeddings(space, set.Dataset); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		exportFile(t, db, space, false)
	}
}
