package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"genestore/index"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/train/gnn"
	"genestore/train/sim"
	"genestore/train/vae"
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

// TestPredictRecordsQueryMeans: the layer's provenance records how many
// targets took their mean from the dataset, as the result reports.
func TestPredictRecordsQueryMeans(t *testing.T) {
	ctx := context.Background()
	s := newExprSim(1, 2, 200, 20, 10, 4)
	db := exprStore(t, filepath.Join(t.TempDir(), "s.db"), s, 2)
	defer db.Close()
	o := smallExprOptions(s.landmarks(), "D1")
	o.Model.NoMLP = true
	if _, err := TrainExpr(ctx, db, o, nil); err != nil {
		t.Fatal(err)
	}
	pr, err := Predict(ctx, db, PredictOptions{Dataset: "D2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pr.QueryMeans == 0 {
		t.Fatalf("predict: %+v", pr)
	}
	var p PredictParams
	err = db.View(func(tx *store.Tx) error {
		l, err := tx.Layer(pr.Layer.Dataset, vocab.LayerPredicted)
		if err != nil {
			return err
		}
		return json.Unmarshal(l.Provenance.Params, &p)
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.QueryMeans != pr.QueryMeans {
		t.Errorf("layer provenance records query_means %d, the prediction used %d", p.QueryMeans, pr.QueryMeans)
	}
}

// TestEvalCellsUsesEachDatasetsTrainedBatches trains the cell model with a
// batch key, appends a dataset without one, and evaluates: each dataset's
// batches must be those the model was trained (or appended) with, not the
// last appended dataset's batch key applied to all.
func TestEvalCellsUsesEachDatasetsTrainedBatches(t *testing.T) {
	ctx := context.Background()
	cfg := appendSim()
	cfg.Cells = 150
	s, err := sim.Generate(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := openAt(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	withSub := func(i int) *ingest.Dataset {
		ds := simDataset(s.Datasets[i])
		sub := make([]string, ds.X.Rows)
		for c := range sub {
			sub[c] = string(rune('a' + c%2))
		}
		ds.Obs = append(ds.Obs, ingest.ObsColumn{Name: "sub", Categorical: true, Values: sub})
		return ds
	}
	for i := range 3 {
		if _, err := db.AddDataset(ctx, s.Datasets[i].Name, withSub(i), store.AddOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	c := DefaultCellOptions()
	c.BatchKey = "sub"
	c.Model.Epochs, c.Model.Latent, c.Model.Hidden, c.Model.Seed = 3, 4, 16, 1
	tr, err := TrainCells(ctx, db, c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Batches) != 6 {
		t.Fatalf("trained batches %v", tr.Batches)
	}
	if _, err := Append(ctx, db, "D4", withSub(3), AppendOptions{Seed: 3, Index: index.DefaultOptions()}, nil); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	if _, err := EvalCells(ctx, db, CellEvalOptions{Label: "cell_type", Seed: 1}, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "600 cells, 7 batches") {
		t.Errorf("eval cells did not use the model's 7 batches (6 trained, 1 appended):\n%s", log.String())
	}
}

// TestAppendRefusesDatasetWithoutCellModelGenes appends a dataset that
// measures none of the cell model's genes: every cell would embed from an
// all-zero input to one and the same vector, so Append must refuse,
// naming the dataset, and leave the store as it was.
func TestAppendRefusesDatasetWithoutCellModelGenes(t *testing.T) {
	ctx := context.Background()
	db, s := simStore(t, appendSim(), 3)
	trainBoth(t, db)
	ds := simDataset(s.Datasets[3])
	for i := range ds.Genes {
		ds.Genes[i].Symbol = "OTHER-" + ds.Genes[i].Symbol
		ds.Genes[i].ID = ds.Genes[i].Symbol
	}
	digest, _ := db.Digest()
	_, err := Append(ctx, db, "D4", ds, AppendOptions{Seed: 3, Index: index.DefaultOptions(), FillMissing: FillZero}, nil)
	if err == nil || !strings.Contains(err.Error(), `"D4"`) {
		t.Fatalf("append of a dataset without any of the cell model's genes: %v", err)
	}
	if d, _ := db.Digest(); d != digest {
		t.Fatal("a refused append changed the store")
	}
}

// TestAppendErrorNamesDataset: a dataset the gene model cannot take (one
// cell) is refused with an error naming it, and the store is unchanged.
func TestAppendErrorNamesDataset(t *testing.T) {
	ctx := context.Background()
	db, s := simStore(t, appendSim(), 3)
	g := DefaultGeneOptions()
	g.HVG, g.Model.Epochs, g.Model.Dim, g.Model.Hidden, g.Model.Seed = 200, 5, 8, 32, 1
	if _, err := TrainGenes(ctx, db, g, nil, nil); err != nil {
		t.Fatal(err)
	}
	one := simDataset(s.Datasets[3])
	one.X = one.X.SelectRows([]int{0})
	one.Barcodes = one.Barcodes[:1]
	for i := range one.Obs {
		one.Obs[i].Values = one.Obs[i].Values[:1]
	}
	digest, _ := db.Digest()
	_, err := Append(ctx, db, "ONECELL", one, AppendOptions{Seed: 3, Index: index.DefaultOptions()}, nil)
	if err == nil || !strings.Contains(err.Error(), `"ONECELL"`) {
		t.Fatalf("append of a one-cell dataset: %v", err)
	}
	if d, _ := db.Digest(); d != digest {
		t.Fatal("a refused append changed the store")
	}
}

// TestTrainGRNUnsupervisedDropsStaleWeights replaces a DeepMCL network by
// an unsupervised one of the same name: the blob documented as the
// network's DeepMCL weights must not outlive the network it belonged to.
func TestTrainGRNUnsupervisedDropsStaleWeights(t *testing.T) {
	db, _, o := smallDeepMCL(t, 1, nil)
	ctx := context.Background()
	if _, err := TrainGRN(ctx, db, o, nil); err != nil {
		t.Fatal(err)
	}
	o.Known, o.Method = nil, ""
	res, err := TrainGRN(ctx, db, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Network.Method == MethodDeepMCL {
		t.Fatalf("second network %+v", res.Network)
	}
	noNetworkWeights(t, db, "default", "replaced")
}

// noNetworkWeights fails t when the DeepMCL weights of network name (one
// the test replaced or dropped: what) are still stored.
func noNetworkWeights(t *testing.T, db *store.DB, name, what string) {
	t.Helper()
	err := db.View(func(tx *store.Tx) error {
		if _, err := tx.Blob(vocab.BlobModel, GRNModelBlob(name)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeepMCL weights of the %s network still stored (err %v)", what, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDropRemovesNetworkWeights drops a dataset a DeepMCL network was
// inferred from: the network goes (store.DropDataset), and so must its
// weights, which Drop documents as "everything that comes from it".
func TestDropRemovesNetworkWeights(t *testing.T) {
	db, s, o := smallDeepMCL(t, 1, nil)
	o.Regulators = nil // every gene a candidate
	ctx := context.Background()
	if _, err := TrainGRN(ctx, db, o, nil); err != nil {
		t.Fatal(err)
	}
	res, err := Drop(ctx, db, s.Views[0].Name, DropOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed.Networks) != 1 {
		t.Fatalf("removed networks %v", res.Removed.Networks)
	}
	noNetworkWeights(t, db, "default", "dropped")
}

// TestAppendKeepsConcurrentRename renames a trained dataset between
// Append's computing and its commit. Rename rewrites both models' weights
// (the layer and batch names) without moving a space, so Append must see
// that the models it extended changed, not write back the old names.
func TestAppendKeepsConcurrentRename(t *testing.T) {
	ctx := context.Background()
	db, s := simStore(t, appendSim(), 3)
	trainBoth(t, db)
	testHookBeforeAppendTx = func() {
		testHookBeforeAppendTx = nil
		if _, err := Rename(ctx, db, "D1", "D1b"); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { testHookBeforeAppendTx = nil })
	if _, err := Append(ctx, db, "D4", simDataset(s.Datasets[3]), AppendOptions{Seed: 3, Index: index.DefaultOptions()}, nil); err != nil {
		t.Fatal(err)
	}
	g, c := storedModels(t, db)
	if _, ok := g.Embedding("D1b"); !ok {
		t.Errorf("gene model layers after the append: %v, want D1b (renamed)", g.Datasets())
	}
	if !slices.Contains(c.BatchNames(), "D1b") {
		t.Errorf("cell model batches after the append: %v, want D1b (renamed)", c.BatchNames())
	}
}

// TestTrainConflictsWithConcurrentRename renames a dataset while a
// retrain computes: the model's layer (batch) names are the old ones, so
// the retrain must fail with ErrConflict and write nothing.
func TestTrainConflictsWithConcurrentRename(t *testing.T) {
	ctx := context.Background()
	for _, space := range []string{vocab.SpaceGenes, vocab.SpaceCells} {
		t.Run(space, func(t *testing.T) {
			db, _ := simStore(t, appendSim(), 3)
			retrainAcross(t, db, space, "a rename", func() {
				if _, err := Rename(ctx, db, "D1", "D1b"); err != nil {
					t.Error(err)
				}
			})
		})
	}
}

// TestDropKeepsConcurrentRename renames another dataset between Drop's
// computing and its commit: Drop rewrites both models' weights, and must
// not write back the renamed dataset's old layer and batch names.
func TestDropKeepsConcurrentRename(t *testing.T) {
	ctx := context.Background()
	db, _ := simStore(t, appendSim(), 3)
	trainBoth(t, db)
	testHookBeforeDropTx = func() {
		testHookBeforeDropTx = nil
		if _, err := Rename(ctx, db, "D2", "D2b"); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { testHookBeforeDropTx = nil })
	if _, err := Drop(ctx, db, "D1", DropOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	g, c := storedModels(t, db)
	if !slices.Equal(g.Datasets(), []string{"D2b", "D3"}) {
		t.Errorf("gene model layers after the drop: %v, want [D2b D3]", g.Datasets())
	}
	if !slices.Contains(c.BatchNames(), "D2b") || slices.Contains(c.BatchNames(), "D1") {
		t.Errorf("cell model batches after the drop: %v, want D2b and no D1", c.BatchNames())
	}
}

// storedModels decodes the store's gene and cell models.
func storedModels(t *testing.T, db *store.DB) (*gnn.Model, *vae.Model) {
	t.Helper()
	g, c := new(gnn.Model), new(vae.Model)
	err := db.View(func(tx *store.Tx) error {
		gm, err := loadModel(tx, vocab.SpaceGenes, vocab.ModelGenes)
		if err != nil {
			return err
		}
		if err := g.UnmarshalBinary(gm.weights); err != nil {
			return err
		}
		cm, err := loadModel(tx, vocab.SpaceCells, vocab.ModelCells)
		if err != nil {
			return err
		}
		return c.UnmarshalBinary(cm.weights)
	})
	if err != nil {
		t.Fatal(err)
	}
	return g, c
}
