package pipeline

import (
	"context"
	"testing"

	"genestore/index"
	"genestore/store"
	"genestore/vocab"
)

// TestAppendRecordsATACNormalisation: an append rewrites the consensus
// set's provenance, which EvalGenes reads back to prepare the baselines as
// training did; it must keep the gene model's atac normalisation.
func TestAppendRecordsATACNormalisation(t *testing.T) {
	ctx := context.Background()
	db, s := simStore(t, appendSim(), 3)
	g := DefaultGeneOptions()
	g.HVG, g.Model.Epochs, g.Model.Dim, g.Model.Hidden, g.Model.Seed = 200, 5, 8, 32, 1
	g.ATAC = ATACBinary
	if _, err := TrainGenes(ctx, db, g, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Append(ctx, db, "D4", simDataset(s.Datasets[3]), AppendOptions{Seed: 3, Index: index.DefaultOptions()}, nil); err != nil {
		t.Fatal(err)
	}
	err := db.View(func(tx *store.Tx) error {
		info, err := tx.Space(vocab.SpaceGenes)
		if err != nil {
			return err
		}
		for _, set := range info.Sets {
			got := DefaultGeneOptions()
			applyRecordedGeneParams(&got, set.Provenance.Params)
			if got.ATAC != ATACBinary {
				t.Errorf("set %d: recorded params %s give atac %q, the model was trained with %q", set.Dataset, set.Provenance.Params, got.ATAC, ATACBinary)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
