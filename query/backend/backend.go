package backend

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"genestore/index"
	"genestore/query"
	"genestore/query/annot"
	"genestore/store"
	"genestore/vecindex"
	"genestore/vocab"
)

// Options configure a Backend. The zero value is valid.
type Options struct {
	// Index is used when an index has to be (re)built because the store
	// holds no current snapshot. Zero means index.DefaultOptions().
	Index index.Options
	// Log receives a line each time an index is rebuilt (nil: silent).
	Log io.Writer
	// Rerank is how many of an int8 index's best candidates by code
	// distance a search re-ranks with the store's floats
	// (index.SearchOptions.Rerank): 0 means DefaultRerankPerK per
	// neighbour asked for, a negative value the whole beam. Each re-ranked
	// candidate is one lookup in the store file (about 1.3 µs), so the
	// window sets an int8 space's query speed.
	Rerank int
}

// DefaultRerankPerK is the re-rank window of an int8 space per neighbour
// asked for (faiss's IndexRefine k_factor). On 100k × 64 vectors at k 10
// (BenchmarkSearchStore) a window of 30 finds what the whole beam of 64
// finds (recall@10 0.995 both) at 1.4× its speed; 20 loses 0.002.
const DefaultRerankPerK = 3

// DefaultOptions returns index.DefaultOptions() and no log.
func DefaultOptions() Options { return Options{Index: index.DefaultOptions()} }

// Validate reports every problem with o at once.
func (o Options) Validate() error {
	if o.Index == (index.Options{}) {
		return nil
	}
	if err := o.Index.Validate(); err != nil {
		return fmt.Errorf("backend: %w", err)
	}
	return nil
}

// Backend implements query.Backend over an open store. It is safe for
// concurrent use.
type Backend struct {
	db   *store.DB
	opts Options

	mu       sync.Mutex
	indexes  map[string]*cache[*index.Index]
	vectors  map[string]*cache[*vecindex.Vectors]
	barcodes map[uint32]*barcodeCache
	obs      map[obsKey]*obsCache
}

var _ query.Backend = (*Backend)(nil)

// New returns a Backend over db. db stays owned by the caller, who closes it
// after the last query.
func New(db *store.DB, opts Options) (*Backend, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: nil store", query.ErrInvalid)
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Index == (index.Options{}) {
		opts.Index = index.DefaultOptions()
	}
	return &Backend{db: db, opts: opts, indexes: map[string]*cache[*index.Index]{},
		vectors: map[string]*cache[*vecindex.Vectors]{}, barcodes: map[uint32]*barcodeCache{},
		obs: map[obsKey]*obsCache{}}, nil
}

// notFound marks a store.ErrNotFound (or unknown column) as query.ErrNotFound
// while keeping its message and chain.
type notFound struct{ err error }

func (e notFound) Error() string        { return e.err.Error() }
func (e notFound) Unwrap() error        { return e.err }
func (e notFound) Is(target error) bool { return target == query.ErrNotFound }

func mapErr(err error) error {
	if err != nil && (errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUnknownColumn)) {
		return notFound{err}
	}
	return err
}

func (b *Backend) update(fn func(tx *store.Tx) error) error { return mapErr(b.db.Update(fn)) }

// View implements query.Backend: fn reads one store read transaction
// through a query.Reader, whose searches use indexes of that transaction's
// generation of each space. bbolt read transactions do not block the
// writer, but IMPORTANT: a writer that has to grow the file waits for every
// open read transaction, so fn should not outlive the query it answers, and
// fn must not write to the store itself (the writer would wait on fn's own
// read transaction).
func (b *Backend) View(ctx context.Context, fn func(query.Reader) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return mapErr(b.db.View(func(tx *store.Tx) error {
		s := &snap{b: b, tx: tx}
		defer s.end()
		return fn(s)
	}))
}

// snap is a query.Reader over one read transaction. bbolt transactions are
// not safe for concurrent use, so reads of tx are serialised by mu; index
// searches and exact scans run concurrently outside it.
type snap struct {
	b  *Backend
	mu sync.Mutex
	tx *store.Tx // nil once the View has ended
}

var _ query.Reader = (*snap)(nil)

// errEnded is returned by a Reader used after its View returned.
var errEnded = errors.New("backend: reader used after its View ended")

func (s *snap) end() {
	s.mu.Lock()
	s.tx = nil
	s.mu.Unlock()
}

// view runs fn on the snapshot's transaction.
func (s *snap) view(fn func(tx *store.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tx == nil {
		return errEnded
	}
	return mapErr(fn(s.tx))
}

func (s *snap) generation(space string) (uint64, error) {
	var gen uint64
	err := s.view(func(tx *store.Tx) (err error) { gen, err = tx.Generation(space); return err })
	return gen, err
}

// cache holds one value per space: the one of the newest generation loaded.
type cache[T any] struct {
	mu  sync.Mutex // serialises loads
	cur atomic.Pointer[cached[T]]
}

type cached[T any] struct {
	v   T
	gen uint64
}

// at returns the value of generation gen: the cached one when its
// generation is gen, else load()'s, which replaces the cached one unless
// that is newer (a snapshot older than the cache gets its own copy).
func (c *cache[T]) at(gen uint64, load func() (T, error)) (T, error) {
	if p := c.cur.Load(); p != nil && p.gen == gen {
		return p.v, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.cur.Load(); p != nil && p.gen == gen {
		return p.v, nil
	}
	v, err := load()
	if err != nil {
		var zero T
		return zero, err
	}
	c.put(v, gen)
	return v, nil
}

// put keeps v as the value of generation gen unless a newer one is cached.
func (c *cache[T]) put(v T, gen uint64) {
	if p := c.cur.Load(); p == nil || p.gen < gen {
		c.cur.Store(&cached[T]{v: v, gen: gen})
	}
}

// cacheOf returns m's cache of space, creating it.
func cacheOf[T any](b *Backend, m map[string]*cache[T], space string) *cache[T] {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := m[space]
	if c == nil {
		c = &cache[T]{}
		m[space] = c
	}
	return c
}

// index returns the index of space at the snapshot's generation: the cached
// one when it is of that generation, else the snapshot's saved index, else
// one built in memory from the snapshot's vectors (not saved: a snapshot
// must not write; Warm saves rebuilt indexes).
func (s *snap) index(ctx context.Context, space string) (*index.Index, error) {
	gen, err := s.generation(space)
	if err != nil {
		return nil, err
	}
	return cacheOf(s.b, s.b.indexes, space).at(gen, func() (*index.Index, error) { return s.loadIndex(ctx, space, gen) })
}

func (s *snap) loadIndex(ctx context.Context, space string, gen uint64) (*index.Index, error) {
	var (
		blob    []byte
		blobErr error
		saved   *vecindex.Settings
	)
	// A damaged settings record is an error; a damaged snapshot a rebuild.
	if err := s.view(func(tx *store.Tx) (err error) {
		saved, err = vecindex.Saved(tx, space)
		blob, blobErr = tx.Blob(vocab.BlobIndex, space)
		return err
	}); err != nil {
		return nil, err
	}
	ix, reason, err := vecindex.Decode(blob, blobErr, gen, saved, space)
	if err != nil || ix != nil {
		return served(ix), err
	}
	start := time.Now()
	var v *vecindex.Vectors
	opts := saved.For(space, s.b.opts.Index) // read with the snapshot blob, same transaction
	if err := s.view(func(tx *store.Tx) (err error) {
		v, err = vecindex.ReadVectors(tx, space)
		return err
	}); err != nil {
		return nil, err
	}
	ix, err = vecindex.Build(ctx, v, opts)
	if err != nil {
		return nil, err
	}
	if s.b.opts.Log != nil {
		fmt.Fprintf(s.b.opts.Log, "index %q: %s; built %d vectors in memory in %.2fs\n", space, reason, ix.Len(), time.Since(start).Seconds())
	}
	return served(ix), nil
}

// served readies an index for the backend's cache, where it is only
// searched: an int8 index, chosen to save memory, gets its layer-0 links
// packed too (index.PackLinks: a third of their memory, 4–13% of
// the graph search's speed).
func served(ix *index.Index) *index.Index {
	if ix != nil && ix.Options().Quantize == index.Int8 {
		ix.PackLinks()
	}
	return ix
}

// allVectors returns an in-memory copy of every vector of space at the
// snapshot's generation (for exact inner-product scans).
func (s *snap) allVectors(space string) (*vecindex.Vectors, error) {
	gen, err := s.generation(space)
	if err != nil {
		return nil, err
	}
	return cacheOf(s.b, s.b.vectors, space).at(gen, func() (*vecindex.Vectors, error) {
		var v *vecindex.Vectors
		err := s.view(func(tx *store.Tx) (err error) { v, err = vecindex.ReadVectors(tx, space); return err })
		return v, err
	})
}

// Warm loads the indexes of the given spaces now (a server calls it before
// listening so that the first request does not pay for it). A snapshot that
// is missing or stale is rebuilt and saved (unless the store is read-only).
// Absent spaces are skipped.
func (b *Backend) Warm(ctx context.Context, spaces ...string) error {
	for _, space := range spaces {
		ix, err := vecindex.Load(ctx, b.db, space, b.opts.Index, b.opts.Log)
		if err = mapErr(err); err != nil {
			if errors.Is(err, query.ErrNotFound) {
				continue
			}
			return err
		}
		cacheOf(b, b.indexes, space).put(served(ix), ix.Generation())
	}
	return nil
}

// Search implements query.Searcher through the space's HNSW index (cosine).
func (s *snap) Search(ctx context.Context, space string, q []float32, k int, filter func(uint64) bool) ([]query.Hit, error) {
	ix, err := s.index(ctx, space)
	if err != nil {
		return nil, err
	}
	if len(q) != ix.Dim() {
		return nil, fmt.Errorf("%w: query of dim %d for space %q of dim %d", query.ErrInvalid, len(q), space, ix.Dim())
	}
	opts := index.SearchOptions{Filter: filter, Rerank: s.b.opts.Rerank}
	switch {
	case opts.Rerank == 0:
		opts.Rerank = DefaultRerankPerK * k
	case opts.Rerank < 0:
		opts.Rerank = 0 // the whole beam
	}
	if ix.Options().Quantize == index.Int8 {
		var r *store.VectorReader
		if err := s.view(func(tx *store.Tx) (err error) { r, err = tx.VectorReader(space); return err }); err != nil {
			return nil, err
		}
		opts.Floats = &storeFloats{s: s, r: r}
	}
	res, err := ix.Search(ctx, q, k, opts)
	if err != nil {
		return nil, err
	}
	out := make([]query.Hit, len(res))
	for i, r := range res {
		out[i] = query.Hit{Key: r.Key, Score: 1 - r.Distance}
	}
	return out, nil
}

// storeFloats gives an int8 index the float vectors of its space from the
// snapshot's transaction for re-ranking (index.VectorSource): the floats
// stay in the store file, read through the page cache, and only the codes
// are resident.
type storeFloats struct {
	s *snap
	r *store.VectorReader
}

func (f *storeFloats) Vector(key uint64, dst []float32) ([]float32, bool) {
	ds, id := vocab.SplitEntityKey(key)
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	if f.s.tx == nil {
		return dst[:0], false
	}
	v, err := f.r.Vector(ds, id, dst)
	return v, err == nil
}

// GraphNeighbors implements query.IndexGraph with the HNSW index's
// layer-0 lists.
func (s *snap) GraphNeighbors(ctx context.Context, space string, keys []uint64, fn func(i int, nbs []uint64)) error {
	ix, err := s.index(ctx, space)
	if err != nil {
		return err
	}
	ix.NeighborsBatch(keys, fn)
	return nil
}

// hitHeap is a min-heap on Score (ties: larger key first out).
type hitHeap []query.Hit

func (h hitHeap) Len() int { return len(h) }
func (h hitHeap) Less(i, j int) bool {
	if h[i].Score != h[j].Score {
		return h[i].Score < h[j].Score
	}
	return h[i].Key > h[j].Key
}
func (h hitHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *hitHeap) Push(x any)   { *h = append(*h, x.(query.Hit)) }
func (h *hitHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// TopInner implements query.Searcher by an exact scan of the space's vectors
// (kept in memory after the first call).
func (s *snap) TopInner(ctx context.Context, space string, q []float32, k int, filter func(uint64) bool) ([]query.Hit, error) {
	v, err := s.allVectors(space)
	if err != nil {
		return nil, err
	}
	if len(q) != v.Dim {
		return nil, fmt.Errorf("%w: query of dim %d for space %q of dim %d", query.ErrInvalid, len(q), space, v.Dim)
	}
	if k <= 0 {
		return nil, nil
	}
	h := make(hitHeap, 0, k+1)
	for i, key := range v.Keys {
		if i%65536 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if filter != nil && !filter(key) {
			continue
		}
		s := index.Dot(q, v.Vecs[i*v.Dim:(i+1)*v.Dim])
		if len(h) < k {
			heap.Push(&h, query.Hit{Key: key, Score: s})
		} else if s > h[0].Score || (s == h[0].Score && key < h[0].Key) {
			h[0] = query.Hit{Key: key, Score: s}
			heap.Fix(&h, 0)
		}
	}
	out := make([]query.Hit, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&h).(query.Hit)
	}
	return out, nil
}

// Datasets implements query.Catalog.
func (s *snap) Datasets(ctx context.Context) ([]query.Dataset, error) {
	var out []query.Dataset
	err := s.view(func(tx *store.Tx) error {
		ds, err := tx.Datasets()
		for _, d := range ds {
			out = append(out, query.Dataset{ID: d.ID, Name: d.Name, Cells: d.Cells, Genes: d.Genes})
		}
		return err
	})
	return out, err
}

// GenesBySymbol implements query.Catalog.
func (s *snap) GenesBySymbol(ctx context.Context, symbol string) ([]query.Gene, error) {
	var out []query.Gene
	err := s.view(func(tx *store.Tx) error {
		gs, err := tx.GenesBySymbol(symbol)
		for _, g := range gs {
			out = append(out, query.Gene{ID: g.ID, Symbol: g.Symbol, SourceID: g.SourceID})
		}
		return err
	})
	return out, err
}

// Genes implements query.Catalog.
func (s *snap) Genes(ctx context.Context, ids []uint32) ([]query.Gene, error) {
	out := make([]query.Gene, len(ids))
	err := s.view(func(tx *store.Tx) error {
		for i, id := range ids {
			g, err := tx.Gene(id)
			if err != nil {
				return err
			}
			out[i] = query.Gene{ID: g.ID, Symbol: g.Symbol, SourceID: g.SourceID}
		}
		return nil
	})
	return out, err
}

// CellByBarcode implements query.Catalog.
func (s *snap) CellByBarcode(ctx context.Context, ds uint32, barcode string) (uint32, error) {
	var row uint32
	err := s.view(func(tx *store.Tx) (err error) { row, err = tx.CellByBarcode(ds, barcode); return err })
	return row, err
}

type barcodeCache struct {
	once sync.Once
	bcs  []string
	err  error
}

// Barcodes implements query.Catalog; a dataset's barcodes are read once and
// kept (datasets are immutable once added).
func (s *snap) Barcodes(ctx context.Context, ds uint32, cells []uint32) ([]string, error) {
	b := s.b
	b.mu.Lock()
	c := b.barcodes[ds]
	if c == nil {
		c = &barcodeCache{}
		b.barcodes[ds] = c
	}
	b.mu.Unlock()
	c.once.Do(func() { c.err = s.view(func(tx *store.Tx) (err error) { c.bcs, err = tx.Barcodes(ds); return err }) })
	if c.err != nil {
		b.mu.Lock()
		if b.barcodes[ds] == c {
			delete(b.barcodes, ds) // retry next time
		}
		b.mu.Unlock()
		return nil, c.err
	}
	out := make([]string, len(cells))
	for i, r := range cells {
		if int(r) >= len(c.bcs) {
			return nil, notFound{fmt.Errorf("%w: cell %d of dataset %d", store.ErrNotFound, r, ds)}
		}
		out[i] = c.bcs[r]
	}
	return out, nil
}

// obsKey names one obs column of one dataset.
type obsKey struct {
	ds   uint32
	name string
}

// obsCache is one decoded obs column, read once.
type obsCache struct {
	once sync.Once
	col  []string
	err  error
}

// maxObsCached bounds the obs columns a Backend keeps decoded (16 bytes per
// cell each); past it the cache starts over.
const maxObsCached = 64

// ObsColumn implements query.Catalog. A dataset's obs columns are written
// only when it is added (and dataset ids are never reused), so a column is
// decoded once and kept: a --where filter no longer decodes it per query.
// The slice is shared between callers, who must not modify it. Errors
// (an absent column included) are not kept.
func (s *snap) ObsColumn(ctx context.Context, ds uint32, name string) ([]string, error) {
	b := s.b
	k := obsKey{ds, name}
	b.mu.Lock()
	c := b.obs[k]
	if c == nil {
		if len(b.obs) >= maxObsCached {
			clear(b.obs)
		}
		c = &obsCache{}
		b.obs[k] = c
	}
	b.mu.Unlock()
	c.once.Do(func() {
		c.err = s.view(func(tx *store.Tx) (err error) { c.col, err = tx.ObsColumn(ds, name); return err })
	})
	if c.err != nil {
		b.mu.Lock()
		if b.obs[k] == c {
			delete(b.obs, k) // read again next time
		}
		b.mu.Unlock()
		return nil, c.err
	}
	return c.col, nil
}

// Space implements query.Vectors.
func (s *snap) Space(ctx context.Context, space string) (query.SpaceInfo, error) {
	var out query.SpaceInfo
	err := s.view(func(tx *store.Tx) error {
		info, err := tx.Space(space)
		if err != nil {
			return err
		}
		out = query.SpaceInfo{Name: info.Name, Dim: info.Dim, Generation: info.Generation}
		for _, s := range info.Sets {
			out.Sets = append(out.Sets, query.VectorSet{Dataset: s.Dataset, Count: s.Count, ModelVersion: s.Provenance.ModelVersion})
		}
		return nil
	})
	return out, err
}

// Vectors implements query.Vectors.
func (s *snap) Vectors(ctx context.Context, space string, keys []uint64) ([]float32, error) {
	var out []float32
	err := s.view(func(tx *store.Tx) error {
		for _, k := range keys {
			d, id := vocab.SplitEntityKey(k)
			v, err := tx.Embedding(space, d, id)
			if err != nil {
				return err
			}
			if out == nil {
				out = make([]float32, 0, len(keys)*len(v))
			}
			out = append(out, v...)
		}
		return nil
	})
	return out, err
}

// Keys implements query.Vectors.
func (s *snap) Keys(ctx context.Context, space string, datasets []uint32) ([]uint64, error) {
	var out []uint64
	err := s.view(func(tx *store.Tx) error {
		for _, d := range datasets {
			ids, _, _, err := tx.Embeddings(space, d)
			if err != nil {
				return err
			}
			for _, id := range ids {
				out = append(out, vocab.EntityKey(d, id))
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, err
}

// EdgeDatasets implements query.Graphs.
func (s *snap) EdgeDatasets(ctx context.Context) ([]uint32, error) {
	var out []uint32
	err := s.view(func(tx *store.Tx) error {
		ds, err := tx.Datasets()
		if err != nil {
			return err
		}
		for _, d := range ds {
			_, err := tx.EdgeSetInfo(d.ID)
			switch {
			case err == nil:
				out = append(out, d.ID)
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
		}
		return nil
	})
	return out, err
}

// Partners implements query.Graphs.
func (s *snap) Partners(ctx context.Context, ds, gene uint32) ([]query.Edge, error) {
	var out []query.Edge
	err := s.view(func(tx *store.Tx) error {
		es, err := tx.Partners(ds, gene)
		for _, e := range es {
			p := e.B
			if p == gene {
				p = e.A
			}
			out = append(out, query.Edge{Partner: p, Weight: e.Weight})
		}
		return err
	})
	return out, err
}

// Collection implements query.Annotations.
func (s *snap) Collection(ctx context.Context, name string) ([]annot.GeneSet, error) {
	var out []annot.GeneSet
	err := s.view(func(tx *store.Tx) error {
		sets, err := tx.Collection(name)
		for _, s := range sets {
			out = append(out, annot.GeneSet{ID: s.ID, Name: s.Name, Genes: s.Genes})
		}
		return err
	})
	return out, err
}

func toProv(p store.Provenance) query.Provenance {
	return query.Provenance{Kind: p.Kind, ModelVersion: p.ModelVersion, Params: p.Params, Datasets: p.Datasets, Created: p.Created}
}

func fromProv(p query.Provenance) store.Provenance {
	return store.Provenance{Kind: p.Kind, ModelVersion: p.ModelVersion, Params: p.Params, Datasets: p.Datasets, Created: p.Created}
}

// Predictions implements query.Annotations.
func (s *snap) Predictions(ctx context.Context, kind, name string) ([]query.Prediction, query.Provenance, error) {
	var (
		rows []query.Prediction
		prov query.Provenance
	)
	err := s.view(func(tx *store.Tx) error {
		p, err := tx.Predictions(kind, name)
		if err != nil {
			return err
		}
		prov = toProv(p.Provenance)
		for _, r := range p.Rows {
			rows = append(rows, query.Prediction{Entity: r.Entity, Label: r.Label, Score: r.Score, Evidence: r.Evidence})
		}
		return nil
	})
	return rows, prov, err
}

// PutPredictions implements query.Annotations.
func (b *Backend) PutPredictions(ctx context.Context, kind, name string, rows []query.Prediction, prov query.Provenance) error {
	sr := make([]store.Prediction, len(rows))
	for i, r := range rows {
		sr[i] = store.Prediction{Entity: r.Entity, Label: r.Label, Score: r.Score, Evidence: r.Evidence}
	}
	return b.update(func(tx *store.Tx) error { return tx.PutPredictions(kind, name, sr, fromProv(prov)) })
}

// MergePredictions implements query.Writer.
func (b *Backend) MergePredictions(ctx context.Context, kind, name string, rows []query.Prediction, prov query.Provenance,
	replace func(uint64) bool, check func(query.Provenance) error) error {
	return b.update(func(tx *store.Tx) error {
		var kept []store.Prediction
		old, err := tx.Predictions(kind, name)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		case len(old.Rows) > 0:
			if err := check(toProv(old.Provenance)); err != nil {
				return err
			}
			for _, r := range old.Rows {
				if !replace(r.Entity) {
					kept = append(kept, r)
				}
			}
		}
		for _, r := range rows {
			kept = append(kept, store.Prediction{Entity: r.Entity, Label: r.Label, Score: r.Score, Evidence: r.Evidence})
		}
		sort.SliceStable(kept, func(i, j int) bool { return kept[i].Entity < kept[j].Entity })
		return tx.PutPredictions(kind, name, kept, fromProv(prov))
	})
}

// Clustering implements query.Clusterings.
func (s *snap) Clustering(ctx context.Context, space, name string) (query.Clustering, error) {
	var out query.Clustering
	err := s.view(func(tx *store.Tx) error {
		c, err := tx.Clustering(space, name)
		if err != nil {
			return err
		}
		out = query.Clustering{Name: c.Name, Keys: c.IDs, Labels: c.Labels, Stale: c.Stale, Provenance: toProv(c.Provenance)}
		return nil
	})
	if err == nil && !sort.SliceIsSorted(out.Keys, func(i, j int) bool { return out.Keys[i] < out.Keys[j] }) {
		sort.Sort(byKey{out.Keys, out.Labels})
	}
	return out, err
}

type byKey struct {
	k []uint64
	l []int32
}

func (s byKey) Len() int           { return len(s.k) }
func (s byKey) Less(i, j int) bool { return s.k[i] < s.k[j] }
func (s byKey) Swap(i, j int) {
	s.k[i], s.k[j] = s.k[j], s.k[i]
	s.l[i], s.l[j] = s.l[j], s.l[i]
}

// PutClustering implements query.Clusterings. The clustering was computed
// outside this write transaction (another process may have committed
// meanwhile), so it is stored only if each vector set it used still holds
// the model version it was computed from.
func (b *Backend) PutClustering(ctx context.Context, space string, c query.Clustering) error {
	return b.update(func(tx *store.Tx) error {
		if c.Provenance.ModelVersion != "" {
			info, err := tx.Space(space)
			if err != nil {
				return err
			}
			for _, d := range c.Provenance.Datasets {
				ok := false
				for _, s := range info.Sets {
					ok = ok || (s.Dataset == d && s.Provenance.ModelVersion == c.Provenance.ModelVersion)
				}
				if !ok {
					return fmt.Errorf("%w: space %q was retrained while clustering (model %q); nothing written, run again",
						query.ErrModelMismatch, space, c.Provenance.ModelVersion)
				}
			}
		}
		return tx.PutClustering(space, c.Name, c.Keys, c.Labels, fromProv(c.Provenance))
	})
}

// Networks implements query.Regulation.
func (s *snap) Networks(ctx context.Context) ([]query.Network, error) {
	var out []query.Network
	err := s.view(func(tx *store.Tx) error {
		nets, err := tx.Networks()
		for _, n := range nets {
			out = append(out, query.Network{Name: n.Name, Views: n.Views, Method: n.Method, Edges: n.Edges,
				Regulators: n.Regulators, Targets: n.Targets, Provenance: toProv(n.Provenance)})
		}
		return err
	})
	return out, err
}

// RegEdges implements query.Regulation.
func (s *snap) RegEdges(ctx context.Context, network string, gene uint32, targets bool) ([]query.RegEdge, error) {
	var out []query.RegEdge
	err := s.view(func(tx *store.Tx) error {
		var es []store.RegEdge
		var err error
		if targets {
			es, err = tx.TargetsOf(network, gene)
		} else {
			es, err = tx.RegulatorsOf(network, gene)
		}
		out = regEdges(es)
		return err
	})
	return out, err
}

// NetworkEdges implements query.Regulation.
func (s *snap) NetworkEdges(ctx context.Context, network string) ([]query.RegEdge, error) {
	var es []store.RegEdge
	err := s.view(func(tx *store.Tx) error {
		return tx.EachRegEdge(network, func(e store.RegEdge) error {
			es = append(es, e)
			if len(es)%65536 == 0 {
				return ctx.Err()
			}
			return nil
		})
	})
	return regEdges(es), err
}

func regEdges(es []store.RegEdge) []query.RegEdge {
	out := make([]query.RegEdge, len(es))
	for i, e := range es {
		out[i] = query.RegEdge{Regulator: e.Regulator, Target: e.Target, Score: e.Score, Sign: e.Sign, Support: e.Support}
	}
	return out
}
