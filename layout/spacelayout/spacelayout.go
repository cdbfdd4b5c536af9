package spacelayout

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"genestore/index"
	"genestore/layout"
	"genestore/query/cluster"
	"genestore/store"
	"genestore/vecindex"
	"genestore/vocab"
)

// ErrConflict reports that the space changed while its layout was computed.
var ErrConflict = errors.New("spacelayout: the space changed while its layout was computed; run it again")

// ErrNoLayout reports a space without a stored layout.
var ErrNoLayout = errors.New("spacelayout: no layout")

// Options choose the layout's parameters and its randomness.
type Options struct {
	Layout layout.Options
	// Seed seeds the layout's random source (a math/rand/v2 PCG).
	Seed uint64
	// Index configures the index loaded (or rebuilt) for the kNN graph.
	Index index.Options
}

// points is the vector sets laid out and their vectors.
type points struct {
	keys    []uint64
	vecs    []float32 // unit-normalised
	dim     int
	gen     uint64
	version string
}

// readPoints copies the vectors of space that a layout covers, sorted by key.
func readPoints(tx *store.Tx, space string) (*points, error) {
	info, err := tx.Space(space)
	if err != nil {
		return nil, err
	}
	var sets []store.EmbeddingSet
	for _, s := range info.Sets {
		if space == vocab.SpaceGenes && s.Dataset == vocab.Consensus {
			sets = []store.EmbeddingSet{s}
			break
		}
		sets = append(sets, s)
	}
	if len(sets) == 0 {
		return nil, fmt.Errorf("%w: space %q has no vectors", store.ErrNotFound, space)
	}
	p := &points{dim: info.Dim, gen: info.Generation, version: sets[0].Provenance.ModelVersion}
	var keys []uint64
	var vecs []float32
	for _, s := range sets {
		if s.Provenance.ModelVersion != p.version {
			return nil, fmt.Errorf("spacelayout: space %q mixes model versions %q and %q: retrain before laying it out",
				space, p.version, s.Provenance.ModelVersion)
		}
		ids, _, v, err := tx.Embeddings(space, s.Dataset)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			keys = append(keys, vocab.EntityKey(s.Dataset, id))
		}
		vecs = append(vecs, v...)
	}
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return keys[order[a]] < keys[order[b]] })
	p.keys = make([]uint64, len(keys))
	p.vecs = make([]float32, len(vecs))
	d := p.dim
	for i, o := range order {
		p.keys[i] = keys[o]
		row := p.vecs[i*d : (i+1)*d]
		copy(row, vecs[o*d:(o+1)*d])
		var s float64
		for _, x := range row {
			s += float64(x) * float64(x)
		}
		if s > 0 {
			f := float32(1 / math.Sqrt(s))
			for j := range row {
				row[j] *= f
			}
		}
	}
	return p, nil
}

// neighbours searches ix (one search per vector) for the k nearest admitted keys of each vector
// (the vector's own key excluded) and returns them as positions in keys
// (ascending) with their distances. floats re-ranks an int8 index's beam
// with float distances (nil: code distances).
func neighbours(ctx context.Context, ix *index.Index, keys []uint64, self []uint64, vecs []float32, dim, k int, admit func(uint64) bool, floats index.VectorSource) ([][]uint32, [][]float32, error) {
	n := len(self)
	ids := make([][]uint32, n)
	dists := make([][]float32, n)
	workers := min(runtime.GOMAXPROCS(0), max(n, 1))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				me := self[i]
				res, err := ix.Search(ctx, vecs[i*dim:(i+1)*dim], k, index.SearchOptions{
					Filter: func(key uint64) bool { return key != me && admit(key) }, Floats: floats})
				if err != nil {
					errs[w] = err
					return
				}
				for _, r := range res {
					j, ok := slices.BinarySearch(keys, r.Key)
					if !ok {
						continue
					}
					ids[i] = append(ids[i], uint32(j))
					dists[i] = append(dists[i], max(r.Distance, 0))
				}
			}
		}()
	}
	wg.Wait()
	return ids, dists, errors.Join(errs...)
}

// Vector implements index.VectorSource over the points (unit-normalised,
// which Search would do anyway under cosine).
func (p *points) Vector(key uint64, dst []float32) ([]float32, bool) {
	i, ok := slices.BinarySearch(p.keys, key)
	if !ok {
		return dst[:0], false
	}
	return append(dst[:0], p.vecs[i*p.dim:(i+1)*p.dim]...), true
}

// txFloats is an index.VectorSource reading a space's vectors in the
// writer's transaction, one search at a time (a transaction is not safe
// for concurrent use).
type txFloats struct {
	mu sync.Mutex
	r  *store.VectorReader
}

func (f *txFloats) Vector(key uint64, dst []float32) ([]float32, bool) {
	ds, id := vocab.SplitEntityKey(key)
	f.mu.Lock()
	defer f.mu.Unlock()
	v, err := f.r.Vector(ds, id, dst)
	return v, err == nil
}

// graphNeighbours is the k-nearest-neighbour graph of the points: the
// index's layer-0 lists refined by cluster.RefineKNN (deterministic for a
// given index), with one index search for each point left with fewer than
// k neighbours.
func graphNeighbours(ctx context.Context, ix *index.Index, p *points, k, threads int) ([][]uint32, [][]float32, error) {
	n := len(p.keys)
	init, err := cluster.GraphLists(p.keys, func(batch []uint64, fn func(int, []uint64)) error {
		ix.NeighborsBatch(batch, fn)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	ids, dists, err := cluster.RefineKNN(ctx, p.vecs, n, p.dim, k, cluster.Cosine, init, cluster.RefineOptions{Threads: threads})
	if err != nil {
		return nil, nil, err
	}
	var redo []int
	for i := range ids {
		if len(ids[i]) < min(k, n-1) {
			redo = append(redo, i)
		}
	}
	if len(redo) == 0 {
		return ids, dists, nil
	}
	self := make([]uint64, len(redo))
	vecs := make([]float32, 0, len(redo)*p.dim)
	for j, i := range redo {
		self[j] = p.keys[i]
		vecs = append(vecs, p.vecs[i*p.dim:(i+1)*p.dim]...)
	}
	inLayout := func(key uint64) bool { _, ok := slices.BinarySearch(p.keys, key); return ok }
	ri, rd, err := neighbours(ctx, ix, p.keys, self, vecs, p.dim, k, inLayout, p)
	if err != nil {
		return nil, nil, err
	}
	for j, i := range redo {
		ids[i], dists[i] = ri[j], rd[j]
	}
	return ids, dists, nil
}

// Compute lays out space and stores the layout, replacing any before.
// Progress is written to log when not nil.
func Compute(ctx context.Context, db *store.DB, space string, o Options, log io.Writer) (*layout.Layout, error) {
	if err := o.Layout.Validate(); err != nil {
		return nil, err
	}
	var p *points
	if err := db.View(func(tx *store.Tx) (err error) { p, err = readPoints(tx, space); return err }); err != nil {
		return nil, err
	}
	ix, err := vecindex.Load(ctx, db, space, o.Index, log)
	if err != nil {
		return nil, err
	}
	if ix.Generation() != p.gen {
		return nil, ErrConflict
	}
	k := o.Layout.NNeighbors
	if k == 0 {
		k = layout.DefaultNNeighbors
	}
	start := time.Now()
	ids, dists, err := graphNeighbours(ctx, ix, p, k-1, o.Layout.Threads)
	if err != nil {
		return nil, err
	}
	tk := time.Since(start)
	start = time.Now()
	res, err := layout.Fit(ctx, ids, dists, p.vecs, p.dim, o.Layout, rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	if err != nil {
		return nil, err
	}
	res.Params.Seed = o.Seed
	if log != nil {
		fmt.Fprintf(log, "layout %q: %d points, kNN graph %.1fs, UMAP %.1fs (%s start, %d components, %d epochs, %d threads)\n",
			space, len(p.keys), tk.Seconds(), time.Since(start).Seconds(), res.Params.Init, res.Components, res.Params.Epochs, res.Params.Threads)
	}
	l := &layout.Layout{Space: space, Generation: p.gen, ModelVersion: p.version, Params: res.Params,
		Fitted: len(p.keys), Keys: p.keys, Coords: res.Coords}
	b, err := layout.Encode(l)
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *store.Tx) error {
		g, err := tx.Generation(space)
		if err != nil {
			return err
		}
		if g != p.gen {
			return ErrConflict
		}
		return tx.PutBlob(vocab.BlobLayout, space, b)
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Load reads the stored layout of space; ErrNoLayout when there is none.
func Load(tx *store.Tx, space string) (*layout.Layout, error) {
	b, err := tx.Blob(vocab.BlobLayout, space)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w for space %q (compute it with `genestore layout --space %s`)", ErrNoLayout, space, space)
	}
	if err != nil {
		return nil, err
	}
	l, err := layout.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("spacelayout: space %q: %w", space, err)
	}
	if l.Space != space {
		return nil, fmt.Errorf("spacelayout: layout stored for %q names space %q", space, l.Space)
	}
	return l, nil
}

// Extend places vectors just written to space inside tx (keys, row-major
// vecs) on its stored layout with layout.Transform, their neighbours found
// in ix (which must hold the layout's points) among the layout's points,
// and writes the layout back, restamped with the space's current
// generation. before is the space's generation before this transaction's
// writes: a layout not at it is stale and left alone, as is a space
// without a layout. It reports how many points it placed.
func Extend(ctx context.Context, tx *store.Tx, space string, before uint64, ix *index.Index, keys []uint64, vecs []float32, seed uint64) (int, error) {
	l, err := Load(tx, space)
	if errors.Is(err, ErrNoLayout) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if l.Generation != before || len(keys) == 0 {
		return 0, nil
	}
	dim := ix.Dim()
	if len(vecs) != len(keys)*dim {
		return 0, fmt.Errorf("spacelayout: %d values for %d keys of dimension %d", len(vecs), len(keys), dim)
	}
	for _, k := range keys {
		if l.Index(k) >= 0 {
			return 0, fmt.Errorf("spacelayout: key %x is already laid out", k)
		}
	}
	inLayout := func(key uint64) bool { return l.Index(key) >= 0 }
	var floats index.VectorSource
	if ix.Options().Quantize == index.Int8 {
		r, err := tx.VectorReader(space)
		if err != nil {
			return 0, err
		}
		floats = &txFloats{r: r}
	}
	ids, dists, err := neighbours(ctx, ix, l.Keys, keys, vecs, dim, l.Params.NNeighbors, inLayout, floats)
	if err != nil {
		return 0, err
	}
	xy, err := layout.Transform(ctx, l.Coords, ids, dists, l.Params, rand.NewPCG(seed, uint64(len(l.Keys))))
	if err != nil {
		return 0, err
	}
	// merge the new points in key order
	type pt struct {
		k    uint64
		x, y float32
	}
	all := make([]pt, 0, len(l.Keys)+len(keys))
	for i, k := range l.Keys {
		all = append(all, pt{k, l.Coords[2*i], l.Coords[2*i+1]})
	}
	for i, k := range keys {
		all = append(all, pt{k, xy[2*i], xy[2*i+1]})
	}
	sort.Slice(all, func(a, b int) bool { return all[a].k < all[b].k })
	l.Keys = make([]uint64, len(all))
	l.Coords = make([]float32, 2*len(all))
	for i, p := range all {
		l.Keys[i], l.Coords[2*i], l.Coords[2*i+1] = p.k, p.x, p.y
	}
	if l.Generation, err = tx.Generation(space); err != nil {
		return 0, err
	}
	b, err := layout.Encode(l)
	if err != nil {
		return 0, err
	}
	return len(keys), tx.PutBlob(vocab.BlobLayout, space, b)
}

// Forget removes the points whose keys gone reports from space's stored
// layout inside tx, the transaction that deleted their vectors, and
// restamps it with the space's current generation. The other points keep
// their coordinates: a UMAP layout of the remaining points is what it was,
// less the removed ones. before is the space's generation before the
// transaction's writes: a layout not at it is stale and left alone, as is
// a space without a layout. It reports how many points it removed; when
// none is left the layout is deleted.
func Forget(tx *store.Tx, space string, before uint64, gone func(key uint64) bool) (int, error) {
	l, err := Load(tx, space)
	if errors.Is(err, ErrNoLayout) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if l.Generation != before {
		return 0, nil
	}
	keys, coords := l.Keys[:0:0], l.Coords[:0:0]
	for i, k := range l.Keys {
		if !gone(k) {
			keys = append(keys, k)
			coords = append(coords, l.Coords[2*i], l.Coords[2*i+1])
		}
	}
	n := len(l.Keys) - len(keys)
	if len(keys) == 0 {
		// a layout of no points could not be extended later: none is left
		return n, tx.DeleteBlob(vocab.BlobLayout, space)
	}
	l.Keys, l.Coords = keys, coords
	// Which points the fit placed is not recorded: Fitted becomes a lower bound.
	l.Fitted = max(0, l.Fitted-n)
	if l.Generation, err = tx.Generation(space); err != nil {
		return 0, err
	}
	b, err := layout.Encode(l)
	if err != nil {
		return 0, err
	}
	return n, tx.PutBlob(vocab.BlobLayout, space, b)
}
