package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"genestore/index"
	"genestore/store"
	"genestore/train/gnn"
	"genestore/train/sim"
	"genestore/vecindex"
	"genestore/vocab"
)

// appendSim is a small simulation with a fourth dataset to append.
func appendSim() sim.Config {
	cfg := smallSim()
	cfg.Datasets = 4
	cfg.Cells = 300
	return cfg
}

// trainBoth trains small gene and cell models on every dataset of db.
// trainSmallGenes trains the tests' small gene model (200 genes a
// dataset, 8 dimensions, seed 1) for epochs epochs.
func trainSmallGenes(t testing.TB, db *store.DB, epochs int) {
	t.Helper()
	g := DefaultGeneOptions()
	g.HVG, g.Model.Epochs, g.Model.Dim, g.Model.Hidden, g.Model.Seed = 200, epochs, 8, 32, 1
	if _, err := TrainGenes(context.Background(), db, g, nil, nil); err != nil {
		t.Fatal(err)
	}
}

func trainBoth(t testing.TB, db *store.DB) {
	ctx := context.Background()
	trainSmallGenes(t, db, 25)
	c := DefaultCellOptions()
	c.Model.Epochs, c.Model.Latent, c.Model.Hidden, c.Model.Seed = 15, 8, 64, 1
	if _, err := TrainCells(ctx, db, c, nil, nil); err != nil {
		t.Fatal(err)
	}
}

// spaceBytes returns every vector set of space as bytes, by dataset id.
func spaceBytes(t testing.TB, db *store.DB, space string) map[uint32][]byte {
	out := map[uint32][]byte{}
	err := db.View(func(tx *store.Tx) error {
		info, err := tx.Space(space)
		if err != nil {
			return err
		}
		for _, set := range info.Sets {
			ids, _, vecs, err := tx.Embeddings(space, set.Dataset)
			if err != nil {
				return err
			}
			var b bytes.Buffer
			binary.Write(&b, binary.LittleEndian, ids)
			binary.Write(&b, binary.LittleEndian, vecs)
			out[set.Dataset] = b.Bytes()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAppendKeepsExistingVectorsAndExtendsIndexes(t *testing.T) {
	ctx := context.Background()
	db, s := simStore(t, appendSim(), 3)
	trainBoth(t, db)
	genesBefore := spaceBytes(t, db, vocab.SpaceGenes)
	cellsBefore := spaceBytes(t, db, vocab.SpaceCells)

	res, err := Append(ctx, db, "D4", simDataset(s.Datasets[3]), AppendOptions{Seed: 3, Index: index.DefaultOptions()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.GeneVectors == 0 || res.CellVectors != 300 || res.SkippedGeneModel != "" || res.SkippedCellModel != "" {
		t.Fatalf("append result %+v", res)
	}
	genesAfter := spaceBytes(t, db, vocab.SpaceGenes)
	cellsAfter := spaceBytes(t, db, vocab.SpaceCells)
	for ds, b := range genesBefore {
		if ds == vocab.Consensus {
			continue // consensus vectors of the genes D4 has are updated by design
		}
		if !bytes.Equal(b, genesAfter[ds]) {
			t.Errorf("gene vectors of dataset %d changed on append", ds)
		}
	}
	for ds, b := range cellsBefore {
		if !bytes.Equal(b, cellsAfter[ds]) {
			t.Errorf("cell vectors of dataset %d changed on append", ds)
		}
	}
	if _, ok := cellsAfter[res.Dataset.ID]; !ok {
		t.Fatal("no cell vectors for the appended dataset")
	}
	// The saved indexes were extended in place: loading them rebuilds nothing
	// and finds the new cells.
	for _, space := range []string{vocab.SpaceGenes, vocab.SpaceCells} {
		ix := savedIndex(t, db, space)
		if space == vocab.SpaceCells && (!ix.Contains(vocab.EntityKey(res.Dataset.ID, 299)) || ix.Len() != 1200) {
			t.Errorf("cells index: %d vectors, new cell present %v", ix.Len(), ix.Contains(vocab.EntityKey(res.Dataset.ID, 299)))
		}
	}
	// Appended vectors share the model version of the space they join.
	err = db.View(func(tx *store.Tx) error {
		for _, space := range []string{vocab.SpaceGenes, vocab.SpaceCells} {
			info, err := tx.Space(space)
			if err != nil {
				return err
			}
			for _, set := range info.Sets {
				if set.Provenance.ModelVersion != info.Sets[0].Provenance.ModelVersion {
					t.Errorf("%s: set %d has model %s, others %s", space, set.Dataset, set.Provenance.ModelVersion, info.Sets[0].Provenance.ModelVersion)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A name that exists is refused and changes nothing.
	digest, _ := db.Digest()
	if _, err := Append(ctx, db, "D4", simDataset(s.Datasets[3]), AppendOptions{}, nil); !errors.Is(err, store.ErrDatasetExists) {
		t.Fatalf("second append of D4: %v", err)
	}
	if d2, _ := db.Digest(); d2 != digest {
		t.Fatal("a failed append changed the store")
	}
}

// TestAppendAfterConcurrentCommit commits another append between Append's
// index load and its write transaction: the saved indexes must hold both
// datasets' vectors, not only the later append's added to a stale index.
func TestAppendAfterConcurrentCommit(t *testing.T) {
	ctx := context.Background()
	cfg := appendSim()
	cfg.Datasets = 5
	db, s := simStore(t, cfg, 3)
	trainBoth(t, db)
	var first *AppendResult
	testHookBeforeAppendTx = func() {
		testHookBeforeAppendTx = nil
		var err error
		if first, err = Append(ctx, db, "D5", simDataset(s.Datasets[4]), AppendOptions{Seed: 5, Index: index.DefaultOptions()}, nil); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { testHookBeforeAppendTx = nil })
	second, err := Append(ctx, db, "D4", simDataset(s.Datasets[3]), AppendOptions{Seed: 3, Index: index.DefaultOptions()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first == nil {
		t.Fatal("the hook did not run")
	}
	for _, space := range []string{vocab.SpaceGenes, vocab.SpaceCells} {
		ix := savedIndex(t, db, space)
		var want int
		err := db.View(func(tx *store.Tx) error {
			v, err := vecindex.ReadVectors(tx, space)
			want = len(v.Keys)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if ix.Len() != want {
			t.Errorf("%s: saved index holds %d vectors, the store %d", space, ix.Len(), want)
		}
		// every cell row exists; for genes, the dataset's first gene vector
		for _, ds := range []uint32{first.Dataset.ID, second.Dataset.ID} {
			var key uint64
			err := db.View(func(tx *store.Tx) error {
				ids, _, _, err := tx.Embeddings(space, ds)
				if err == nil && len(ids) > 0 {
					key = vocab.EntityKey(ds, ids[0])
				}
				return err
			})
			if err != nil || key == 0 {
				t.Fatalf("%s: no vectors of dataset %d in the store (%v)", space, ds, err)
			}
			if !ix.Contains(key) {
				t.Errorf("%s: saved index lacks dataset %d", space, ds)
			}
		}
	}
}

// retrainAcross retrains space's model (the tests' small shape, seed 2)
// with during run just before the commit, and checks that the retrain fails
// with ErrConflict and leaves the store as during left it (what names the
// concurrent write in failures).
func retrainAcross(t *testing.T, db *store.DB, space, what string, during func()) {
	t.Helper()
	ctx := context.Background()
	var after string
	testHookBeforeTrainCommit = func(string) {
		testHookBeforeTrainCommit = nil
		during()
		after, _ = db.Digest()
	}
	t.Cleanup(func() { testHookBeforeTrainCommit = nil })
	var err error
	if space == vocab.SpaceGenes {
		g := DefaultGeneOptions()
		g.HVG, g.Model.Epochs, g.Model.Dim, g.Model.Hidden, g.Model.Seed = 200, 5, 8, 32, 2
		_, err = TrainGenes(ctx, db, g, nil, nil)
	} else {
		c := DefaultCellOptions()
		c.Model.Epochs, c.Model.Latent, c.Model.Hidden, c.Model.Seed = 3, 8, 64, 2
		_, err = TrainCells(ctx, db, c, nil, nil)
	}
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("retrain across %s: %v, want ErrConflict", what, err)
	}
	if d, _ := db.Digest(); after == "" || d != after {
		t.Fatal("the refused retrain changed the store")
	}
}

// TestTrainConflictsWithConcurrentAppend commits an append while a retrain
// runs: the retrain would replace the space without the appended vectors,
// so it must fail with ErrConflict and write nothing.
func TestTrainConflictsWithConcurrentAppend(t *testing.T) {
	ctx := context.Background()
	for _, space := range []string{vocab.SpaceGenes, vocab.SpaceCells} {
		t.Run(space, func(t *testing.T) {
			db, s := simStore(t, appendSim(), 3)
			trainBoth(t, db)
			retrainAcross(t, db, space, "an append", func() {
				if _, err := Append(ctx, db, "D4", simDataset(s.Datasets[3]), AppendOptions{Seed: 3}, nil); err != nil {
					t.Error(err)
				}
			})
		})
	}
}

// TestTrainCellsConflictsOnLoadings: train cells also replaces the
// cell-genes space, so a write to it during training (another process,
// now that training holds no lock) is a conflict too.
func TestTrainCellsConflictsOnLoadings(t *testing.T) {
	ctx := context.Background()
	db, _ := simStore(t, appendSim(), 3)
	trainBoth(t, db)
	testHookBeforeTrainCommit = func(string) {
		testHookBeforeTrainCommit = nil
		if err := db.Update(func(tx *store.Tx) error { return tx.DeleteEmbeddings(vocab.SpaceCellGenes, vocab.Consensus) }); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { testHookBeforeTrainCommit = nil })
	c := DefaultCellOptions()
	c.Model.Epochs, c.Model.Latent, c.Model.Hidden, c.Model.Seed = 3, 8, 64, 2
	if _, err := TrainCells(ctx, db, c, nil, nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("retrain across a write to cell-genes: %v, want ErrConflict", err)
	}
}

// TestReadersDuringAppend queries the store from other goroutines while a
// dataset is appended: every read succeeds and sees either all or none of
// the new dataset.
func TestReadersDuringAppend(t *testing.T) {
	ctx := context.Background()
	db, s := simStore(t, appendSim(), 3)
	trainBoth(t, db)
	var stop atomic.Bool
	var reads, sawNew atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				err := db.View(func(tx *store.Tx) error {
					list, err := tx.Datasets()
					if err != nil {
						return err
					}
					info, err := tx.Space(vocab.SpaceCells)
					if err != nil {
						return err
					}
					// The dataset and its vectors arrive together.
					if len(list) != len(info.Sets) {
						return errors.New("datasets and cell vector sets disagree: a half-applied append is visible")
					}
					if len(list) == 4 {
						sawNew.Add(1)
					}
					v, err := tx.Embedding(vocab.SpaceCells, list[0].ID, 0)
					if err != nil {
						return err
					}
					for _, x := range v {
						if math.IsNaN(float64(x)) {
							return errors.New("NaN in an existing vector")
						}
					}
					return nil
				})
				if err != nil {
					errc <- err
					return
				}
				reads.Add(1)
			}
		}()
	}
	_, err := Append(ctx, db, "D4", simDataset(s.Datasets[3]), AppendOptions{Seed: 3}, nil)
	// Let the readers see the committed state too.
	for sawNew.Load() == 0 && len(errc) == 0 {
		if err != nil {
			break
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errc)
	if err != nil {
		t.Fatal(err)
	}
	for e := range errc {
		t.Fatal(e)
	}
	if reads.Load() == 0 {
		t.Fatal("no read completed during the append")
	}
	t.Logf("%d reads during and after the append", reads.Load())
}

// TestCrashAppend kills a process in the middle of an append: the store
// must reopen holding exactly the three trained datasets, or all four.
func TestCrashAppend(t *testing.T) {
	crashTest(t, "append", 4, crashTrials(), true, func(ctx context.Context, db *store.DB) error {
		s, err := sim.Generate(ctx, appendSim())
		if err != nil {
			return err
		}
		_, err = Append(ctx, db, "D4", simDataset(s.Datasets[3]), AppendOptions{Seed: 3}, nil)
		return err
	})
}

// TestCrashTrain kills a process in the middle of training the gene model
// (co-expression graphs, vectors, weights and index: one commit) on a store
// that holds three datasets: the store must reopen exactly as before or
// with everything the run writes.
func TestCrashTrain(t *testing.T) {
	crashTest(t, "training", 5, crashTrials(), false, func(ctx context.Context, db *store.DB) error {
		g := DefaultGeneOptions()
		g.HVG, g.Model.Epochs, g.Model.Dim, g.Model.Hidden, g.Model.Seed = 200, 40, 8, 32, 1
		_, err := TrainGenes(ctx, db, g, nil, nil)
		return err
	})
}

// crashStart is the starting state of the crash tests: a store holding the
// first three datasets of cfg, with both models trained if trained is set.
func crashStart(t *testing.T, cfg sim.Config, trained bool) func(dir string) error {
	return func(dir string) error {
		s, err := sim.Generate(context.Background(), cfg)
		if err != nil {
			return err
		}
		db := openAt(t, filepath.Join(dir, "s.db"))
		defer db.Close()
		for _, d := range s.Datasets[:3] {
			if _, err := db.AddDataset(context.Background(), d.Name, simDataset(d), store.AddOptions{}); err != nil {
				return err
			}
		}
		if trained {
			trainBoth(t, db)
		}
		return nil
	}
}

// storeDigest reopens the store in dir as a user would after a crash,
// verifies every record, and returns its logical digest.
func storeDigest(dir string) (string, error) {
	db, err := store.Open(filepath.Join(dir, "s.db"), &store.Options{Clock: fixedClock})
	if err != nil {
		return "", err
	}
	defer db.Close()
	if err := db.Verify(context.Background()); err != nil {
		return "", err
	}
	return db.Digest()
}

// TestAppendKeepsConsensusProvenance: the consensus averages every
// dataset's vectors, so after an append its provenance still names the
// training run's datasets and options, with the new dataset added (it
// once named the appended dataset alone), and the stored consensus is
// the model's.
func TestAppendKeepsConsensusProvenance(t *testing.T) {
	ctx := context.Background()
	db, s := simStore(t, appendSim(), 3)
	trainSmallGenes(t, db, 25)
	var before store.Provenance
	consensus := func(tx *store.Tx) store.Provenance {
		info, err := tx.Space(vocab.SpaceGenes)
		if err != nil {
			t.Fatal(err)
		}
		for _, set := range info.Sets {
			if set.Dataset == vocab.Consensus {
				return set.Provenance
			}
		}
		t.Fatal("no consensus set")
		return store.Provenance{}
	}
	db.View(func(tx *store.Tx) error { before = consensus(tx); return nil })
	if _, err := Append(ctx, db, "D4", simDataset(s.Datasets[3]), AppendOptions{Seed: 3, Index: index.DefaultOptions()}, nil); err != nil {
		t.Fatal(err)
	}
	err := db.View(func(tx *store.Tx) error {
		after := consensus(tx)
		d4, err := tx.DatasetByName("D4")
		if err != nil {
			return err
		}
		want := append(slices.Clone(before.Datasets), d4.ID)
		if !slices.Equal(after.Datasets, want) {
			t.Errorf("consensus datasets %v, want %v", after.Datasets, want)
		}
		var p map[string]any
		if err := json.Unmarshal(after.Params, &p); err != nil {
			return err
		}
		var b map[string]any
		json.Unmarshal(before.Params, &b)
		for k := range b {
			if _, ok := p[k]; !ok {
				t.Errorf("consensus params lost %q: %s", k, after.Params)
			}
		}
		if a, _ := p["appended"].([]any); len(a) != 1 || a[0] != "D4" {
			t.Errorf("consensus params appended = %v", p["appended"])
		}
		w, err := tx.Blob(vocab.BlobModel, vocab.ModelGenes)
		if err != nil {
			return err
		}
		var m gnn.Model
		if err := m.UnmarshalBinary(w); err != nil {
			return err
		}
		cons := m.Consensus(nil)
		ids, _, vecs, err := tx.Embeddings(vocab.SpaceGenes, vocab.Consensus)
		if err != nil {
			return err
		}
		if !slices.Equal(ids, cons.Genes) || !slices.Equal(vecs, cons.Vecs) {
			t.Errorf("stored consensus (%d genes) is not the model's (%d genes)", len(ids), len(cons.Genes))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
