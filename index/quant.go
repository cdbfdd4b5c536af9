package index

import (
	"fmt"
	"math"
	"slices"
	"unsafe"
)

// Quantization is how an index stores its vectors.
type Quantization uint8

const (
	// Float32 keeps every vector as float32 (dim × 4 bytes a node). It is
	// the zero value.
	Float32 Quantization = 0
	// Int8 keeps one byte per element: element j is lo_j + scale_j·c, with
	// c in [0, 255] and lo_j, scale_j fitted per dimension (min and max) on
	// the first batch inserted (see AddBatch). No float vector stays in the
	// index: the graph is built and searched with the codes (the query
	// stays float), and Search re-ranks its beam with exact float distances
	// when SearchOptions.Floats supplies the vectors, else returns the
	// distances to the codes.
	Int8 Quantization = 1
)

// String returns "float32" or "int8".
func (q Quantization) String() string {
	switch q {
	case Float32:
		return "float32"
	case Int8:
		return "int8"
	}
	return fmt.Sprintf("Quantization(%d)", uint8(q))
}

// VectorSource gives the float vector of a key, for re-ranking the results
// of a quantized index (SearchOptions.Floats): typically the store the
// vectors came from, so that they need not be resident in the index too.
type VectorSource interface {
	// Vector returns key's vector as given to Add (Search normalises it
	// under Cosine), appended to dst[:0], and whether key is known. It is
	// called under the index's read lock and must not call the index.
	Vector(key uint64, dst []float32) ([]float32, bool)
}

// VectorViews is a VectorSource that can lend its vectors in place (an
// in-memory array, a memory map). Re-ranking then starts loading every
// candidate's vector before it computes any distance, instead of copying
// the vectors one cache miss after another.
type VectorViews interface {
	VectorSource
	// VectorView returns key's vector without copying, and whether key is
	// known. The index only reads it, during the Search call that asked.
	VectorView(key uint64) ([]float32, bool)
}

// ParseQuantization returns the quantization named s: "float32" or "int8".
func ParseQuantization(s string) (Quantization, error) {
	for _, q := range []Quantization{Float32, Int8} {
		if s == q.String() {
			return q, nil
		}
	}
	return 0, fmt.Errorf("%w: quantization %q (want float32 or int8)", ErrOptions, s)
}

// q8 reports whether ix stores int8 codes.
func (ix *Index) q8() bool { return ix.opts.Quantize == Int8 }

// fitted reports whether the int8 ranges are set.
func (ix *Index) fitted() bool { return len(ix.lo) == ix.dim }

// fit sets the int8 ranges from one prepared vector: one vector gives no
// spread, so every dimension gets the symmetric box around zero that
// holds it. The caller holds the write lock.
func (ix *Index) fit(v []float32) {
	var m float32
	for _, x := range v {
		m = max(m, float32(math.Abs(float64(x))))
	}
	lo, hi := make([]float32, ix.dim), make([]float32, ix.dim)
	for j := range lo {
		lo[j], hi[j] = -m, m
	}
	ix.setRange(lo, hi)
}

// setRange sets the codes' ranges: code 0 is lo_j, code 255 is hi_j.
func (ix *Index) setRange(lo, hi []float32) {
	ix.lo, ix.scale = lo, make([]float32, ix.dim)
	for j := range lo {
		ix.scale[j] = (hi[j] - lo[j]) / 255
	}
}

// fitBatch fits the int8 ranges, unless fitted already, on the per-dimension
// minimum and maximum of the rows of a checked batch (normalised first
// under Cosine).
func (ix *Index) fitBatch(rows []float32) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	dim := ix.dim
	if ix.fitted() || len(rows) == 0 {
		return nil
	}
	if len(rows) == dim {
		v, err := ix.prepare(rows, false)
		if err != nil {
			return fmt.Errorf("index: AddBatch row 0: %w", err)
		}
		ix.fit(v)
		return nil
	}
	lo, hi := make([]float32, dim), make([]float32, dim)
	for j := range dim {
		lo[j], hi[j] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	for o := 0; o < len(rows); o += dim {
		v, err := ix.prepare(rows[o:o+dim], false)
		if err != nil {
			return fmt.Errorf("index: AddBatch row %d: %w", o/dim, err)
		}
		for j, x := range v {
			lo[j] = min(lo[j], x)
			hi[j] = max(hi[j], x)
		}
	}
	ix.setRange(lo, hi)
	return nil
}

// encode writes v's codes to dst (values outside the fitted range clamp).
func (ix *Index) encode(dst []uint8, v []float32) {
	dst = dst[:len(v)]
	for j, x := range v {
		if ix.scale[j] == 0 {
			dst[j] = 0
			continue
		}
		c := math.Round(float64((x - ix.lo[j]) / ix.scale[j]))
		dst[j] = uint8(max(0, min(255, c)))
	}
}

// code returns node id's codes (no copy).
func (ix *Index) code(id uint32) []uint8 {
	o := int(id) * ix.dim
	return ix.codes[o : o+ix.dim : o+ix.dim]
}

// decode returns node id's vector as stored: the float vector, or the
// decoded codes written to *buf.
func (ix *Index) decode(id uint32, buf *[]float32) []float32 {
	if !ix.q8() {
		return ix.vec(id)
	}
	out := (*buf)[:0]
	for j, c := range ix.code(id) {
		out = append(out, ix.lo[j]+ix.scale[j]*float32(c))
	}
	*buf = out
	return out
}

// query returns the form of a prepared vector v that dist takes: v itself,
// or under Int8 (written to *buf) the bias v·lo, then the step u, then dim
// int16 weights w_j packed two to a float32 slot (read them with
// qWeights), such that v·decoded(c) = v·lo + Σ v_j·scale_j·c_j ≈
// bias + u·Σ w_j·c_j, with w_j = round(v_j·scale_j / u) in
// [−32767, 32767]. The integer sum is exact and cheaper than converting
// each code to float (the SIMD kernels multiply 16-bit weights by
// zero-extended codes, VPMADDWD); the rounding error is at most u/2 per
// element, 1/65534 of the largest weight.
func (ix *Index) query(v []float32, buf *[]float32) []float32 {
	if !ix.q8() {
		return v
	}
	n := 2 + (ix.dim+1)/2
	out := slices.Grow((*buf)[:0], n)[:n]
	clear(out)
	var bias, top float32
	for j, x := range v {
		bias += x * ix.lo[j]
		top = max(top, float32(math.Abs(float64(x*ix.scale[j]))))
	}
	u := top / 32767
	out[0], out[1] = bias, u
	w := qWeights(out, ix.dim)
	for j, x := range v {
		w[j] = 0
		if u > 0 {
			w[j] = int16(math.Round(float64(x * ix.scale[j] / u)))
		}
	}
	*buf = out
	return out
}

// qWeights returns the dim int16 weights of an Int8 query form q (see
// query), aliasing q's slots 2 onwards.
func qWeights(q []float32, dim int) []int16 {
	_ = q[1+(dim+1)/2]
	return unsafe.Slice((*int16)(unsafe.Pointer(&q[2])), dim)
}

// distU8 is the distance between a query in Int8 query form and codes c.
func distU8(q []float32, c []uint8) float32 {
	return 1 - q[0] - q[1]*float32(dotU8(qWeights(q, len(c)), c))
}

// nodeQuery returns the query form of node id's stored vector, using *buf
// and *tmp as scratch under Int8.
func (ix *Index) nodeQuery(id uint32, buf, tmp *[]float32) []float32 {
	if !ix.q8() {
		return ix.vec(id)
	}
	return ix.query(ix.decode(id, tmp), buf)
}

// store writes the prepared vector v as node id's (under Int8 marking the
// node clamped when a code is off v by more than half a step). The caller
// holds the write lock.
func (ix *Index) store(id uint32, v []float32) {
	if !ix.q8() {
		copy(ix.vec(id), v)
		return
	}
	c := ix.code(id)
	ix.encode(c, v)
	for j, x := range v {
		if math.Abs(float64(x-(ix.lo[j]+ix.scale[j]*float32(c[j])))) > float64(ix.halfStep(j)) {
			ix.markClamped(id)
			return
		}
	}
}

// halfStep is the most by which an unclamped value of dimension j may be
// off its code's value: half a step, plus a little for float32 rounding in
// encode and decode.
func (ix *Index) halfStep(j int) float32 {
	return ix.scale[j]*(0.5+1e-4) + 1e-6
}

func (ix *Index) markClamped(id uint32) { ix.clamped[id>>6] |= 1 << (id & 63) }

func (ix *Index) isClamped(id uint32) bool { return ix.clamped[id>>6]&(1<<(id&63)) != 0 }

// clampedWords returns the clamp bitset's words for n nodes (zeros where
// no node has been stored yet).
func (ix *Index) clampedWords(n int) []uint64 {
	w := make([]uint64, (n+63)/64)
	copy(w, ix.clamped)
	return w
}

// codeErrorBound bounds |code distance − float distance| between the
// prepared float query q and every node not marked clamped, or returns
// false when the marks are unknown. Each of the node's values is within
// halfStep of its code's; the query's int16 weights are off by at most
// half their unit u, times a code of at most 255 per element (see query).
// A small margin covers float32 rounding in both distances.
func (ix *Index) codeErrorBound(q []float32) (float32, bool) {
	if ix.clampUnknown || !ix.fitted() {
		return 0, false
	}
	var b, top float64
	for j, x := range q {
		a := math.Abs(float64(x))
		b += a * float64(ix.halfStep(j))
		top = max(top, a*float64(ix.scale[j]))
	}
	b += top / 32767 / 2 * 255 * float64(len(q))
	return float32(b + 1e-5*(1+b)), true
}

// prune drops from res the candidates that cannot be among the k nearest
// once re-ranked, given that an unclamped node's code distance is within b
// of its float distance: the k smallest code distances of unclamped nodes
// promise k float distances of at most T = c_k + b, so an unclamped node
// whose code distance exceeds T + b is farther than all of them. Clamped
// nodes are always kept. The result is res's prefix, no longer a heap;
// scratch is reused between calls.
func (ix *Index) prune(res maxHeap, k int, b float32, scratch *[]float32) maxHeap {
	if len(res) <= k {
		return res
	}
	ds := (*scratch)[:0]
	for _, c := range res {
		if !ix.isClamped(c.id) {
			ds = append(ds, c.d)
		}
	}
	*scratch = ds
	if len(ds) < k {
		return res
	}
	slices.Sort(ds)
	limit := ds[k-1] + 2*b
	out := res[:0]
	for _, c := range res {
		if c.d <= limit || ix.isClamped(c.id) {
			out = append(out, c)
		}
	}
	return out
}

// rerank keeps the best opts.Rerank candidates of the heap res by code
// distance (all of them when it is 0; never fewer than k), drops those
// that cannot be among the k nearest (prune), and replaces
// their distances by exact float distances from opts.Floats (keys it does
// not know keep their int8 distances). q is the prepared float query. The
// returned slice is res's prefix, no longer a heap.
func (ix *Index) rerank(res maxHeap, q []float32, k int, opts SearchOptions, buf *[]float32) maxHeap {
	keep := opts.Rerank
	if keep <= 0 || keep > len(res) {
		keep = len(res)
	}
	keep = max(keep, min(k, len(res)))
	for len(res) > keep {
		res.pop()
	}
	if b, ok := ix.codeErrorBound(q); ok && k > 0 {
		res = ix.prune(res, k, b, buf)
	}
	if views, ok := opts.Floats.(VectorViews); ok {
		ix.rerankViews(res, q, views)
		return res
	}
	for i, c := range res {
		v, ok := opts.Floats.Vector(ix.key(c.id), (*buf)[:0])
		if !ok || len(v) != ix.dim {
			continue
		}
		*buf = v
		res[i].d = ix.floatDist(q, v, res[i].d)
	}
	return res
}

// rerankViews is rerank's loop over a source that lends its vectors: it
// starts loading every candidate's vector before computing the first
// distance, so that their cache misses overlap instead of following one
// another.
func (ix *Index) rerankViews(res maxHeap, q []float32, src VectorViews) {
	var on [64][]float32
	for lo := 0; lo < len(res); lo += len(on) {
		part := res[lo:min(lo+len(on), len(res))]
		for i, c := range part {
			v, ok := src.VectorView(ix.key(c.id))
			if !ok || len(v) != ix.dim {
				v = nil
			} else {
				prefetchRows(unsafe.Pointer(unsafe.SliceData(v)), 4*ix.dim, zeroRow[:])
			}
			on[i] = v
		}
		for i := range part {
			if on[i] != nil {
				part[i].d = ix.floatDist(q, on[i], part[i].d)
			}
		}
	}
}

// zeroRow is the row list of a one-row prefetch.
var zeroRow = [1]uint32{0}

// floatDist is the distance between the prepared query q and the float
// vector v as given to Add, or old when v has no direction (zero vector
// under Cosine).
func (ix *Index) floatDist(q, v []float32, old float32) float32 {
	d := dot(q, v)
	if ix.opts.Metric == Cosine {
		nn := dot(v, v)
		if nn == 0 {
			return old
		}
		d /= float32(math.Sqrt(float64(nn)))
	}
	return 1 - d
}
