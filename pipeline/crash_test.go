package pipeline

import (
	"context"
	"path/filepath"
	"testing"

	"genestore/internal/testutil/crash"
	"genestore/layout"
	"genestore/layout/spacelayout"
	"genestore/store"
	"genestore/vocab"
)

// crashOp opens the store of a crash child, signals ready and runs op on it.
func crashOp(op func(ctx context.Context, db *store.DB) error) func(dir string, ready func()) error {
	return func(dir string, ready func()) error {
		db, err := store.Open(filepath.Join(dir, "s.db"), &store.Options{Clock: fixedClock})
		if err != nil {
			return err
		}
		defer db.Close()
		ready()
		return op(context.Background(), db)
	}
}

// crashTest runs op in crash children of a store holding appendSim's first
// three datasets (both models trained if trained), killing them trials
// times, and logs how the trials ended; what names the operation.
func crashTest(t *testing.T, what string, seed uint64, trials int, trained bool, op func(ctx context.Context, db *store.DB) error) {
	t.Helper()
	rep := crash.Run(t, crash.Config{Trials: trials, Seed: seed,
		Prepare: crashStart(t, appendSim(), trained),
		Digest:  storeDigest,
	}, crashOp(op))
	if rep.Child {
		return
	}
	t.Logf("%s crash trials: %d (before %d, after %d, finished before the kill %d; %s %v)",
		what, rep.Trials, rep.Before, rep.After, rep.Finished, what, rep.OpTime)
}

// TestCrashTrainCells kills a process in the middle of training the cell
// model (read, fit, one commit of both cell spaces, the weights and the
// indexes) on a store of three datasets: the store must reopen exactly as
// before or with the whole model.
func TestCrashTrainCells(t *testing.T) {
	crashTest(t, "train cells", 21, fewCrashTrials(), false, func(ctx context.Context, db *store.DB) error {
		c := DefaultCellOptions()
		c.Model.Epochs, c.Model.Latent, c.Model.Hidden, c.Model.Seed = 15, 8, 64, 1
		_, err := TrainCells(ctx, db, c, nil, nil)
		return err
	})
}

// TestCrashRename kills a process renaming a dataset of a trained store
// (the dataset record, its name key and both models' names for it, one
// commit): the store must reopen with the old name everywhere or the new
// one everywhere.
func TestCrashRename(t *testing.T) {
	crashTest(t, "rename", 22, fewCrashTrials(), true, func(ctx context.Context, db *store.DB) error {
		_, err := Rename(ctx, db, "D2", "D2-renamed")
		return err
	})
}

// TestCrashLayout kills a process computing the cell map of a trained store
// (`genestore layout`: read, kNN graph and UMAP outside any transaction,
// one commit of the layout blob): the store must reopen without the map or
// with all of it.
func TestCrashLayout(t *testing.T) {
	crashTest(t, "layout", 23, fewCrashTrials(), true, func(ctx context.Context, db *store.DB) error {
		o := spacelayout.Options{Seed: 1, Layout: layout.DefaultOptions()}
		o.Layout.Threads, o.Layout.Epochs = 1, 200
		_, err := spacelayout.Compute(ctx, db, vocab.SpaceCells, o, nil)
		return err
	})
}
