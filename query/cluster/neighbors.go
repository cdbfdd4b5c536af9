package cluster

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"

	"genestore/internal/par"
	"genestore/internal/sparse"
)

// Weighting selects how FromNeighbors turns neighbour lists into edge weights.
type Weighting int

const (
	// SNN is Seurat's shared-nearest-neighbour graph (FindNeighbors →
	// ComputeSNN): with N(i) = {i} ∪ neighbours(i), the weight of {i, j} is
	// the Jaccard index |N(i) ∩ N(j)| / |N(i) ∪ N(j)|, for every pair that
	// shares at least one member (not only kNN pairs), pruned below
	// GraphOptions.Prune (Seurat's prune.SNN = 1/15). Unlike Seurat, the
	// diagonal (always 1) is left out. This is the default.
	SNN Weighting = iota
	// Binary is the union of the directed kNN edges, weight 1.
	Binary
	// Fuzzy is UMAP's fuzzy simplicial set, the connectivities scanpy's
	// pp.neighbors computes: per node ρ_i (distance to the nearest
	// neighbour at positive distance) and σ_i with Σ_j exp(−max(0, d_ij − ρ_i)/σ_i)
	// = log2(k_i + 1), directed weights w_ij = exp(−max(0, d_ij − ρ_i)/σ_i),
	// symmetrised as w + wᵀ − w∘wᵀ. Needs distances.
	Fuzzy
)

// String returns "snn", "binary" or "fuzzy".
func (w Weighting) String() string {
	switch w {
	case SNN:
		return "snn"
	case Binary:
		return "binary"
	case Fuzzy:
		return "fuzzy"
	}
	return fmt.Sprintf("Weighting(%d)", int(w))
}

// DefaultSNNPrune is Seurat's prune.SNN.
const DefaultSNNPrune = 1.0 / 15

// GraphOptions configure FromNeighbors. The zero value is valid (SNN, prune 1/15).
type GraphOptions struct {
	// Weighting of the edges; zero value SNN.
	Weighting Weighting
	// Prune drops SNN edges whose Jaccard weight is below it. 0 means
	// DefaultSNNPrune; a negative value keeps every pair that shares a neighbour.
	Prune float64
}

// DefaultGraphOptions returns SNN weighting pruned at 1/15 (Seurat's defaults).
func DefaultGraphOptions() GraphOptions {
	return GraphOptions{Weighting: SNN, Prune: DefaultSNNPrune}
}

// Validate reports every problem with o at once.
func (o GraphOptions) Validate() error {
	var errs []error
	if o.Weighting < SNN || o.Weighting > Fuzzy {
		errs = append(errs, fmt.Errorf("%w: unknown weighting %d", ErrInvalidOptions, int(o.Weighting)))
	}
	if math.IsNaN(o.Prune) || o.Prune > 1 {
		errs = append(errs, fmt.Errorf("%w: prune %v must be ≤ 1", ErrInvalidOptions, o.Prune))
	}
	return errors.Join(errs...)
}

// negativeDistanceTolerance is how far below zero a distance may round
// and still count as zero.
const negativeDistanceTolerance = 1e-5

// FromNeighbors builds a symmetric weighted graph (n×n CSR, n = len(ids), no
// diagonal) from each node's neighbour list, for example an HNSW index's
// search results. ids[i] may or may not contain i itself (it is ignored);
// duplicates are ignored. dists (same shape as ids) is needed only for
// Fuzzy weighting and may be nil otherwise.
func FromNeighbors(ids [][]uint32, dists [][]float32, opts GraphOptions) (*sparse.CSR, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	n := len(ids)
	if dists != nil && len(dists) != n {
		return nil, fmt.Errorf("%w: %d distance rows for %d neighbour rows", ErrInvalidInput, len(dists), n)
	}
	if opts.Weighting == Fuzzy && dists == nil {
		return nil, fmt.Errorf("%w: fuzzy weighting needs distances", ErrInvalidInput)
	}
	// clean lists: drop self, out-of-range → error, duplicates
	clean := make([][]int32, n)
	var cd [][]float32
	if dists != nil {
		cd = make([][]float32, n)
	}
	seen := make([]int32, n)
	for i := range seen {
		seen[i] = -1
	}
	for i, row := range ids {
		if dists != nil && len(dists[i]) != len(row) {
			return nil, fmt.Errorf("%w: node %d has %d neighbours but %d distances", ErrInvalidInput, i, len(row), len(dists[i]))
		}
		seen[i] = int32(i)
		for j, u := range row {
			if int64(u) >= int64(n) {
				return nil, fmt.Errorf("%w: node %d lists neighbour %d of %d nodes", ErrInvalidInput, i, u, n)
			}
			if seen[u] == int32(i) {
				continue
			}
			seen[u] = int32(i)
			clean[i] = append(clean[i], int32(u))
			if dists != nil {
				d := dists[i][j]
				// Cosine distance 1 − cos of two (nearly) identical unit
				// vectors rounds to a tiny negative number in float32: that is
				// a zero, not an error.
				if d < 0 && d > -negativeDistanceTolerance {
					d = 0
				}
				if math.IsNaN(float64(d)) || math.IsInf(float64(d), 0) || d < 0 {
					return nil, fmt.Errorf("%w: node %d: distance %v", ErrInvalidInput, i, d)
				}
				cd[i] = append(cd[i], d)
			}
		}
	}
	switch opts.Weighting {
	case Binary:
		return symmetrize(n, clean, nil, func(a, b float32) float32 { return max(a, b) }), nil
	case Fuzzy:
		w := fuzzyWeights(clean, cd)
		return symmetrize(n, clean, w, func(a, b float32) float32 { return a + b - a*b }), nil
	default:
		prune := opts.Prune
		if prune == 0 {
			prune = DefaultSNNPrune
		}
		return snn(n, clean, prune), nil
	}
}

// symmetrize builds the directed CSR from rows (weights w or 1) and merges
// it with its transpose; combine sees 0 for a missing direction.
func symmetrize(n int, rows [][]int32, w [][]float32, combine func(a, b float32) float32) *sparse.CSR {
	d := &sparse.CSR{Rows: n, Cols: n, Indptr: make([]int64, n+1)}
	type ent struct {
		c int32
		v float32
	}
	var buf []ent
	for i, row := range rows {
		buf = buf[:0]
		for j, u := range row {
			v := float32(1)
			if w != nil {
				v = w[i][j]
			}
			buf = append(buf, ent{u, v})
		}
		slices.SortFunc(buf, func(a, b ent) int { return int(a.c) - int(b.c) })
		for _, e := range buf {
			d.Indices = append(d.Indices, e.c)
			d.Data = append(d.Data, e.v)
		}
		d.Indptr[i+1] = int64(len(d.Data))
	}
	t := d.Transpose()
	out := &sparse.CSR{Rows: n, Cols: n, Indptr: make([]int64, n+1),
		Indices: make([]int32, 0, 2*len(d.Data)), Data: make([]float32, 0, 2*len(d.Data))}
	for i := 0; i < n; i++ {
		ai, av := d.Row(i)
		bi, bv := t.Row(i)
		p, q := 0, 0
		for p < len(ai) || q < len(bi) {
			switch {
			case q == len(bi) || (p < len(ai) && ai[p] < bi[q]):
				out.Indices = append(out.Indices, ai[p])
				out.Data = append(out.Data, combine(av[p], 0))
				p++
			case p == len(ai) || bi[q] < ai[p]:
				out.Indices = append(out.Indices, bi[q])
				out.Data = append(out.Data, combine(0, bv[q]))
				q++
			default:
				out.Indices = append(out.Indices, ai[p])
				out.Data = append(out.Data, combine(av[p], bv[q]))
				p++
				q++
			}
		}
		out.Indptr[i+1] = int64(len(out.Data))
	}
	return out
}

// snn computes Seurat's Jaccard SNN weights for all pairs sharing a
// neighbourhood member.
func snn(n int, rows [][]int32, prune float64) *sparse.CSR {
	// rev[j] = nodes i with j ∈ N(i), N(i) = {i} ∪ rows[i]
	cnt := make([]int64, n+1)
	for i, row := range rows {
		cnt[i+1]++
		for _, u := range row {
			cnt[u+1]++
		}
	}
	for i := 0; i < n; i++ {
		cnt[i+1] += cnt[i]
	}
	rev := make([]int32, cnt[n])
	pos := slices.Clone(cnt[:n])
	for i, row := range rows {
		rev[pos[i]] = int32(i)
		pos[i]++
		for _, u := range row {
			rev[pos[u]] = int32(i)
			pos[u]++
		}
	}
	// Rows are independent: contiguous ranges of them go to workers (each
	// with its own counters), and the parts are joined in row order, so
	// the result does not depend on the number of workers.
	workers := max(1, min(runtime.GOMAXPROCS(0), n/snnRowsPerWorker))
	type part struct {
		indices []int32
		data    []float32
		ends    []int64 // end of each row within the part
	}
	parts := make([]part, workers)
	par.For(workers, n, func(w, lo, hi int) {
		p := &parts[w]
		p.ends = make([]int64, hi-lo)
		shared := make([]int32, n)
		var touched []int32
		for i := lo; i < hi; i++ {
			touched = touched[:0]
			visit := func(j int32) {
				for _, l := range rev[cnt[j]:cnt[j+1]] {
					if shared[l] == 0 {
						touched = append(touched, l)
					}
					shared[l]++
				}
			}
			visit(int32(i))
			for _, j := range rows[i] {
				visit(j)
			}
			slices.Sort(touched)
			ni := len(rows[i]) + 1
			for _, l := range touched {
				s := int(shared[l])
				shared[l] = 0
				if int(l) == i {
					continue
				}
				jac := float64(s) / float64(ni+len(rows[l])+1-s)
				if jac < prune {
					continue
				}
				p.indices = append(p.indices, l)
				p.data = append(p.data, float32(jac))
			}
			p.ends[i-lo] = int64(len(p.data))
		}
	})
	if workers == 1 {
		out := &sparse.CSR{Rows: n, Cols: n, Indptr: make([]int64, n+1), Indices: parts[0].indices, Data: parts[0].data}
		copy(out.Indptr[1:], parts[0].ends)
		return out
	}
	total := 0
	for _, p := range parts {
		total += len(p.data)
	}
	out := &sparse.CSR{Rows: n, Cols: n, Indptr: make([]int64, n+1),
		Indices: make([]int32, 0, total), Data: make([]float32, 0, total)}
	row := 0
	for w := range parts {
		p := &parts[w]
		base := int64(len(out.Data))
		for _, e := range p.ends {
			row++
			out.Indptr[row] = base + e
		}
		out.Indices = append(out.Indices, p.indices...)
		out.Data = append(out.Data, p.data...)
		parts[w] = part{}
	}
	return out
}

// snnRowsPerWorker is the fewest rows per snn worker.
const snnRowsPerWorker = 8192

// fuzzyWeights is UMAP's smooth_knn_dist (local_connectivity 1, bandwidth 1)
// followed by the membership strengths.
func fuzzyWeights(rows [][]int32, dists [][]float32) [][]float32 {
	const (
		iters      = 64
		tol        = 1e-5
		minKDScale = 1e-3
	)
	var all float64
	var cntAll int
	for _, ds := range dists {
		for _, d := range ds {
			all += float64(d)
			cntAll++
		}
	}
	meanAll := 0.0
	if cntAll > 0 {
		meanAll = all / float64(cntAll)
	}
	out := make([][]float32, len(rows))
	for i, ds := range dists {
		if len(ds) == 0 {
			continue
		}
		target := math.Log2(float64(len(ds) + 1))
		rho := 0.0
		sum := 0.0
		for _, d := range ds {
			sum += float64(d)
		}
		for _, d := range ds {
			if d > 0 && (rho == 0 || float64(d) < rho) {
				rho = float64(d)
			}
		}
		lo, hi, mid := 0.0, math.Inf(1), 1.0
		for it := 0; it < iters; it++ {
			psum := 0.0
			for _, d := range ds {
				if x := float64(d) - rho; x > 0 {
					psum += math.Exp(-x / mid)
				} else {
					psum++
				}
			}
			if math.Abs(psum-target) < tol {
				break
			}
			if psum > target {
				hi = mid
				mid = (lo + hi) / 2
			} else {
				lo = mid
				if math.IsInf(hi, 1) {
					mid *= 2
				} else {
					mid = (lo + hi) / 2
				}
			}
		}
		sigma := mid
		if rho > 0 {
			sigma = max(sigma, minKDScale*sum/float64(len(ds)))
		} else {
			sigma = max(sigma, minKDScale*meanAll)
		}
		w := make([]float32, len(ds))
		for j, d := range ds {
			x := float64(d) - rho
			switch {
			case x <= 0:
				w[j] = 1
			case sigma == 0:
				w[j] = 0
			default:
				w[j] = float32(math.Exp(-x / sigma))
			}
		}
		out[i] = w
	}
	return out
}
