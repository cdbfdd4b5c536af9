package vecindex

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"genestore/index"
	"genestore/store"
	"genestore/vocab"
)

func putRandom(t *testing.T, db *store.DB, space string, ds uint32, n, dim int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	ids := make([]uint32, n)
	vecs := make([]float32, n*dim)
	for i := range ids {
		ids[i] = uint32(i)
	}
	for i := range vecs {
		vecs[i] = float32(r.NormFloat64())
	}
	if err := db.Update(func(tx *store.Tx) error {
		return tx.PutEmbeddings(space, ds, ids, dim, vecs, store.Provenance{Kind: "test"})
	}); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRebuildsMissingStaleAndCorruptSnapshots(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	putRandom(t, db, "genes", 1, 300, 8, 1)
	putRandom(t, db, "genes", vocab.Consensus, 200, 8, 2)

	var log bytes.Buffer
	load := func() *index.Index {
		t.Helper()
		log.Reset()
		ix, err := Load(ctx, db, "genes", index.DefaultOptions(), &log)
		if err != nil {
			t.Fatal(err)
		}
		return ix
	}
	ix := load()
	if !strings.Contains(log.String(), "no snapshot") || ix.Len() != 500 {
		t.Fatalf("first load: %q, %d vectors", log.String(), ix.Len())
	}
	if !ix.Contains(vocab.EntityKey(vocab.Consensus, 199)) || !ix.Contains(vocab.EntityKey(1, 299)) {
		t.Fatal("index lacks keys of the space")
	}
	if ix = load(); log.Len() != 0 {
		t.Fatalf("second load rebuilt: %q", log.String())
	}

	putRandom(t, db, "genes", 2, 50, 8, 3)
	if ix = load(); !strings.Contains(log.String(), "stale") || ix.Len() != 550 {
		t.Fatalf("after a write: %q, %d vectors", log.String(), ix.Len())
	}

	// Flip one byte in the middle of the snapshot: it must be noticed.
	var blob []byte
	if err := db.View(func(tx *store.Tx) (err error) { blob, err = tx.Blob(vocab.BlobIndex, "genes"); return err }); err != nil {
		t.Fatal(err)
	}
	blob[len(blob)/2] ^= 0x40
	if err := db.PutBlob(vocab.BlobIndex, "genes", blob); err != nil {
		t.Fatal(err)
	}
	if ix = load(); !strings.Contains(log.String(), "unreadable") || ix.Len() != 550 {
		t.Fatalf("after corruption: %q, %d vectors", log.String(), ix.Len())
	}
	if load(); log.Len() != 0 {
		t.Fatalf("load after repair rebuilt again: %q", log.String())
	}
}

func TestBuildSearchFindsItself(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	putRandom(t, db, "cells", 3, 400, 16, 9)
	ix, err := Load(ctx, db, "cells", index.DefaultOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var v []float32
	if err := db.View(func(tx *store.Tx) (err error) { v, err = tx.Embedding("cells", 3, 123); return err }); err != nil {
		t.Fatal(err)
	}
	res, err := ix.Search(ctx, v, 5, index.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Key != vocab.EntityKey(3, 123) || res[0].Distance > 1e-5 {
		t.Fatalf("nearest to cell 123 is %v", res[0])
	}
}

func TestCurrentKeepsAMatchingIndexAndRebuildsOthers(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	putRandom(t, db, "cells", 1, 100, 4, 1)
	ix, err := Load(ctx, db, "cells", index.DefaultOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	current := func(have *index.Index) *index.Index {
		t.Helper()
		var got *index.Index
		if err := db.View(func(tx *store.Tx) (err error) {
			got, err = Current(ctx, tx, "cells", have, index.DefaultOptions())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := current(ix); got != ix {
		t.Fatal("a current index was rebuilt")
	}
	putRandom(t, db, "cells", 2, 30, 4, 2) // another writer commits
	got := current(ix)
	if got == ix || got.Len() != 130 || !got.Contains(vocab.EntityKey(2, 29)) {
		t.Fatalf("stale index: got %d vectors, same %v", got.Len(), got == ix)
	}
	if got := current(nil); got.Len() != 130 {
		t.Fatalf("no index: got %d vectors", got.Len())
	}
}
