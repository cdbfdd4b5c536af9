package spacelayout

import (
	"errors"
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
