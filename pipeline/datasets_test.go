package pipeline

import (
	"context"
	"testing"

	"genestore/store"
)

// TestSelectDatasetsOnce: a dataset named twice in --datasets is selected
// once, in first-seen order.
func TestSelectDatasetsOnce(t *testing.T) {
	db, s := simStore(t, smallSim())
	a, b := s.Datasets[0].Name, s.Datasets[1].Name
	var got []string
	err := db.View(func(tx *store.Tx) error {
		infos, err := selectDatasets(tx, []string{b, a, b, a})
		for _, d := range infos {
			got = append(got, d.Name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != b || got[1] != a {
		t.Errorf("selected %q, want [%q %q]", got, b, a)
	}
}

// TestTrainCellsDatasetTwice: `train cells --datasets D1,D1` trains D1's
// cells once (it trained them twice, then failed writing the index with
// "key exists").
func TestTrainCellsDatasetTwice(t *testing.T) {
	db, s := simStore(t, smallSim(), 1)
	d := s.Datasets[0].Name
	o := DefaultCellOptions()
	o.Datasets = []string{d, d}
	o.Model.Epochs, o.Model.Latent, o.Model.Hidden, o.Model.Seed = 2, 4, 16, 1
	res, err := TrainCells(context.Background(), db, o, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Cells != 400 || len(res.Datasets) != 1 {
		t.Errorf("trained %d cells of %q, want 400 of [%q]", res.Cells, res.Datasets, d)
	}
}
