package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"genestore/query/annot"
	"genestore/vocab"
)

// Dataset is one stored dataset as the engine sees it.
type Dataset struct {
	ID    uint32 `json:"id"`
	Name  string `json:"name"`
	Cells int    `json:"cells"`
	Genes int    `json:"genes"`
}

// Gene is one gene of the global vocabulary.
type Gene struct {
	ID       uint32 `json:"id"`
	Symbol   string `json:"symbol"`
	SourceID string `json:"source_id,omitempty"`
}

// Provenance tells how a record was made (mirrors store.Provenance).
type Provenance struct {
	Kind         string          `json:"kind"`
	ModelVersion string          `json:"model_version"`
	Params       json.RawMessage `json:"params,omitempty"`
	Datasets     []uint32        `json:"datasets,omitempty"`
	Created      time.Time       `json:"created"`
}

// VectorSet is the vectors one dataset (or vocab.Consensus) has in a space.
type VectorSet struct {
	Dataset      uint32
	Count        int
	ModelVersion string
}

// SpaceInfo describes an embedding space.
type SpaceInfo struct {
	Name       string
	Dim        int
	Generation uint64
	Sets       []VectorSet
}

// set returns the set of dataset ds, if any.
func (s SpaceInfo) set(ds uint32) (VectorSet, bool) {
	for _, v := range s.Sets {
		if v.Dataset == ds {
			return v, true
		}
	}
	return VectorSet{}, false
}

// Hit is one search result: an entity key and its score (cosine similarity
// for Search, inner product for TopInner).
type Hit struct {
	Key   uint64
	Score float32
}

// Edge is one co-expression edge of a gene: its partner and signed weight.
type Edge struct {
	Partner uint32
	Weight  float32
}

// Clustering is a stored labelling of entities of a space.
type Clustering struct {
	Name       string
	Keys       []uint64
	Labels     []int32
	Stale      bool
	Provenance Provenance
}

// Prediction is one stored annotation of an entity.
type Prediction struct {
	Entity   uint64   `json:"entity"`
	Label    string   `json:"label"`
	Score    float32  `json:"score"`
	Evidence []uint32 `json:"evidence,omitempty"`
}

// Catalog resolves names: datasets, genes, cells, obs columns and aliases.
type Catalog interface {
	Datasets(ctx context.Context) ([]Dataset, error)
	// GenesBySymbol finds genes by symbol ignoring case, in id order.
	GenesBySymbol(ctx context.Context, symbol string) ([]Gene, error)
	// Genes returns the genes of ids, in order (ErrNotFound for an unknown id).
	Genes(ctx context.Context, ids []uint32) ([]Gene, error)
	// CellByBarcode returns a cell's row in its dataset.
	CellByBarcode(ctx context.Context, dataset uint32, barcode string) (uint32, error)
	// Barcodes returns the barcodes of the given cell rows of a dataset.
	Barcodes(ctx context.Context, dataset uint32, cells []uint32) ([]string, error)
	// ObsColumn returns one obs column of a dataset in cell order. The
	// slice may be shared with other callers (a Backend keeps decoded
	// columns): do not modify it.
	ObsColumn(ctx context.Context, dataset uint32, name string) ([]string, error)
	// Aliases returns the loaded alias map, lower-case alias → symbol
	// (nil when none is loaded).
	Aliases(ctx context.Context) (map[string]string, error)
}

// Vectors reads embedding spaces.
type Vectors interface {
	Space(ctx context.Context, space string) (SpaceInfo, error)
	// Vectors returns the vectors of keys, row-major (ErrNotFound for a
	// missing key).
	Vectors(ctx context.Context, space string, keys []uint64) ([]float32, error)
	// Keys lists the keys of the given datasets' vectors, ascending.
	Keys(ctx context.Context, space string, datasets []uint32) ([]uint64, error)
}

// Searcher finds vectors near a query vector. Both methods return hits
// sorted best first, at most k, admitting only keys for which filter (if not
// nil) returns true. Implementations must be safe for concurrent use.
type Searcher interface {
	// Search ranks by cosine similarity (approximately, through an index).
	Search(ctx context.Context, space string, q []float32, k int, filter func(key uint64) bool) ([]Hit, error)
	// TopInner ranks exactly by inner product.
	TopInner(ctx context.Context, space string, q []float32, k int, filter func(key uint64) bool) ([]Hit, error)
}

// IndexGraph is implemented by Readers whose index can list a node's
// neighbours in its search graph (query/backend's: HNSW layer 0).
// Clustering then builds its kNN graph from those lists refined by
// cluster.RefineKNN instead of one index search per entity; Readers without
// it (a remote backend) get the searches.
type IndexGraph interface {
	// GraphNeighbors calls fn(i, nbs) for each keys[i] in the space's
	// index with the keys of its graph neighbours (nbs is reused between
	// calls), from the index of the Reader's snapshot.
	GraphNeighbors(ctx context.Context, space string, keys []uint64, fn func(i int, nbs []uint64)) error
}

// Graphs reads co-expression graphs.
type Graphs interface {
	// EdgeDatasets lists the datasets that have co-expression edges.
	EdgeDatasets(ctx context.Context) ([]uint32, error)
	// Partners returns a gene's edges in a dataset (none is not an error).
	Partners(ctx context.Context, dataset, gene uint32) ([]Edge, error)
}

// Annotations reads gene-set collections and stored predictions.
type Annotations interface {
	Collection(ctx context.Context, name string) ([]annot.GeneSet, error)
	Predictions(ctx context.Context, kind, name string) ([]Prediction, Provenance, error)
}

// Clusterings reads stored clusterings.
type Clusterings interface {
	Clustering(ctx context.Context, space, name string) (Clustering, error)
}

// Reader is one consistent read snapshot of a store: every method answers
// from the same committed state, and Search and TopInner use the indexes
// and vectors of that state's generation of each space. A Reader is valid
// only inside the View callback that received it; its methods are safe for
// concurrent use within that callback.
type Reader interface {
	Catalog
	Vectors
	Searcher
	Graphs
	Annotations
	Clusterings
	Regulation
}

// Writer persists what queries compute. Its methods each run in their own
// write transaction; the engine never calls them inside a View.
type Writer interface {
	PutPredictions(ctx context.Context, kind, name string, rows []Prediction, prov Provenance) error
	// MergePredictions, in one write, reads the stored predictions (kind,
	// name), lets check refuse them by their provenance (not called when
	// none are stored), keeps the stored rows whose entity replace does
	// not report, adds rows, sorts by entity and stores the set under prov:
	// a merge that no other writer can interleave with.
	MergePredictions(ctx context.Context, kind, name string, rows []Prediction, prov Provenance,
		replace func(entity uint64) bool, check func(stored Provenance) error) error
	PutClustering(ctx context.Context, space string, c Clustering) error
}

// Backend is everything the engine reads and writes; genestore/query/backend
// implements it over a store.
type Backend interface {
	// View calls fn with a Reader over one read snapshot and returns fn's
	// error. The snapshot ends when fn returns.
	View(ctx context.Context, fn func(Reader) error) error
	Writer
}

// Options configure an Engine. The zero value is valid.
type Options struct {
	// MaxK bounds k in every query; 0 means 1000.
	MaxK int
	// Workers is the parallelism of batch work (kNN graphs, label
	// transfer, annotation of every gene); 0 means 2.
	Workers int
}

// DefaultOptions returns MaxK 1000 and 2 workers.
func DefaultOptions() Options { return Options{MaxK: 1000, Workers: 2} }

// Validate reports every problem with o at once.
func (o Options) Validate() error {
	var errs []error
	if o.MaxK < 0 {
		errs = append(errs, fmt.Errorf("%w: MaxK %d < 0", ErrInvalid, o.MaxK))
	}
	if o.Workers < 0 {
		errs = append(errs, fmt.Errorf("%w: Workers %d < 0", ErrInvalid, o.Workers))
	}
	return errors.Join(errs...)
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.MaxK == 0 {
		o.MaxK = d.MaxK
	}
	if o.Workers == 0 {
		o.Workers = d.Workers
	}
	return o
}

// Engine answers queries over a Backend. It holds no state of its own beyond
// its options, so it is safe for concurrent use when its Backend is.
type Engine struct {
	b    Backend
	opts Options
	// Inside a snapshot (see view): r reads it and writes are queued in
	// *after, run once the snapshot has ended. Outside, r is nil.
	r     Reader
	after *[]func(context.Context) error
}

// viewed runs fn on a copy of e bound to one read snapshot of the backend,
// then runs the writes fn queued. When e is already bound (a query called
// from another), fn runs in the same snapshot.
func viewed[T any](ctx context.Context, e *Engine, fn func(s *Engine) (T, error)) (T, error) {
	var out T
	if e.r != nil {
		return fn(e)
	}
	var after []func(context.Context) error
	err := e.b.View(ctx, func(r Reader) error {
		s := &Engine{b: e.b, opts: e.opts, r: r, after: &after}
		var err error
		out, err = fn(s)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	for _, w := range after {
		if err := w(ctx); err != nil {
			var zero T
			return zero, err
		}
	}
	return out, nil
}

// write queues w to run after the current snapshot ends: a bbolt write
// transaction must not wait on a read transaction of its own goroutine.
func (e *Engine) write(w func(context.Context) error) { *e.after = append(*e.after, w) }

// New returns an Engine over b.
func New(b Backend, opts Options) (*Engine, error) {
	if b == nil {
		return nil, fmt.Errorf("%w: nil backend", ErrInvalid)
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	return &Engine{b: b, opts: opts.withDefaults()}, nil
}

// Datasets lists the stored datasets.
func (e *Engine) Datasets(ctx context.Context) ([]Dataset, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) ([]Dataset, error) { return s.Datasets(ctx) })
	}
	ds, err := e.r.Datasets(ctx)
	if ds == nil && err == nil {
		ds = []Dataset{}
	}
	return ds, err
}

// names maps dataset ids to names, vocab.Consensus included.
type names map[uint32]string

func (e *Engine) names(ctx context.Context) (names, []Dataset, error) {
	ds, err := e.r.Datasets(ctx)
	if err != nil {
		return nil, nil, err
	}
	m := names{vocab.Consensus: vocab.ConsensusName}
	for _, d := range ds {
		m[d.ID] = d.Name
	}
	return m, ds, nil
}

// datasetID resolves a dataset name (vocab.ConsensusName gives vocab.Consensus).
func (e *Engine) datasetID(ds []Dataset, name string) (uint32, error) {
	if strings.EqualFold(name, vocab.ConsensusName) {
		return vocab.Consensus, nil
	}
	for _, d := range ds {
		if d.Name == name {
			return d.ID, nil
		}
	}
	return 0, fmt.Errorf("%w: dataset %q", ErrNotFound, name)
}

// checkK returns k, def (at most MaxK) for 0, or ErrInvalid outside 1..MaxK.
func (e *Engine) checkK(k, def int) (int, error) {
	switch {
	case k == 0:
		return min(def, e.opts.MaxK), nil
	case k < 0 || k > e.opts.MaxK:
		return 0, fmt.Errorf("%w: k = %d (want 1..%d)", ErrInvalid, k, e.opts.MaxK)
	}
	return k, nil
}

// Skipped names a vector set left out of a query because its model version
// differs from the query vector's.
type Skipped struct {
	Dataset      string `json:"dataset"`
	ModelVersion string `json:"model_version"`
}

// targets picks the sets of space a query from a vector of version ver may
// compare against: restrict (names; empty = defaults) minus exclude. A name
// in restrict without vectors in the space is ErrNotFound; an exclude that
// leaves nothing to search is ErrInvalid. Sets of
// another model version are an error when named in restrict, and are
// otherwise skipped and reported.
func (e *Engine) targets(info SpaceInfo, nm names, ds []Dataset, defaults []uint32, restrict, exclude []string, ver string) (map[uint32]bool, []Skipped, error) {
	want := map[uint32]bool{}
	explicit := len(restrict) > 0
	if explicit {
		for _, r := range restrict {
			id, err := e.datasetID(ds, r)
			if err != nil {
				return nil, nil, err
			}
			if _, ok := info.set(id); !ok {
				return nil, nil, fmt.Errorf("%w: dataset %q has no %s vectors", ErrNotFound, r, info.Name)
			}
			want[id] = true
		}
	} else {
		for _, id := range defaults {
			want[id] = true
		}
	}
	for _, x := range exclude {
		id, err := e.datasetID(ds, x)
		if err != nil {
			return nil, nil, err
		}
		if explicit && want[id] {
			return nil, nil, fmt.Errorf("%w: dataset %q both restricted to and excluded", ErrInvalid, x)
		}
		delete(want, id)
	}
	if len(want) == 0 && len(exclude) > 0 {
		return nil, nil, fmt.Errorf("%w: excluding %s leaves no %s vectors to search", ErrInvalid, strings.Join(exclude, ", "), info.Name)
	}
	out := map[uint32]bool{}
	var skipped []Skipped
	for _, s := range info.Sets {
		if !want[s.Dataset] {
			continue
		}
		if s.ModelVersion != ver {
			if explicit {
				return nil, nil, fmt.Errorf("%w: %s vectors of %q are model %q, the query vector is %q",
					ErrModelMismatch, info.Name, nm[s.Dataset], s.ModelVersion, ver)
			}
			skipped = append(skipped, Skipped{Dataset: nm[s.Dataset], ModelVersion: s.ModelVersion})
			continue
		}
		out[s.Dataset] = true
	}
	return out, skipped, nil
}

// setIDs lists the dataset ids of a space's sets.
func setIDs(info SpaceInfo, consensus bool) []uint32 {
	var out []uint32
	for _, s := range info.Sets {
		if (s.Dataset == vocab.Consensus) == consensus {
			out = append(out, s.Dataset)
		}
	}
	return out
}
