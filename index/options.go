package index

import (
	"errors"
	"fmt"
)

// Metric is the similarity an index ranks by. Distances are 1 − similarity,
// so smaller is closer for both metrics.
type Metric uint8

const (
	// Cosine normalises every vector (stored and query) to unit length; the
	// distance is 1 − cos(a, b), in [0, 2]. It is the zero value.
	Cosine Metric = 0
	// InnerProduct stores vectors as given; the distance is 1 − a·b, which
	// may be negative. Graph quality assumes norms of similar size.
	InnerProduct Metric = 1
)

// String returns "cosine" or "ip".
func (m Metric) String() string {
	switch m {
	case Cosine:
		return "cosine"
	case InnerProduct:
		return "ip"
	}
	return fmt.Sprintf("Metric(%d)", uint8(m))
}

// Defaults used where an Options field is zero.
const (
	DefaultM              = 16
	DefaultEfConstruction = 200
	// DefaultEfSearch gives recall@10 ≈ 0.99 on 100k × 64 clustered data at M 16.
	DefaultEfSearch   = 64
	DefaultExactBelow = 2000
	// DefaultUpperBeam is Search's beam width on the layers above 0. The
	// paper's greedy descent (1) stops in a wrong cluster of clustered
	// data often enough that a query then misses all its neighbours: on
	// gen_vectors.py's 1M × 64 mixture, 29 of 1,000 queries at ef 80; 12
	// with a beam of 2, 4 with a beam of 4. Recall 0.95 then takes ef 50
	// instead of 70 (1.17× the queries per CPU-s); at 100k, where few
	// queries are lost, the beam costs 1–6% at equal recall. A beam of 4
	// is 1.12× beam 2 at 1M (recall 0.966) and 0.91× at 100k (medians of
	// three runs; README, HNSW rows).
	DefaultUpperBeam = 2
	// MaxM bounds M (layer 0 keeps 2M links per node).
	MaxM = 512
	// MaxDim bounds the vector dimension.
	MaxDim = 1 << 16
)

// Options configures an Index. The zero value is valid: zero fields take
// the defaults above.
type Options struct {
	// M is the number of links per node on the upper layers; layer 0 keeps
	// 2M. Larger M: better recall per ef, slower build, more memory.
	M int
	// EfConstruction is the beam width used while inserting.
	EfConstruction int
	// EfSearch is the default beam width for Search (SearchOptions.Ef
	// overrides it per call). It is raised to k when smaller.
	EfSearch int
	// UpperBeam is the default beam width of Search on the layers above 0
	// (SearchOptions.UpperBeam overrides it per call; 0: DefaultUpperBeam;
	// 1: the paper's greedy descent). Each layer's beam seeds the next
	// one's, and the last seeds layer 0's. Inserts descend greedily, as in
	// hnswlib. It is a run-time setting: snapshots do not store it.
	UpperBeam int
	// Metric is Cosine (default) or InnerProduct.
	Metric Metric
	// Seed seeds the level generator (a math/rand/v2 PCG).
	Seed uint64
	// ExactBelow makes Search brute-force while the index holds fewer live
	// vectors than this (0: DefaultExactBelow; negative: never).
	ExactBelow int
	// Quantize is how vectors are stored: Float32 (default) or Int8 (a
	// quarter of the memory; see Int8 for how results are re-ranked).
	Quantize Quantization
	// Threads is the number of goroutines AddBatch inserts with (0 or 1:
	// one). With more than one the graph depends on scheduling: levels
	// are still drawn from Seed, but links are not reproducible. It is a
	// run-time setting: snapshots do not store it.
	Threads int
}

// DefaultOptions returns the options with every default filled in.
func DefaultOptions() Options {
	return Options{M: DefaultM, EfConstruction: DefaultEfConstruction, EfSearch: DefaultEfSearch,
		Metric: Cosine, ExactBelow: DefaultExactBelow}
}

// Validate reports every problem with o at once (joined errors, each
// wrapping ErrOptions). Zero fields are valid (they mean "default").
func (o Options) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrOptions}, args...)...))
	}
	if o.M != 0 && (o.M < 2 || o.M > MaxM) {
		bad("M %d not in [2, %d]", o.M, MaxM)
	}
	if o.EfConstruction < 0 {
		bad("EfConstruction %d < 0", o.EfConstruction)
	}
	if o.EfSearch < 0 {
		bad("EfSearch %d < 0", o.EfSearch)
	}
	if o.UpperBeam < 0 {
		bad("UpperBeam %d < 0", o.UpperBeam)
	}
	if o.Quantize != Float32 && o.Quantize != Int8 {
		bad("unknown quantization %d", uint8(o.Quantize))
	}
	if o.Threads < 0 {
		bad("Threads %d < 0", o.Threads)
	}
	if o.Metric != Cosine && o.Metric != InnerProduct {
		bad("unknown metric %d", uint8(o.Metric))
	}
	return errors.Join(errs...)
}

// withDefaults returns o with zero fields replaced by defaults.
func (o Options) withDefaults() Options {
	if o.M == 0 {
		o.M = DefaultM
	}
	if o.EfConstruction == 0 {
		o.EfConstruction = DefaultEfConstruction
	}
	if o.EfConstruction < o.M {
		o.EfConstruction = o.M
	}
	if o.EfSearch == 0 {
		o.EfSearch = DefaultEfSearch
	}
	if o.ExactBelow == 0 {
		o.ExactBelow = DefaultExactBelow
	}
	if o.Threads == 0 {
		o.Threads = 1
	}
	return o
}

// SearchOptions tunes one Search call. The zero value searches the graph
// with the index's EfSearch and no filter.
type SearchOptions struct {
	// Ef is the beam width (0: the index's EfSearch). It is raised to k.
	Ef int
	// UpperBeam is the beam width on the layers above 0 (0: the index's
	// Options.UpperBeam; 1: greedy descent).
	UpperBeam int
	// Filter, when set, admits only keys for which it returns true. It is
	// called under the index's read lock: it must not call the index. Search
	// keeps exploring past rejected nodes (and scans exactly when the graph
	// search still found fewer than k) rather than return fewer than k
	// results while k admitted live keys exist.
	Filter func(key uint64) bool
	// Exact forces a brute-force scan (exact results; under Int8, exact
	// over the codes, then re-ranked).
	Exact bool
	// Floats, for an Int8 index, gives the float vectors with which the
	// beam's candidates are re-ranked before the best k are returned.
	// Without it an Int8 index returns distances to the decoded codes.
	// Float32 indexes ignore it.
	Floats VectorSource
	// Rerank, for an Int8 index with Floats, is how many of the beam's best
	// candidates by code distance are re-ranked with float distances
	// (faiss's IndexRefine k_factor·k): 0 means all max(Ef, k) of them; it
	// is raised to k and capped at the beam. Re-ranking reads one float
	// vector per candidate from Floats, most of them cache misses, so a
	// smaller window is faster; a true neighbour whose code distance puts
	// it outside the window is lost. Within the window, candidates that
	// provably cannot be among the k nearest are not read (see the package
	// documentation); that loses nothing.
	Rerank int
}

// Result is one neighbour: the caller's key and its distance to the query.
type Result struct {
	Key      uint64
	Distance float32
}
