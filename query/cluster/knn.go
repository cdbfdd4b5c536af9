package cluster

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"genestore/internal/sparse"
)

// Metric is the distance used by the exact kNN search.
type Metric int

const (
	// Cosine distance 1 − cos(a, b); a zero vector has cosine 0 with everything.
	Cosine Metric = iota
	// Euclidean distance ‖a − b‖.
	Euclidean
)

// String returns "cosine" or "euclidean".
func (m Metric) String() string {
	switch m {
	case Cosine:
		return "cosine"
	case Euclidean:
		return "euclidean"
	}
	return fmt.Sprintf("Metric(%d)", int(m))
}

const (
	knnQueryBlock = 64
	knnBaseBlock  = 2048
)

// KNN finds the exact k nearest neighbours of each of the n row vectors in
// vecs (row-major n×dim), excluding the row itself. ids[i] and dists[i] are
// sorted by increasing distance (ties by id); rows have min(k, n−1)
// entries. Work is blocked (query blocks × base blocks through a float32
// gemm) and spread over GOMAXPROCS goroutines. Cost is O(n² dim): meant for
// n up to some tens of thousands; build larger graphs from an index with
// FromNeighbors.
func KNN(ctx context.Context, vecs []float32, n, dim, k int, metric Metric) (ids [][]uint32, dists [][]float32, err error) {
	if n < 0 || dim <= 0 || len(vecs) != n*dim {
		return nil, nil, fmt.Errorf("%w: %d values for %d×%d vectors", ErrInvalidInput, len(vecs), n, dim)
	}
	if k <= 0 {
		return nil, nil, fmt.Errorf("%w: k = %d must be positive", ErrInvalidInput, k)
	}
	if metric != Cosine && metric != Euclidean {
		return nil, nil, fmt.Errorf("%w: unknown metric %d", ErrInvalidInput, int(metric))
	}
	for i, v := range vecs {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, nil, fmt.Errorf("%w: non-finite value at vector %d", ErrInvalidInput, i/dim)
		}
	}
	k = min(k, max(n-1, 0))
	if k == 0 { // zero or one vector: nobody has a neighbour
		return make([][]uint32, n), make([][]float32, n), nil
	}
	x := vecs
	norms := make([]float32, n)
	if metric == Cosine {
		x = make([]float32, len(vecs))
		copy(x, vecs)
		for i := 0; i < n; i++ {
			row := x[i*dim : (i+1)*dim]
			var s float64
			for _, v := range row {
				s += float64(v) * float64(v)
			}
			if s > 0 {
				inv := float32(1 / math.Sqrt(s))
				for j := range row {
					row[j] *= inv
				}
			}
		}
	} else {
		for i := 0; i < n; i++ {
			var s float32
			for _, v := range x[i*dim : (i+1)*dim] {
				s += v * v
			}
			norms[i] = s
		}
	}
	ids = make([][]uint32, n)
	dists = make([][]float32, n)
	nb := (n + knnQueryBlock - 1) / knnQueryBlock
	workers := min(runtime.GOMAXPROCS(0), nb)
	var wg sync.WaitGroup
	next := make(chan int, nb)
	for b := 0; b < nb; b++ {
		next <- b
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scratch := make([]float32, knnQueryBlock*knnBaseBlock)
			tops := make([]topK, knnQueryBlock)
			for b := range next {
				if ctx.Err() != nil {
					return
				}
				q0 := b * knnQueryBlock
				q1 := min(q0+knnQueryBlock, n)
				for i := range tops[:q1-q0] {
					tops[i].reset(k)
				}
				for b0 := 0; b0 < n; b0 += knnBaseBlock {
					b1 := min(b0+knnBaseBlock, n)
					c := blas32.General{Rows: q1 - q0, Cols: b1 - b0, Stride: b1 - b0, Data: scratch[:(q1-q0)*(b1-b0)]}
					blas32.Gemm(blas.NoTrans, blas.Trans, 1,
						blas32.General{Rows: q1 - q0, Cols: dim, Stride: dim, Data: x[q0*dim : q1*dim]},
						blas32.General{Rows: b1 - b0, Cols: dim, Stride: dim, Data: x[b0*dim : b1*dim]},
						0, c)
					for qi := q0; qi < q1; qi++ {
						row := c.Data[(qi-q0)*c.Stride : (qi-q0)*c.Stride+c.Cols]
						t := &tops[qi-q0]
						for j, dot := range row {
							id := b0 + j
							if id == qi {
								continue
							}
							var d float32
							if metric == Cosine {
								// 1 − cos of equal directions rounds to about
								// −1e-7 in float32: a distance is never below 0.
								d = max(0, 1-dot)
							} else {
								d = norms[qi] + norms[id] - 2*dot
							}
							t.push(d, uint32(id))
						}
					}
				}
				for qi := q0; qi < q1; qi++ {
					t := &tops[qi-q0]
					// The gemm's float32 distances choose the neighbours;
					// the k kept are measured again exactly (float64, from
					// the input vectors), so that a duplicate is at 0 and
					// not at a cancellation residue of ‖a‖² + ‖b‖² − 2a·b.
					for j, id := range t.id {
						t.d[j] = exactDist(vecs, dim, qi, int(id), metric)
					}
					for j := 1; j < len(t.d); j++ {
						for p := j; p > 0 && (t.d[p] < t.d[p-1] || (t.d[p] == t.d[p-1] && t.id[p] < t.id[p-1])); p-- {
							t.d[p], t.d[p-1] = t.d[p-1], t.d[p]
							t.id[p], t.id[p-1] = t.id[p-1], t.id[p]
						}
					}
					ids[qi] = append([]uint32(nil), t.id...)
					dists[qi] = append([]float32(nil), t.d...)
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("cluster: %w", err)
	}
	return ids, dists, nil
}

// exactDist is the distance between rows i and j of vecs in float64: ‖a − b‖,
// or 1 − cos(a, b) (1 when either is zero), never below 0.
func exactDist(vecs []float32, dim, i, j int, metric Metric) float32 {
	a, b := vecs[i*dim:(i+1)*dim], vecs[j*dim:(j+1)*dim]
	if metric == Euclidean {
		var s float64
		for k := range a {
			d := float64(a[k]) - float64(b[k])
			s += d * d
		}
		return float32(math.Sqrt(s))
	}
	var dot, na, nb float64
	for k := range a {
		x, y := float64(a[k]), float64(b[k])
		dot += x * y
		na += x * x
		nb += y * y
	}
	if na == 0 || nb == 0 {
		return 1
	}
	return float32(max(0, 1-dot/math.Sqrt(na*nb)))
}

// topK keeps the k smallest (distance, id) pairs in sorted order.
type topK struct {
	k  int
	d  []float32
	id []uint32
}

func (t *topK) reset(k int) { t.k, t.d, t.id = k, t.d[:0], t.id[:0] }

func (t *topK) push(d float32, id uint32) {
	n := len(t.d)
	if n == t.k {
		if d > t.d[n-1] || (d == t.d[n-1] && id > t.id[n-1]) {
			return
		}
		n--
		t.d, t.id = t.d[:n], t.id[:n]
	}
	// insertion position
	p := n
	for p > 0 && (t.d[p-1] > d || (t.d[p-1] == d && t.id[p-1] > id)) {
		p--
	}
	t.d = append(t.d, 0)
	t.id = append(t.id, 0)
	copy(t.d[p+1:], t.d[p:n])
	copy(t.id[p+1:], t.id[p:n])
	t.d[p], t.id[p] = d, id
}

// KNNGraph is KNN followed by FromNeighbors: the exact symmetric weighted
// kNN graph of the n row vectors.
func KNNGraph(ctx context.Context, vecs []float32, n, dim, k int, metric Metric, opts GraphOptions) (*sparse.CSR, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	ids, dists, err := KNN(ctx, vecs, n, dim, k, metric)
	if err != nil {
		return nil, err
	}
	return FromNeighbors(ids, dists, opts)
}
