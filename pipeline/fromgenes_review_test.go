package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"genestore/store"
	"genestore/train/fromgenes"
	"genestore/train/prep"
	"genestore/vocab"
)

// TestCellsFromGenesConflictsWithConcurrentDrop drops a dataset the run is
// embedding (one the gene model was not trained on, so the gene space does
// not move) between computing and committing: the run must fail with
// ErrConflict and write nothing, not store vectors of a dataset that no
// longer exists.
func TestCellsFromGenesConflictsWithConcurrentDrop(t *testing.T) {
	ctx := context.Background()
	db, _ := simStore(t, smallSim())
	o := DefaultGeneOptions()
	o.Datasets = []string{"D1", "D2"}
	o.Model.Epochs, o.Model.Dim, o.Model.Hidden, o.Model.Seed = 5, 8, 32, 1
	o.HVG = 200
	if _, err := TrainGenes(ctx, db, o, nil, nil); err != nil {
		t.Fatal(err)
	}
	var dropped string
	testHookBeforeTrainCommit = func(string) {
		testHookBeforeTrainCommit = nil
		if _, err := Drop(ctx, db, "D3", DropOptions{}, nil); err != nil {
			t.Error(err)
		}
		dropped, _ = db.Digest()
	}
	t.Cleanup(func() { testHookBeforeTrainCommit = nil })
	_, err := CellsFromGenes(ctx, db, CellsFromGenesOptions{}, nil)
	if !errors.Is(err, ErrConflict) {
		t.Errorf("cells from genes across a drop: %v, want ErrConflict", err)
	}
	if d, _ := db.Digest(); dropped == "" || d != dropped {
		t.Error("the refused run changed the store")
	}
	err = db.View(func(tx *store.Tx) error {
		sp, err := tx.Space(vocab.SpaceCellsFromGenes)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, set := range sp.Sets {
			if _, err := tx.DatasetByID(set.Dataset); err != nil {
				t.Errorf("set of dataset %d: %v", set.Dataset, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCellsFromGenesSkipsSingleCellDataset: under ScaledPerDataset a
// dataset of one cell has no gene that varies, so it cannot be embedded;
// unnamed, it is skipped like a dataset without genes in the gene space,
// rather than failing the run for every other dataset. Named, it is
// refused. Under Scaled (pooled moments) and Expression it is embedded.
func TestCellsFromGenesSkipsSingleCellDataset(t *testing.T) {
	ctx := context.Background()
	db, s := simStore(t, smallSim(), 2)
	trainSmallGenes(t, db, 5)
	d := s.Datasets[2]
	ds := simDataset(d)
	ds.X = d.X.SelectRows([]int{0})
	ds.Barcodes = ds.Barcodes[:1]
	for i := range ds.Obs {
		ds.Obs[i].Values = ds.Obs[i].Values[:1]
	}
	if _, err := db.AddDataset(ctx, "one", ds, store.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	// Standardised over the cells of every dataset pooled (the default),
	// its one cell has a vector.
	res, err := CellsFromGenes(ctx, db, CellsFromGenesOptions{}, nil)
	if err != nil || len(res.Datasets) != 3 || len(res.Skipped) != 0 {
		t.Fatalf("scaled: %+v, %v", res, err)
	}
	// Standardised within each dataset it has none: skipped unnamed,
	// refused named.
	per := CellsFromGenesOptions{Weight: fromgenes.ScaledPerDataset}
	res, err = CellsFromGenes(ctx, db, per, nil)
	if err != nil {
		t.Fatalf("a one-cell dataset failed the run: %v", err)
	}
	if len(res.Datasets) != 2 || len(res.Skipped) != 1 || res.Skipped[0] != "one" {
		t.Fatalf("datasets %+v, skipped %v", res.Datasets, res.Skipped)
	}
	d0, _ := db.Digest()
	per.Datasets = []string{"one"}
	if _, err := CellsFromGenes(ctx, db, per, nil); err == nil {
		t.Fatal("a named one-cell dataset accepted")
	}
	if d1, _ := db.Digest(); d1 != d0 {
		t.Fatal("a refused run changed the store")
	}
	// Under Expression it has a vector.
	res, err = CellsFromGenes(ctx, db, CellsFromGenesOptions{Weight: fromgenes.Expression}, nil)
	if err != nil || len(res.Datasets) != 3 || len(res.Skipped) != 0 {
		t.Fatalf("expression: %+v, %v", res, err)
	}
}

// TestCellsFromGenesProvenanceNormalize: each set's provenance says how
// its dataset's values were normalised: a dataset stored as log values is
// used as stored, not "log1p of counts per 10,000".
func TestCellsFromGenesProvenanceNormalize(t *testing.T) {
	ctx := context.Background()
	db, s := simStore(t, smallSim(), 2)
	trainSmallGenes(t, db, 5)
	ds := simDataset(s.Datasets[2])
	xl, err := prep.Normalize(ds.X, vocab.Counts, 1e4)
	if err != nil {
		t.Fatal(err)
	}
	ds.X, ds.Values = xl, vocab.Log
	if _, err := db.AddDataset(ctx, "L", ds, store.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := CellsFromGenes(ctx, db, CellsFromGenesOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *store.Tx) error {
		sp, err := tx.Space(vocab.SpaceCellsFromGenes)
		if err != nil {
			return err
		}
		for _, set := range sp.Sets {
			info, err := tx.DatasetByID(set.Dataset)
			if err != nil {
				return err
			}
			var p struct {
				Normalize string `json:"normalize"`
			}
			if err := json.Unmarshal(set.Provenance.Params, &p); err != nil {
				return err
			}
			counts := strings.Contains(p.Normalize, "counts per 10,000")
			if counts != (info.Values == vocab.Counts) {
				t.Errorf("dataset %q (%s values): provenance normalize %q", info.Name, info.Values, p.Normalize)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
