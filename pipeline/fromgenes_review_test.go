package pipeline

import (
	"context"
	"errors"
	"testing"

	"genestore/store"
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
