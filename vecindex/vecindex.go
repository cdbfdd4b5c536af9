// Package vecindex keeps one HNSW index per embedding space of a store: it
// builds the index from the space's vectors, saves it as an opaque blob
// (kind "index", name = space) stamped with the space's generation, and loads
// it back, rebuilding with a message when the snapshot is missing, stale
// (vectors written since) or corrupt.
//
// Every vector of a space goes into one index, keyed vocab.EntityKey(dataset,
// entity); consensus vectors sit under vocab.Consensus. Queries restricted to
// some datasets use a filtered search on the key's dataset half. A space's
// metric is fixed (MetricOf: inner product for cell-genes, else cosine).
//
// A space may have its own Settings (quantization, M, beams; settings.go),
// saved as a blob (kind "index-settings", name = space) and applied by every
// build of that space's index: Rebuild, Current, the pipeline's training,
// and the query backend's in-memory rebuilds. Reindex saves settings and the
// index built with them in one write; Describe reads them with the
// snapshot's header. An int8 index holds codes only: the query backend
// re-ranks its beam with the floats read from the store
// (index.SearchOptions.Floats), and packs its links when it loads it
// (index.Index.PackLinks).
//
// Index knows nothing of stores, and store keeps the snapshot as bytes:
// this package is where the two meet.
package vecindex

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"genestore/index"
	"genestore/store"
	"genestore/vocab"
)

// Vectors is a copy of every vector of one space.
type Vectors struct {
	Space      string
	Dim        int
	Generation uint64
	Keys       []uint64  // vocab.EntityKey(dataset, id)
	Vecs       []float32 // len(Keys) × Dim, row-major
}

// ReadVectors copies every vector of space out of tx.
func ReadVectors(tx *store.Tx, space string) (*Vectors, error) {
	info, err := tx.Space(space)
	if err != nil {
		return nil, err
	}
	v := &Vectors{Space: space, Dim: info.Dim, Generation: info.Generation}
	for _, set := range info.Sets {
		ids, dim, vecs, err := tx.Embeddings(space, set.Dataset)
		if err != nil {
			return nil, err
		}
		if dim != info.Dim {
			return nil, fmt.Errorf("vecindex: space %q: set of dataset %d has dim %d, space has %d", space, set.Dataset, dim, info.Dim)
		}
		for _, id := range ids {
			v.Keys = append(v.Keys, vocab.EntityKey(set.Dataset, id))
		}
		v.Vecs = append(v.Vecs, vecs...)
	}
	return v, nil
}

// Build indexes v with opts.
func Build(ctx context.Context, v *Vectors, opts index.Options) (*index.Index, error) {
	ix, err := index.New(v.Dim, opts)
	if err != nil {
		return nil, err
	}
	if err := ix.AddBatch(ctx, v.Keys, v.Vecs); err != nil {
		return nil, fmt.Errorf("vecindex: space %q: %w", v.Space, err)
	}
	ix.SetGeneration(v.Generation)
	return ix, nil
}

// Save stamps ix with the space's generation as of tx's writes and writes it
// as the snapshot of space inside tx: call it after the space's vectors are
// written in the same transaction, and the snapshot is current when tx
// commits.
func Save(tx *store.Tx, space string, ix *index.Index) error {
	gen, err := tx.Generation(space)
	if err != nil {
		return err
	}
	ix.SetGeneration(gen)
	var buf bytes.Buffer
	if _, err := ix.WriteTo(&buf); err != nil {
		return err
	}
	return tx.PutBlob(vocab.BlobIndex, space, buf.Bytes())
}

// Rebuild builds the index of space from the store's vectors and saves it.
// The space's saved Settings, if any, override opts.
// The vectors are copied in a short read transaction and indexed outside
// any transaction, so a long build never holds the store. The index is
// returned but not saved when the space's vectors or settings changed
// while it was built.
func Rebuild(ctx context.Context, db *store.DB, space string, opts index.Options) (*index.Index, error) {
	var v *Vectors
	caller := opts
	if err := db.View(func(tx *store.Tx) (err error) {
		if opts, err = OptionsFor(tx, space, opts); err != nil {
			return err
		}
		v, err = ReadVectors(tx, space)
		return err
	}); err != nil {
		return nil, err
	}
	ix, err := Build(ctx, v, opts)
	if err != nil {
		return nil, err
	}
	if db.ReadOnly() {
		return ix, nil
	}
	err = db.Update(func(tx *store.Tx) error {
		// Vectors written while we built make this index stale: keep it in
		// memory for this process but do not save it.
		if g, err := tx.Generation(space); err != nil || g != v.Generation {
			return err
		}
		// Settings saved while we built (Reindex, which also saved its own
		// index) win: do not replace that index with one of the old settings.
		if now, err := OptionsFor(tx, space, caller); err != nil || now != opts {
			return err
		}
		return Save(tx, space, ix)
	})
	return ix, err
}

// Current returns ix when it is the index of space as tx sees it (same
// generation, built with the space's saved Settings), else an index rebuilt
// from tx's vectors. A writer that loaded
// an index before its write transaction calls it inside the transaction,
// before writing vectors: another writer may have committed in between, and
// adding to the older index would save a snapshot missing those vectors under
// a current generation. ix may be nil (no index loaded). A rebuild uses
// the space's saved Settings over opts.
func Current(ctx context.Context, tx *store.Tx, space string, ix *index.Index, opts index.Options) (*index.Index, error) {
	gen, err := tx.Generation(space)
	if err != nil {
		return nil, err
	}
	saved, err := Saved(tx, space)
	if err != nil {
		return nil, err
	}
	if ix != nil && ix.Generation() == gen && saved.Holds(ix.Options()) {
		return ix, nil
	}
	opts = saved.For(space, opts)
	v, err := ReadVectors(tx, space)
	if err != nil {
		return nil, err
	}
	return Build(ctx, v, opts)
}

// Load returns the index of space: the saved snapshot when it matches the
// space's generation, else a rebuilt one (saved unless the store is
// read-only). Why it rebuilt is written to log, if not nil.
func Load(ctx context.Context, db *store.DB, space string, opts index.Options, log io.Writer) (*index.Index, error) {
	var (
		blob    []byte
		blobErr error
		gen     uint64
		saved   *Settings
	)
	// A damaged settings record is an error; a damaged snapshot a rebuild.
	if err := db.View(func(tx *store.Tx) (err error) {
		if gen, err = tx.Generation(space); err != nil {
			return err
		}
		if saved, err = Saved(tx, space); err != nil {
			return err
		}
		blob, blobErr = tx.Blob(vocab.BlobIndex, space)
		return nil
	}); err != nil {
		return nil, err
	}
	ix, reason, err := Decode(blob, blobErr, gen, saved, space)
	if err != nil || ix != nil {
		return ix, err
	}
	start := time.Now()
	ix, err = Rebuild(ctx, db, space, opts)
	if err != nil {
		return nil, err
	}
	if log != nil {
		fmt.Fprintf(log, "index %q: %s; rebuilt %d vectors in %.2fs\n", space, reason, ix.Len(), time.Since(start).Seconds())
	}
	return ix, nil
}

// Decode turns the outcome of reading a space's snapshot blob (blob, and
// the read's error readErr; store.ErrNotFound or a nil blob: none saved)
// into the index when it is usable at the space's generation gen. Otherwise
// it returns a nil index and why (none, corrupt, unreadable, stale, built
// with another metric than space's or other settings than saved, the
// space's Saved), so the caller
// rebuilds; err is set only for read failures other than a missing or
// corrupt snapshot.
func Decode(blob []byte, readErr error, gen uint64, saved *Settings, space string) (ix *index.Index, reason string, err error) {
	switch {
	case errors.Is(readErr, store.ErrNotFound), readErr == nil && blob == nil:
		return nil, "no snapshot", nil
	case errors.Is(readErr, store.ErrCorrupt):
		return nil, "snapshot corrupt: " + readErr.Error(), nil
	case readErr != nil:
		return nil, "", readErr
	}
	ix, rerr := index.Read(bytes.NewReader(blob))
	switch {
	case rerr != nil:
		return nil, "snapshot unreadable: " + rerr.Error(), nil
	case ix.Generation() != gen:
		return nil, fmt.Sprintf("snapshot stale (generation %d, vectors at %d)", ix.Generation(), gen), nil
	case ix.Options().Metric != MetricOf(space):
		// older builds indexed cell-genes by cosine
		return nil, fmt.Sprintf("snapshot built with metric %v, the space is searched by %v", ix.Options().Metric, MetricOf(space)), nil
	case !saved.Holds(ix.Options()):
		return nil, fmt.Sprintf("snapshot built with other settings than the saved ones (%s, M %d)", ix.Options().Quantize, ix.Options().M), nil
	}
	return ix, "", nil
}
