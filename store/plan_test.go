package store

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// TestPlanDataset: the plan read in a View is what AddDataset gives when
// nothing was written in between, and differs when another dataset with new
// genes came first (the append's conflict check relies on both).
func TestPlanDataset(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	if _, err := db.AddDataset(ctx, "a", randomDataset(1, "a", 30, 40, 5, true), AddOptions{}); err != nil {
		t.Fatal(err)
	}
	ds := randomDataset(2, "b", 20, 60, 5, true) // genes G0..G59: 40 known, 20 new
	plan := func() (id uint32, genes []uint32) {
		err := db.View(func(tx *Tx) (err error) { id, genes, err = tx.PlanDataset("b", ds, AddOptions{}); return err })
		if err != nil {
			t.Fatal(err)
		}
		return id, genes
	}
	id, genes := plan()
	other := randomDataset(3, "c", 10, 80, 5, true)
	if _, err := db.AddDataset(ctx, "c", other, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if id2, _ := plan(); id2 == id {
		t.Fatalf("plan did not move after another dataset: id %d→%d", id, id2)
	}
	id, genes = plan()
	info, err := db.AddDataset(ctx, "b", ds, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []uint32
	if err := db.View(func(tx *Tx) (err error) { got, err = tx.DatasetGenes(info.ID); return err }); err != nil {
		t.Fatal(err)
	}
	if info.ID != id || !slices.Equal(got, genes) {
		t.Fatalf("AddDataset gave id %d genes %v, plan %d %v", info.ID, got[:5], id, genes[:5])
	}
	err = db.View(func(tx *Tx) error { _, _, err := tx.PlanDataset("b", ds, AddOptions{}); return err })
	if !errors.Is(err, ErrDatasetExists) {
		t.Fatalf("plan of a taken name: %v", err)
	}
}
