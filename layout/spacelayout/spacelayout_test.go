package spacelayout

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"genestore/layout"
	"genestore/store"
	"genestore/vocab"
)

func TestLoadRejects(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	load := func() error {
		return db.View(func(tx *store.Tx) error { _, err := Load(tx, vocab.SpaceCells); return err })
	}
	if err := load(); !errors.Is(err, ErrNoLayout) {
		t.Fatalf("no layout: %v", err)
	}
	if err := db.PutBlob(vocab.BlobLayout, vocab.SpaceCells, []byte("GLAY\x01 not a layout")); err != nil {
		t.Fatal(err)
	}
	if err := load(); !errors.Is(err, layout.ErrCorrupt) {
		t.Fatalf("corrupt layout: %v", err)
	}
	b, err := layout.Encode(&layout.Layout{Space: vocab.SpaceGenes, Keys: []uint64{1}, Coords: []float32{0, 0}, Fitted: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutBlob(vocab.BlobLayout, vocab.SpaceCells, b); err != nil {
		t.Fatal(err)
	}
	if err := load(); err == nil {
		t.Fatal("a genes layout stored under cells was accepted")
	}
}

func TestForget(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var gen uint64
	if err := db.View(func(tx *store.Tx) (err error) { gen, err = tx.Generation(vocab.SpaceCells); return err }); err != nil {
		t.Fatal(err)
	}
	k := vocab.EntityKey
	l := &layout.Layout{Space: vocab.SpaceCells, Generation: gen, Fitted: 3,
		Keys: []uint64{k(1, 0), k(1, 1), k(2, 0)}, Coords: []float32{1, 2, 3, 4, 5, 6}}
	b, err := layout.Encode(l)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutBlob(vocab.BlobLayout, vocab.SpaceCells, b); err != nil {
		t.Fatal(err)
	}
	of2 := func(key uint64) bool { ds, _ := vocab.SplitEntityKey(key); return ds == 2 }
	forget := func(before uint64) (n int, got *layout.Layout) {
		err := db.Update(func(tx *store.Tx) (err error) {
			if n, err = Forget(tx, vocab.SpaceCells, before, of2); err != nil {
				return err
			}
			got, err = Load(tx, vocab.SpaceCells)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n, got
	}
	if n, got := forget(gen + 1); n != 0 || len(got.Keys) != 3 {
		t.Fatalf("a stale layout was changed: %d removed, %+v", n, got)
	}
	n, got := forget(gen)
	if n != 1 || len(got.Keys) != 2 || got.Keys[1] != k(1, 1) || got.Coords[3] != 4 || got.Fitted != 2 {
		t.Fatalf("forget: %d removed, %+v", n, got)
	}
	// forgetting every point leaves no layout (an empty one could not be extended)
	err = db.Update(func(tx *store.Tx) error {
		if n, err := Forget(tx, vocab.SpaceCells, got.Generation, func(uint64) bool { return true }); err != nil || n != 2 {
			return fmt.Errorf("forget all: %d, %v", n, err)
		}
		if _, err := Load(tx, vocab.SpaceCells); !errors.Is(err, ErrNoLayout) {
			return fmt.Errorf("after forgetting every point: %v, want ErrNoLayout", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
