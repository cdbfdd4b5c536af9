package store

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// cancelEvery is how many keys the store walks (compactCopy,
// walkBuckets) visit between two looks at their context.
const cancelEvery = 1024

// compactCopy copies every bucket, key and bucket sequence of src into the
// empty dst, filling dst's pages, in write transactions of about txMax
// bytes of keys and values each: bbolt.Compact, except that it stops with
// ctx's error within cancelEvery keys of ctx ending (a large store's
// compaction could not be interrupted) and keeps each level's bucket
// instead of descending to it from the root for every key. On error dst
// holds a prefix of the copy; the caller discards it.
func compactCopy(ctx context.Context, dst, src *bolt.DB, txMax int64) error {
	return src.View(func(stx *bolt.Tx) error {
		c := &copier{ctx: ctx, dst: dst, max: txMax}
		var err error
		if c.tx, err = dst.Begin(true); err != nil {
			return err
		}
		defer func() {
			if c.tx != nil {
				c.tx.Rollback()
			}
		}()
		err = stx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if err := c.step(int64(len(name))); err != nil {
				return err
			}
			return c.copyNew(c.tx, [][]byte{name}, b)
		})
		if err != nil {
			return err
		}
		err = c.tx.Commit()
		c.tx = nil
		return err
	})
}

// copier is compactCopy's state: the open write transaction of dst, a
// count of its commits (gen: bucket handles of an older one are stale),
// and the bytes it holds.
type copier struct {
	ctx       context.Context
	dst       *bolt.DB
	tx        *bolt.Tx
	gen       int
	size, max int64
	keys      int
}

// step accounts for one key of sz bytes with its value: it commits and
// begins a new transaction first when that would pass the size bound, and
// every cancelEvery keys it returns ctx's error if any.
func (c *copier) step(sz int64) error {
	if c.keys++; c.keys%cancelEvery == 0 {
		if err := c.ctx.Err(); err != nil {
			return err
		}
	}
	if c.max > 0 && c.size+sz > c.max && c.size > 0 {
		err := c.tx.Commit()
		c.tx = nil
		if err != nil {
			return err
		}
		if c.tx, err = c.dst.Begin(true); err != nil {
			return err
		}
		c.gen++
		c.size = 0
	}
	c.size += sz
	return nil
}

// bucket returns the bucket at path in the current transaction, it and
// the buckets above it set to fill their pages (a bucket handle is new in
// each transaction, with bbolt's default of half).
func (c *copier) bucket(path [][]byte) *bolt.Bucket {
	b := c.tx.Bucket(path[0])
	b.FillPercent = 1.0
	for _, k := range path[1:] {
		b = b.Bucket(k)
		b.FillPercent = 1.0
	}
	return b
}

// copyBucket copies src's keys, values and nested buckets into the
// bucket at path, which exists and is empty.
func (c *copier) copyBucket(path [][]byte, src *bolt.Bucket) error {
	b, gen := c.bucket(path), c.gen
	cur := src.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if err := c.step(int64(len(k) + len(v))); err != nil {
			return err
		}
		if gen != c.gen {
			b, gen = c.bucket(path), c.gen
		}
		if v != nil {
			if err := b.Put(k, v); err != nil {
				return fmt.Errorf("bucket %q, key %x: %w", bytes.Join(path, []byte("/")), k, err)
			}
			continue
		}
		if err := c.copyNew(b, append(path[:len(path):len(path)], k), src.Bucket(k)); err != nil {
			return err
		}
	}
	return nil
}

// bucketMaker is a bbolt transaction or bucket: what new buckets go in.
type bucketMaker interface {
	CreateBucket(name []byte) (*bolt.Bucket, error)
}

// copyNew creates in parent the bucket named by path's last element, with
// src's sequence, and copies src into it.
func (c *copier) copyNew(parent bucketMaker, path [][]byte, src *bolt.Bucket) error {
	nb, err := parent.CreateBucket(path[len(path)-1])
	if err == nil {
		err = nb.SetSequence(src.Sequence())
	}
	if err != nil {
		return fmt.Errorf("bucket %q: %w", bytes.Join(path, []byte("/")), err)
	}
	return c.copyBucket(path, src)
}
