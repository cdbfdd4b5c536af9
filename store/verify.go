package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"genestore/internal/sparse"

	bolt "go.etcd.io/bbolt"
)

// Verify decodes every record of the store, checking each checksum and
// layout, and that each dataset's parts agree (matrix rows, barcodes and
// columns match its record). It returns every problem found (errors.Join),
// each wrapping ErrCorrupt, or nil. It reads in one transaction, chunk by
// chunk, so memory stays bounded; on a large store it takes a while and
// honours ctx.
func (db *DB) Verify(ctx context.Context) error {
	if err := db.Check(ctx); err != nil {
		return err
	}
	var errs []error
	note := func(err error) {
		if err != nil && len(errs) < 100 {
			errs = append(errs, err)
		}
	}
	err := db.View(func(tx *Tx) error {
		dsets, err := tx.Datasets()
		if err != nil {
			note(err)
		}
		for _, d := range dsets {
			if err := ctx.Err(); err != nil {
				return err
			}
			note(tx.verifyDataset(ctx, d))
		}
		eachValue := func(name []byte, dec func(k, v []byte) error) {
			b := tx.btx.Bucket(name)
			if b == nil {
				note(fmt.Errorf("%w: bucket %q missing", ErrCorrupt, name))
				return
			}
			note(b.ForEach(func(k, v []byte) error {
				if v == nil {
					return nil
				}
				if err := dec(k, v); err != nil {
					note(fmt.Errorf("%s/%x: %w", name, k, err))
				}
				return nil
			}))
		}
		eachValue(bGenes, func(_, v []byte) error { _, err := decodeGene(v); return err })
		eachValue(bEdgeMeta, func(_, v []byte) error { _, err := decodeEdgeSet(v); return err })
		eachValue(bCollections, func(_, v []byte) error { _, err := decodeCollection(v); return err })
		// eachNested decodes every value of every sub-bucket of root; key
		// formats the value's key for the message.
		eachNested := func(root []byte, key func([]byte) string, dec func(v []byte) error) {
			note(forEachNested(tx.btx.Bucket(root), func(sub string, b *bolt.Bucket) error {
				return b.ForEach(func(k, v []byte) error {
					if err := dec(v); err != nil {
						note(fmt.Errorf("%s/%s/%s: %w", root, sub, key(k), err))
					}
					return nil
				})
			}))
		}
		hexKey := func(k []byte) string { return fmt.Sprintf("%x", k) }
		strKey := func(k []byte) string { return string(k) }
		eachNested(bEdges, hexKey, func(v []byte) error { _, err := decodeAdjacency(v); return err })
		eachNested(bClusterings, strKey, func(v []byte) error { _, err := decodeClustering(v); return err })
		eachNested(bPredictions, strKey, func(v []byte) error { _, err := decodePredictions(v); return err })
		tx.verifyNetworks(note)
		tx.verifyLayers(note)
		note(forEachNested(tx.btx.Bucket(bBlobs), func(kind string, b *bolt.Bucket) error {
			return b.ForEachBucket(func(name []byte) error {
				_, err := tx.Blob(kind, string(name))
				note(err)
				return nil
			})
		}))
		spaces, err := tx.Spaces()
		note(err)
		for _, s := range spaces {
			for _, set := range s.Sets {
				if err := ctx.Err(); err != nil {
					return err
				}
				ids, _, _, err := tx.Embeddings(s.Name, set.Dataset)
				if err != nil {
					note(err)
				} else if len(ids) != set.Count {
					note(fmt.Errorf("%w: space %q dataset %d: %d vectors, record says %d", ErrCorrupt, s.Name, set.Dataset, len(ids), set.Count))
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return errors.Join(errs...)
}

// forEachNested calls fn for each sub-bucket of root.
func forEachNested(root *bolt.Bucket, fn func(name string, b *bolt.Bucket) error) error {
	if root == nil {
		return fmt.Errorf("%w: bucket missing", ErrCorrupt)
	}
	return root.ForEachBucket(func(k []byte) error {
		name := string(k)
		if len(k) == 4 {
			name = fmt.Sprint(binary.BigEndian.Uint32(k))
		}
		return fn(name, root.Bucket(k))
	})
}

// verifyDataset decodes one dataset's matrix chunk by chunk and checks its
// parts against its record.
func (tx *Tx) verifyDataset(ctx context.Context, d DatasetInfo) error {
	wrap := func(err error) error {
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrCorrupt) {
			// A part of a stored dataset that cannot be found (ErrNotFound
			// from Barcodes, DatasetGenes, Obs) is damage to the store.
			return fmt.Errorf("%w: dataset %q (%d): %w", ErrCorrupt, d.Name, d.ID, err)
		}
		return fmt.Errorf("dataset %q (%d): %w", d.Name, d.ID, err)
	}
	mb, err := tx.bucket(bMatrix)
	if err != nil {
		return err
	}
	prefix := u32key(d.ID)
	c := mb.Cursor()
	rows, nnz := 0, int64(0)
	scratch := &sparse.CSR{}
	for k, v := c.Seek(prefix); k != nil && len(k) == 8 && string(k[:4]) == string(prefix); k, v = c.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		scratch.Indptr = append(scratch.Indptr[:0], 0)
		scratch.Indices, scratch.Data = scratch.Indices[:0], scratch.Data[:0]
		first, n, err := decodeMatrixChunk(v, d.Genes, scratch, 0, int(^uint(0)>>1))
		if err != nil {
			return wrap(err)
		}
		if first != rows {
			return wrap(fmt.Errorf("%w: matrix chunk starts at row %d, expected %d", ErrCorrupt, first, rows))
		}
		rows += n
		nnz += int64(len(scratch.Data))
	}
	if rows != d.Cells || nnz != d.NNZ {
		return wrap(fmt.Errorf("%w: matrix holds %d rows and %d nonzeros, record says %d and %d", ErrCorrupt, rows, nnz, d.Cells, d.NNZ))
	}
	bc, err := tx.Barcodes(d.ID)
	if err != nil {
		return wrap(err)
	}
	if len(bc) != d.Cells {
		return wrap(fmt.Errorf("%w: %d barcodes for %d cells", ErrCorrupt, len(bc), d.Cells))
	}
	genes, err := tx.DatasetGenes(d.ID)
	if err != nil {
		return wrap(err)
	}
	if len(genes) != d.Genes {
		return wrap(fmt.Errorf("%w: %d gene ids for %d columns", ErrCorrupt, len(genes), d.Genes))
	}
	for _, name := range d.ObsColumns {
		col, err := tx.ObsColumn(d.ID, name)
		if err != nil {
			return wrap(err)
		}
		if len(col) != d.Cells {
			return wrap(fmt.Errorf("%w: obs column %q has %d values for %d cells", ErrCorrupt, name, len(col), d.Cells))
		}
	}
	return nil
}
