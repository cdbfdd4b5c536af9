package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"genestore/index"
	"genestore/internal/testutil/crash"
	"genestore/store"
	"genestore/train/gnn"
	"genestore/train/sim"
	"genestore/vocab"
)

// graphIndex makes indexes search their graph at any size, so that recall
// is measured on the graph rather than on an exact scan.
var graphIndex = index.Options{ExactBelow: -1, M: 8, EfConstruction: 100, Seed: 1}

// trainFour ingests the four datasets of appendSim and trains both models
// with graph-searched indexes.
func trainFour(t testing.TB, db *store.DB, s *sim.Simulation) {
	t.Helper()
	ctx := context.Background()
	for _, d := range s.Datasets {
		if _, err := db.AddDataset(ctx, d.Name, simDataset(d), store.AddOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	g := DefaultGeneOptions()
	g.HVG, g.Model.Epochs, g.Model.Dim, g.Model.Hidden, g.Model.Seed, g.Index = 200, 25, 8, 32, 1, graphIndex
	if _, err := TrainGenes(ctx, db, g, nil, nil); err != nil {
		t.Fatal(err)
	}
	c := DefaultCellOptions()
	c.Model.Epochs, c.Model.Latent, c.Model.Hidden, c.Model.Seed, c.Index = 15, 8, 64, 1, graphIndex
	if _, err := TrainCells(ctx, db, c, nil, nil); err != nil {
		t.Fatal(err)
	}
}

// fourTrained is a new store holding appendSim's four datasets with both
// models trained (trainFour).
func fourTrained(t *testing.T) (*store.DB, *sim.Simulation) {
	t.Helper()
	cfg := appendSim()
	if *long {
		cfg.Cells = 2500 // 10,000 cells, so the cells index is well past ExactBelow's default
	}
	s, err := sim.Generate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := openAt(t, filepath.Join(t.TempDir(), "s.db"))
	t.Cleanup(func() { db.Close() })
	trainFour(t, db, s)
	return db, s
}

// recallAt10 is the mean recall@10 of ix's graph search against an exact
// scan, querying with every live vector (up to 300 of them).
func recallAt10(t testing.TB, ix *index.Index) float64 {
	t.Helper()
	ctx := context.Background()
	keys := ix.Keys()
	step := max(1, len(keys)/300)
	var hit, all int
	for i := 0; i < len(keys); i += step {
		q, _ := ix.Get(keys[i])
		got, err := ix.Search(ctx, q, 10, index.SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want, err := ix.Search(ctx, q, 10, index.SearchOptions{Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		in := map[uint64]bool{}
		for _, r := range want {
			in[r.Key] = true
		}
		for _, r := range got {
			if in[r.Key] {
				hit++
			}
		}
		all += len(want)
	}
	return float64(hit) / float64(all)
}

func TestDropKeepsOthersAndIndexes(t *testing.T) {
	t.Run("compacted", func(t *testing.T) { testDrop(t, 0) })
	t.Run("tombstones", func(t *testing.T) { testDrop(t, -1) })
}

// testDrop drops one of four datasets, its indexes compacted above the
// tombstone share compactAbove (DropOptions.CompactAbove).
func testDrop(t *testing.T, compactAbove float64) {
	ctx := context.Background()
	db, s := fourTrained(t)
	genesBefore := spaceBytes(t, db, vocab.SpaceGenes)
	cellsBefore := spaceBytes(t, db, vocab.SpaceCells)
	loadingsBefore := spaceBytes(t, db, vocab.SpaceCellGenes)
	drop, err := db.DatasetByName("D2")
	if err != nil {
		t.Fatal(err)
	}
	var dropGenes []uint32
	if err := db.View(func(tx *store.Tx) error {
		dropGenes, _, _, err = tx.Embeddings(vocab.SpaceGenes, drop.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	res, err := Drop(ctx, db, "D2", DropOptions{Index: graphIndex, CompactAbove: compactAbove}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("drop: %s; %s; indexes %+v", res.GeneModel, res.CellModel, res.Indexes)
	if res.Removed.Vectors[vocab.SpaceCells] != int(drop.Cells) || res.ConsensusUpdated == 0 {
		t.Errorf("drop result %+v", res)
	}
	if _, err := db.DatasetByName("D2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("D2 still stored: %v", err)
	}
	genesAfter := spaceBytes(t, db, vocab.SpaceGenes)
	cellsAfter := spaceBytes(t, db, vocab.SpaceCells)
	for ds, b := range genesBefore {
		if ds == vocab.Consensus || ds == drop.ID {
			continue
		}
		if !bytes.Equal(b, genesAfter[ds]) {
			t.Errorf("gene vectors of dataset %d changed on drop", ds)
		}
	}
	for ds, b := range cellsBefore {
		if ds != drop.ID && !bytes.Equal(b, cellsAfter[ds]) {
			t.Errorf("cell vectors of dataset %d changed on drop", ds)
		}
	}
	if _, ok := cellsAfter[drop.ID]; ok {
		t.Error("the dropped dataset keeps cell vectors")
	}
	if _, ok := genesAfter[drop.ID]; ok {
		t.Error("the dropped dataset keeps gene vectors")
	}
	for ds, b := range loadingsBefore {
		if !bytes.Equal(b, spaceBytes(t, db, vocab.SpaceCellGenes)[ds]) {
			t.Error("cell-genes loadings changed")
		}
	}
	checkConsensusWithout(t, db, drop.ID, dropGenes, genesBefore[vocab.Consensus])

	// The saved snapshots are current, hold exactly the space's vectors, and
	// keep their recall.
	for _, space := range []string{vocab.SpaceGenes, vocab.SpaceCells} {
		ix := savedIndex(t, db, space)
		var n int
		for _, b := range spaceBytes(t, db, space) {
			n += countVectors(t, db, space, b)
		}
		if ix.Len() != n || (compactAbove == 0) != (ix.Nodes() == ix.Len()) {
			t.Errorf("%s index: %d live, %d nodes; space has %d vectors", space, ix.Len(), ix.Nodes(), n)
		}
		for _, k := range ix.Keys() {
			if ds, _ := vocab.SplitEntityKey(k); ds == drop.ID {
				t.Fatalf("%s index keeps a key of the dropped dataset", space)
			}
		}
		r := recallAt10(t, ix)
		t.Logf("%s: recall@10 after drop %.3f (%d vectors)", space, r, ix.Len())
		if r < 0.95 {
			t.Errorf("%s: recall@10 %.3f < 0.95 after drop", space, r)
		}
	}
	if err := db.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	// The models forgot the dataset: appending it again works, under the
	// same name.
	if _, err := Append(ctx, db, "D2", simDataset(s.Datasets[1]), AppendOptions{Seed: 3, Index: graphIndex}, nil); err != nil {
		t.Fatalf("append after drop: %v", err)
	}
}

// countVectors returns how many vectors a set's bytes (ids then vectors)
// hold.
func countVectors(t testing.TB, db *store.DB, space string, b []byte) int {
	var dim int
	if err := db.View(func(tx *store.Tx) error {
		info, err := tx.Space(space)
		dim = info.Dim
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return len(b) / (4 + 4*dim)
}

// readLE decodes spaceBytes' layout (ids, then vectors, little-endian).
func readLE(t testing.TB, b []byte, ids []uint32, vecs []float32) {
	r := bytes.NewReader(b)
	if err := binary.Read(r, binary.LittleEndian, ids); err != nil {
		t.Fatal(err)
	}
	if err := binary.Read(r, binary.LittleEndian, vecs); err != nil {
		t.Fatal(err)
	}
}

// checkConsensusWithout checks that consensus vectors of genes the dropped
// dataset lacked are byte-identical, and that those of its genes equal a
// consensus computed by the stored gene model, which no longer has it.
func checkConsensusWithout(t *testing.T, db *store.DB, dropped uint32, dropGenes []uint32, before []byte) {
	t.Helper()
	var (
		idsB, idsA   []uint32
		vecsA, vecsB []float32
		dim          int
		model        gnn.Model
	)
	err := db.View(func(tx *store.Tx) error {
		var err error
		if idsA, dim, vecsA, err = tx.Embeddings(vocab.SpaceGenes, vocab.Consensus); err != nil {
			return err
		}
		w, err := tx.Blob(vocab.BlobModel, vocab.ModelGenes)
		if err != nil {
			return err
		}
		return model.UnmarshalBinary(w)
	})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(model.Datasets(), "D2") {
		t.Fatal("the gene model still has D2")
	}
	n := len(before) / (4 + 4*dim)
	idsB = make([]uint32, n)
	vecsB = make([]float32, n*dim)
	readLE(t, before, idsB, vecsB)
	after := map[uint32][]float32{}
	for i, g := range idsA {
		after[g] = vecsA[i*dim : (i+1)*dim]
	}
	cons := model.Consensus(nil)
	want := map[uint32][]float32{}
	for i, g := range cons.Genes {
		want[g] = cons.Vecs[i*dim : (i+1)*dim]
	}
	changed := 0
	for i, g := range idsB {
		old := vecsB[i*dim : (i+1)*dim]
		if _, had := slices.BinarySearch(dropGenes, g); !had {
			if !slices.Equal(old, after[g]) {
				t.Fatalf("consensus of gene %d (not in the dropped dataset) changed", g)
			}
			continue
		}
		if w, ok := want[g]; ok {
			if !slices.Equal(after[g], w) {
				t.Fatalf("consensus of gene %d is not the model's without the dataset", g)
			}
			if !slices.Equal(old, w) {
				changed++
			}
		} else if after[g] != nil {
			t.Fatalf("gene %d only the dropped dataset had keeps a consensus vector", g)
		}
	}
	if changed == 0 {
		t.Error("no consensus vector changed")
	}
	t.Logf("consensus: %d of %d vectors of the dropped dataset's genes changed", changed, len(dropGenes))
}

// TestCrashDrop kills a process in the middle of dropping one of four
// datasets: the store must reopen with all four or with three.
func TestCrashDrop(t *testing.T) {
	cfg := appendSim()
	rep := crash.Run(t, crash.Config{Trials: crashTrials(), Seed: 6,
		Prepare: func(dir string) error {
			s, err := sim.Generate(context.Background(), cfg)
			if err != nil {
				return err
			}
			db := openAt(t, filepath.Join(dir, "s.db"))
			defer db.Close()
			trainFour(t, db, s)
			return nil
		},
		Digest: storeDigest,
	}, func(dir string, ready func()) error {
		db, err := store.Open(filepath.Join(dir, "s.db"), &store.Options{Clock: fixedClock})
		if err != nil {
			return err
		}
		defer db.Close()
		ready()
		_, err = Drop(context.Background(), db, "D2", DropOptions{}, nil)
		return err
	})
	if rep.Child {
		return
	}
	t.Logf("drop crash trials: %d (before %d, after %d, finished before the kill %d; drop %v)",
		rep.Trials, rep.Before, rep.After, rep.Finished, rep.OpTime)
}

// TestRenameFollowsIntoModels renames a trained dataset: the models know it
// by its new name, so dropping it under that name removes its parts.
func TestRenameFollowsIntoModels(t *testing.T) {
	ctx := context.Background()
	db, _ := fourTrained(t)
	if _, err := Rename(ctx, db, "D2", "D1"); !errors.Is(err, store.ErrDatasetExists) {
		t.Fatalf("rename onto an existing name: %v", err)
	}
	res, err := Rename(ctx, db, "D2", "lung")
	if err != nil {
		t.Fatal(err)
	}
	if !res.GeneModel || !res.CellModel || res.Dataset.Name != "lung" {
		t.Fatalf("rename result %+v", res)
	}
	d, err := Drop(ctx, db, "lung", DropOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.ConsensusUpdated == 0 || d.CellModel == "dataset not in the cell model" {
		t.Fatalf("drop after rename did not reach the models: %+v", d)
	}
	if err := db.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestBackupDuringAppend takes backups through a second handle on the file
// (as another process would) while an append trains and commits: every
// backup opens, verifies, and holds three datasets or all four with the
// fourth's vectors.
func TestBackupDuringAppend(t *testing.T) {
	ctx := context.Background()
	db, s := simStore(t, appendSim(), 3)
	trainBoth(t, db)
	other, err := store.Open(db.Path(), &store.Options{Clock: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	done := make(chan error, 1)
	go func() {
		_, err := Append(ctx, db, "D4", simDataset(s.Datasets[3]), AppendOptions{Seed: 3}, nil)
		done <- err
	}()
	states := map[int]int{}
	during := 0
	for finished := false; !finished; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished = true
		default:
			during++
		}
		out := filepath.Join(t.TempDir(), "b.db")
		if _, err := other.Backup(ctx, out); err != nil {
			t.Fatal(err)
		}
		b, err := store.Open(out, &store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Verify(ctx); err != nil {
			t.Fatalf("backup %d: %v", len(states), err)
		}
		list, err := b.Datasets()
		if err != nil {
			t.Fatal(err)
		}
		cells := spaceBytes(t, b, vocab.SpaceCells)
		if len(cells) != len(list) {
			t.Errorf("backup with %d datasets has cell vectors of %d", len(list), len(cells))
		}
		states[len(list)]++
		b.Close()
	}
	t.Logf("backups while the append ran: %d; by datasets held: %v", during, states)
	if during == 0 || states[3] == 0 || states[4] == 0 {
		t.Errorf("want backups before and after the append's commit: %v (%d during)", states, during)
	}
}
