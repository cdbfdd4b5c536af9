package pipeline

import (
	"context"
	"errors"
	"testing"
	"time"

	"genestore/store"
)

// TestAppendHoldsNoLockWhileTraining: while Append trains the new parts,
// another DB on the same file (another process, in effect) reads with a
// short lock timeout and never fails: the appender holds the exclusive lock
// only for its commit.
func TestAppendHoldsNoLockWhileTraining(t *testing.T) {
	ctx := context.Background()
	cfg := appendSim()
	cfg.Cells = 1500
	db, s := simStore(t, cfg, 3)
	trainBoth(t, db)
	other, err := store.Open(db.Path(), &store.Options{ReadOnly: true, Timeout: 600 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	done := make(chan error, 1)
	start := time.Now()
	var res *AppendResult
	go func() {
		var err error
		res, err = Append(ctx, db, "D4", simDataset(s.Datasets[3]), AppendOptions{Seed: 3}, nil)
		done <- err
	}()
	reads, slowest := 0, time.Duration(0)
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			t.Logf("append %v (training %.2fs, commit %.2fs); %d reads meanwhile, slowest %v",
				took.Round(time.Millisecond), res.GeneSeconds+res.CellSeconds, res.CommitSeconds, reads, slowest.Round(time.Millisecond))
			if res.GeneSeconds+res.CellSeconds < 1.2 {
				t.Logf("training took under the 2×timeout this test needs to tell lock-free training apart")
			}
			return
		default:
		}
		t0 := time.Now()
		_, err := other.Datasets()
		if errors.Is(err, store.ErrLocked) {
			t.Fatalf("read from another DB during the append: %v", err)
		} else if err != nil {
			t.Fatal(err)
		}
		reads++
		slowest = max(slowest, time.Since(t0))
		time.Sleep(5 * time.Millisecond)
	}
}
