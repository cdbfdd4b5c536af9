package store

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"genestore/internal/testutil/crash"
	"genestore/vocab"
)

// storeDigest reopens the store in dir for writing (as a user would after a
// crash), verifies every record, and returns its logical digest.
func storeDigest(dir string) (string, error) {
	db, err := Open(filepath.Join(dir, "s.db"), &Options{Clock: fixedClock})
	if err != nil {
		return "", err
	}
	defer db.Close()
	if err := db.Verify(context.Background()); err != nil {
		return "", err
	}
	return db.Digest()
}

func crashTrials() int {
	if *long {
		return 100
	}
	return 10
}

// prepareOneDataset creates a store holding one small dataset.
func prepareOneDataset(dir string) error {
	db, err := Open(filepath.Join(dir, "s.db"), &Options{Clock: fixedClock})
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.AddDataset(context.Background(), "first", randomDataset(1, "a", 500, 300, 20, true), AddOptions{})
	return err
}

// TestCrashIngest kills a process in the middle of ingesting a 30k-cell
// dataset: the store must reopen holding exactly the one dataset it had, or
// both.
func TestCrashIngest(t *testing.T) {
	rep := crash.Run(t, crash.Config{Trials: crashTrials(), Seed: 1, Prepare: prepareOneDataset, Digest: storeDigest},
		func(dir string, ready func()) error {
			ds := randomDataset(2, "b", 30000, 2000, 40, true)
			db, err := Open(filepath.Join(dir, "s.db"), &Options{Clock: fixedClock})
			if err != nil {
				return err
			}
			ready()
			defer db.Close()
			_, err = db.AddDataset(context.Background(), "second", ds, AddOptions{BatchKey: "batch"})
			return err
		})
	if rep.Child {
		return
	}
	t.Logf("ingest crash trials: %d (state before: %d, after: %d, child finished before the kill: %d; op %v)",
		rep.Trials, rep.Before, rep.After, rep.Finished, rep.OpTime)
}

// TestCrashDerived kills a process writing embeddings, a blob, edges and a
// clustering in one transaction (what training commits).
func TestCrashDerived(t *testing.T) {
	rep := crash.Run(t, crash.Config{Trials: crashTrials(), Seed: 2, Prepare: prepareOneDataset, Digest: storeDigest},
		func(dir string, ready func()) error {
			r := rand.New(rand.NewPCG(5, 6))
			const n, dim = 40000, 32
			ids, vecs := randomVectors(r, n, dim)
			blob := make([]byte, 6<<20)
			for i := range blob {
				blob[i] = byte(r.Uint32())
			}
			edges := make([]Edge, 0, 20000)
			for a := uint32(1); a <= 200; a++ {
				for b := a + 1; b <= a+100; b++ {
					edges = append(edges, Edge{a, b, r.Float32() - 0.5})
				}
			}
			keys := make([]uint64, n)
			labels := make([]int32, n)
			for i := range keys {
				keys[i] = vocab.EntityKey(1, uint32(i))
				labels[i] = int32(i % 7)
			}
			db, err := Open(filepath.Join(dir, "s.db"), &Options{Clock: fixedClock})
			if err != nil {
				return err
			}
			defer db.Close()
			ready()
			return db.Update(func(tx *Tx) error {
				if err := tx.PutEmbeddings("cells/v1", 1, ids, dim, vecs, testProv); err != nil {
					return err
				}
				if err := tx.PutBlob("model", "cells/v1", blob); err != nil {
					return err
				}
				if err := tx.PutEdges(1, edges, testProv); err != nil {
					return err
				}
				return tx.PutClustering("cells/v1", "louvain", keys, labels, testProv)
			})
		})
	if rep.Child {
		return
	}
	t.Logf("derived-write crash trials: %d (before: %d, after: %d, finished: %d; op %v)",
		rep.Trials, rep.Before, rep.After, rep.Finished, rep.OpTime)
}
