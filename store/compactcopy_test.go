package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// countdownCtx is a context whose Err turns to context.Canceled on its
// n-th call: cancellation in the middle of a walk, at a known point.
type countdownCtx struct {
	context.Context
	n int
}

func (c *countdownCtx) Err() error {
	if c.n--; c.n <= 0 {
		return context.Canceled
	}
	return nil
}

// dumpBolt lists every bucket path with its sequence and every key with
// its value, nested buckets too, in order.
func dumpBolt(t *testing.T, db *bolt.DB) string {
	t.Helper()
	var sb strings.Builder
	var walk func(path string, b *bolt.Bucket)
	walk = func(path string, b *bolt.Bucket) {
		fmt.Fprintf(&sb, "B %s seq %d\n", path, b.Sequence())
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if v == nil {
				walk(path+"/"+string(k), b.Bucket(k))
				continue
			}
			fmt.Fprintf(&sb, "K %s/%x = %x\n", path, k, v)
		}
	}
	if err := db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { walk(string(name), b); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

func openBoltT(t *testing.T, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestCompactCopy: the copy holds every key, value, nested bucket and
// bucket sequence, across many commits (a tiny transaction bound) that
// fall inside nested buckets; a context ended mid-walk stops it with its
// error.
func TestCompactCopy(t *testing.T) {
	dir := t.TempDir()
	src := openBoltT(t, filepath.Join(dir, "src.db"))
	err := src.Update(func(tx *bolt.Tx) error {
		for i := range 3 {
			top, err := tx.CreateBucket(fmt.Appendf(nil, "top%d", i))
			if err != nil {
				return err
			}
			if err := top.SetSequence(uint64(100 + i)); err != nil {
				return err
			}
			for j := range 500 {
				if err := top.Put(fmt.Appendf(nil, "k%04d", j), bytes.Repeat([]byte{byte(j)}, j%37)); err != nil {
					return err
				}
			}
			sub, err := top.CreateBucket([]byte("sub"))
			if err != nil {
				return err
			}
			if _, err := sub.NextSequence(); err != nil {
				return err
			}
			deep, err := sub.CreateBucket([]byte("deep"))
			if err != nil {
				return err
			}
			for j := range 700 {
				if err := deep.Put(fmt.Appendf(nil, "d%04d", j), fmt.Appendf(nil, "v%d-%d", i, j)); err != nil {
					return err
				}
			}
			if _, err := top.CreateBucket([]byte("empty")); err != nil {
				return err
			}
			// a key after the nested buckets: written after commits inside them
			if err := top.Put([]byte("zz"), []byte("last")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := dumpBolt(t, src)
	for _, txMax := range []int64{0, 1 << 10, 1 << 20} {
		dst := openBoltT(t, filepath.Join(dir, fmt.Sprintf("dst%d.db", txMax)))
		if err := compactCopy(context.Background(), dst, src, txMax); err != nil {
			t.Fatalf("txMax %d: %v", txMax, err)
		}
		if got := dumpBolt(t, dst); got != want {
			t.Fatalf("txMax %d: copy differs", txMax)
		}
	}
	dst := openBoltT(t, filepath.Join(dir, "cancelled.db"))
	if err := compactCopy(&countdownCtx{context.Background(), 2}, dst, src, 1<<10); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled copy: %v", err)
	}
}

// TestCompactCancelled: an in-place Compact interrupted in the middle of
// its copy returns the context's error and leaves the store as it was,
// with no temporary file; so does a Check interrupted in its walk.
func TestCompactCancelled(t *testing.T) {
	db := openTemp(t)
	fourDatasets(t, db)
	digest, err := db.Digest()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	// Err is called once before the copy starts, then every cancelEvery
	// keys: the third call falls in the middle of the copy.
	if _, err := db.Compact(&countdownCtx{context.Background(), 3}, ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("compact: %v", err)
	}
	if d, err := db.Digest(); err != nil || d != digest {
		t.Fatalf("the interrupted compaction changed the store: %v", err)
	}
	if after, err := os.Stat(db.Path()); err != nil || after.Size() != fi.Size() {
		t.Fatalf("store size %d before, after %v (%v)", fi.Size(), after.Size(), err)
	}
	ents, err := os.ReadDir(filepath.Dir(db.Path()))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != filepath.Base(db.Path()) && !strings.HasSuffix(e.Name(), ".lock") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
	if err := db.Check(&countdownCtx{context.Background(), 1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("check: %v", err)
	}
	// The walk itself stops (Check would also see the context's end just
	// after it): its first look, at key cancelEvery, ends it.
	err = db.boltView(func(tx *bolt.Tx) error { return walkBuckets(&countdownCtx{context.Background(), 1}, tx) })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("walkBuckets: %v", err)
	}
	if _, err := db.Compact(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if d, err := db.Digest(); err != nil || d != digest {
		t.Fatalf("compaction after the interrupted one: %v", err)
	}
}
