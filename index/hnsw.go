package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// Index is a hierarchical navigable small world graph over float32 vectors,
// keyed by the caller's uint64 keys. Searches may run concurrently with each
// other; Add, Delete and Compact take an exclusive lock. See the package
// documentation for the model and its caveats.
type Index struct {
	mu sync.RWMutex

	dim  int
	opts Options // defaults filled in
	m    int     // links per node on layers ≥ 1
	m0   int     // links per node on layer 0 (2M)
	ml   float64 // level multiplier 1/ln(M)
	rng  rand.Source

	// Per node, by internal id (0..n-1). Tombstoned nodes keep their slots.
	vecs     []float32 // n × dim, contiguous (Float32 only)
	codes    []uint8   // n × dim int8 codes (Int8 only)
	lo       []float32 // per dimension: the value of code 0 (Int8, once fitted)
	scale    []float32 // per dimension: the step between codes (Int8, once fitted)
	keys     []uint64
	levels   []uint8
	links0   []uint32 // n × (1+m0): count, then up to m0 neighbour ids
	upperOff []uint32 // offset into upper of node's layer-1 block (levels > 0 only)
	upper    []uint32 // blocks of (1+m) per layer ≥ 1, per node with level > 0
	deleted  []uint64 // tombstone bitset
	ndeleted int

	// clamped marks (Int8) the nodes whose codes are off their vector by
	// more than half a step in some dimension: values outside the fitted
	// ranges. clampUnknown is set when the marks were not saved (an index
	// read from a version-2 snapshot); re-ranking then reads every
	// candidate.
	clamped      []uint64
	clampUnknown bool

	byKey    map[uint64]uint32 // live keys only (nil while packed)
	entry    uint32
	maxLevel int // -1 when the graph is empty

	generation uint64

	pool sync.Pool // *searcher

	// pk holds the layer-0 links while the index is packed (PackLinks);
	// links0 and byKey are nil meanwhile, and keys are found by binary
	// search: when they strictly ascend (keyOrder nil) in kr, or else in
	// keys itself, and otherwise through keyOrder (the live ids sorted by
	// key).
	pk       *packedLinks
	keyOrder []uint32
	// up stands for upperOff and levels while packed (both nil
	// meanwhile): only the nodes with a level above 0 keep an offset and a
	// level.
	up *upperIndex
	// kr stands for keys while packed when they are runs of consecutive
	// integers (one per dataset in a store's space, one in all for the
	// benchmarks): keys is nil meanwhile, saving 8 bytes a node.
	kr *keyRuns

	// par is set while a parallel insert links a chunk (parallel.go); the
	// write lock is held meanwhile, so searches never see it set.
	par *parallel
}

// New returns an empty index for vectors of length dim.
func New(dim int, opts Options) (*Index, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if dim <= 0 || dim > MaxDim {
		return nil, fmt.Errorf("%w: dimension %d not in [1, %d]", ErrOptions, dim, MaxDim)
	}
	opts = opts.withDefaults()
	rng := rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15)
	ix := &Index{dim: dim, opts: opts, rng: rng, byKey: make(map[uint64]uint32), maxLevel: -1}
	ix.initParams()
	return ix, nil
}

func (ix *Index) initParams() {
	ix.m = ix.opts.M
	ix.m0 = 2 * ix.opts.M
	ix.ml = 1 / math.Log(float64(ix.opts.M))
}

// Dim returns the vector dimension.
func (ix *Index) Dim() int { return ix.dim }

// Options returns the index's options with defaults filled in.
func (ix *Index) Options() Options {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.opts
}

// Len returns the number of live (not deleted) vectors.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.liveCount()
}

// liveCount is the number of live nodes; the caller holds a lock.
func (ix *Index) liveCount() int { return ix.count() - ix.ndeleted }

// count is the number of nodes, tombstones included; the caller holds a
// lock.
func (ix *Index) count() int {
	if ix.kr != nil {
		return ix.kr.n
	}
	return len(ix.keys)
}

// key returns node id's key; the caller holds a lock.
func (ix *Index) key(id uint32) uint64 {
	if ix.kr != nil {
		return ix.kr.key(id)
	}
	return ix.keys[id]
}

// Nodes returns the number of graph nodes, tombstones included. Compact
// drops the tombstones.
func (ix *Index) Nodes() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.count()
}

// Generation returns the caller's generation stamp (see SetGeneration).
func (ix *Index) Generation() uint64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.generation
}

// SetGeneration records a caller-defined stamp (for example the version of
// the vectors the index was built from). It is written into snapshots so a
// loader can tell a stale snapshot; the index itself never reads it.
func (ix *Index) SetGeneration(g uint64) {
	ix.mu.Lock()
	ix.generation = g
	ix.mu.Unlock()
}

// Contains reports whether key is live in the index.
func (ix *Index) Contains(key uint64) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	_, ok := ix.lookup(key)
	return ok
}

// Get returns a copy of the stored vector of key. Under Cosine it is the
// normalised vector, not the one given to Add.
func (ix *Index) Get(key uint64) ([]float32, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	id, ok := ix.lookup(key)
	if !ok {
		return nil, false
	}
	if ix.q8() {
		var buf []float32
		return ix.decode(id, &buf), true
	}
	return slices.Clone(ix.vec(id)), true
}

// Stored returns v as the index would hold it once added: normalised under
// Cosine and, under Int8, encoded and decoded with the fitted ranges
// (values outside them clamp), so that a checker can compare Get's answer
// with the vector it was given.
func (ix *Index) Stored(v []float32) ([]float32, error) {
	p, err := ix.prepare(v, true)
	if err != nil {
		return nil, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if !ix.q8() || !ix.fitted() {
		return p, nil
	}
	codes := make([]uint8, ix.dim)
	ix.encode(codes, p)
	for j, c := range codes {
		p[j] = ix.lo[j] + ix.scale[j]*float32(c)
	}
	return p, nil
}

// Keys returns the live keys in ascending order.
func (ix *Index) Keys() []uint64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]uint64, 0, ix.liveCount())
	for id := range ix.count() {
		if !ix.isDeleted(uint32(id)) {
			out = append(out, ix.key(uint32(id)))
		}
	}
	slices.Sort(out)
	return out
}

// vec returns node id's stored vector (no copy).
func (ix *Index) vec(id uint32) []float32 {
	o := int(id) * ix.dim
	return ix.vecs[o : o+ix.dim : o+ix.dim]
}

// links returns node id's neighbour list on level (no copy).
func (ix *Index) links(id uint32, level int) []uint32 {
	if level == 0 {
		b := int(id) * (ix.m0 + 1)
		return ix.links0[b+1 : b+1+int(ix.links0[b])]
	}
	var o uint32
	if ix.up != nil {
		o = ix.up.offset(id)
	} else {
		o = ix.upperOff[id]
	}
	b := int(o) + (level-1)*(ix.m+1)
	return ix.upper[b+1 : b+1+int(ix.upper[b])]
}

// setLinks replaces node id's neighbour list on level; len(list) must not
// exceed the layer's capacity.
func (ix *Index) setLinks(id uint32, level int, list []uint32) {
	var blk []uint32
	if level == 0 {
		b := int(id) * (ix.m0 + 1)
		blk = ix.links0[b : b+ix.m0+1]
	} else {
		b := int(ix.upperOff[id]) + (level-1)*(ix.m+1)
		blk = ix.upper[b : b+ix.m+1]
	}
	blk[0] = uint32(len(list))
	clear(blk[1+copy(blk[1:], list):])
}

func (ix *Index) capAt(level int) int {
	if level == 0 {
		return ix.m0
	}
	return ix.m
}

func (ix *Index) isDeleted(id uint32) bool {
	return ix.deleted[id>>6]&(1<<(id&63)) != 0
}

// dist is the distance between a query in the form query returns and
// node id.
func (ix *Index) dist(q []float32, id uint32) float32 {
	o := int(id) * ix.dim
	if ix.q8() {
		return distU8(q, ix.codes[o:o+ix.dim:o+ix.dim])
	}
	return 1 - dot(q, ix.vecs[o:o+ix.dim:o+ix.dim])
}

// prepare validates v and returns the vector to index or search with: a
// normalised copy under Cosine, v itself (or a copy if copyIP) otherwise.
func (ix *Index) prepare(v []float32, copyIP bool) ([]float32, error) {
	if len(v) != ix.dim {
		return nil, fmt.Errorf("%w: vector of length %d, index dimension %d", ErrDimension, len(v), ix.dim)
	}
	if !finite(v) {
		return nil, fmt.Errorf("%w: NaN or infinite element", ErrVector)
	}
	if ix.opts.Metric == Cosine {
		c := slices.Clone(v)
		if !normalize(c) {
			return nil, fmt.Errorf("%w: zero vector has no cosine", ErrVector)
		}
		return c, nil
	}
	if copyIP {
		return slices.Clone(v), nil
	}
	return v, nil
}

// appendN appends n zero elements to s, growing it like append (doubling)
// but through adviseHuge, so the big per-node arrays get huge pages.
func appendN[T any](s []T, n int) []T {
	if len(s)+n > cap(s) {
		c := max(2*cap(s), len(s)+n, 1024)
		t := make([]T, len(s), c)
		adviseHuge(t)
		copy(t, s)
		s = t
	}
	s = s[:len(s)+n]
	clear(s[len(s)-n:])
	return s
}
