package export

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"genestore/internal/sparse"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/vocab"
)

// TestNaNSpellingsStayApart: "nan" and "NaN" are two categories, each
// exported as written (both parse as NaN, and the binary search once
// coded both as the first).
func TestNaNSpellingsStayApart(t *testing.T) {
	vals := []string{"T", "nan", "NaN", "B", "nan", "2", "10"}
	c := categorical(vals, nil)
	for i, v := range vals {
		if got := c.Categories[c.Codes[i]]; got != v {
			t.Errorf("value %q exported as %q", v, got)
		}
	}
}

// putLayer stores a one-gene layer of two cells for dataset name.
func putLayer(t *testing.T, db *store.DB, dataset, layer string) {
	t.Helper()
	err := db.Update(func(tx *store.Tx) error {
		d, err := tx.DatasetByName(dataset)
		if err != nil {
			return err
		}
		genes, err := tx.DatasetGenes(d.ID)
		if err != nil {
			return err
		}
		if err := tx.PutLayer(store.Layer{Dataset: d.ID, Name: layer, Values: vocab.Predicted, Cells: 2, Genes: genes[:1]}); err != nil {
			return err
		}
		return tx.PutLayerChunk(d.ID, layer, 0, []float32{1, 2})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLayerAndDatasetKeys: layer and dataset names are HDF5 names in a
// cells h5ad: a "/" becomes "_", and names that then collide get "_2"
// (layers "pred/v2" and "pred_v2"; datasets "pbmc/3p" and "pbmc_3p").
// Either once failed the whole export.
func TestLayerAndDatasetKeys(t *testing.T) {
	ctx := context.Background()
	db := newStore(t)
	putLayer(t, db, "B", "pred/v2")
	putLayer(t, db, "B", "pred_v2")
	mk := func() *ingest.Dataset {
		return &ingest.Dataset{Format: "mtx", Source: "a/", Values: vocab.Counts,
			X:        &sparse.CSR{Rows: 2, Cols: 2, Indptr: []int64{0, 1, 2}, Indices: []int32{0, 1}, Data: []float32{2, 4}},
			Genes:    []ingest.Gene{{ID: "E1", Symbol: "CD3E"}, {ID: "E2", Symbol: "LYZ"}},
			Barcodes: []string{"A-1", "B-1"}}
	}
	for _, name := range []string{"pbmc/3p", "pbmc_3p"} {
		info, err := db.AddDataset(ctx, name, mk(), store.AddOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Update(func(tx *store.Tx) error {
			return tx.PutEmbeddings(vocab.SpaceCells, info.ID, []uint32{0, 1}, 2, []float32{1, 0, 0, 1}, store.Provenance{Kind: "cell-model", ModelVersion: "vae:test"})
		}); err != nil {
			t.Fatal(err)
		}
		putLayer(t, db, name, vocab.LayerPredicted)
	}
	path := filepath.Join(t.TempDir(), "c.h5ad")
	rep, err := WriteFile(ctx, db, path, Options{Space: vocab.SpaceCells, Format: FormatH5AD})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range rep.Layers {
		names = append(names, l.Name)
	}
	slices.Sort(names)
	if want := []string{"pred_v2", "pred_v2_2", "predicted"}; !slices.Equal(names, want) {
		t.Errorf("layers written %v, want %v", names, want)
	}
	got := readWithAnndata(t, path)
	if len(got) != 1 {
		return // anndata missing outside CI
	}
	for _, key := range []string{"layer_pred_v2", "layer_pred_v2_2", "layer_predicted"} {
		if _, ok := got[0].Obsm[key]; !ok {
			t.Errorf("anndata finds no obsm[%q] in %v", key, got[0].Obsm)
		}
	}
	if ds := got[0].Layers["predicted"].Datasets; !slices.Equal(ds, []string{"pbmc_3p", "pbmc_3p_2"}) {
		t.Errorf("predicted layer's datasets %v", ds)
	}
}
