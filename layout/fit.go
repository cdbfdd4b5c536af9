package layout

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Result is a fitted map.
type Result struct {
	// Coords holds n × 2 coordinates, row-major.
	Coords []float32
	// Params are the options used, defaults filled in, with the fitted a, b
	// and the start actually taken.
	Params Params
	// Components is the number of connected components of the graph.
	Components int
}

// Params records how a layout was computed.
type Params struct {
	NNeighbors   int     `json:"n_neighbors"`
	MinDist      float64 `json:"min_dist"`
	Spread       float64 `json:"spread"`
	A            float64 `json:"a"`
	B            float64 `json:"b"`
	Epochs       int     `json:"epochs"`
	NegativeRate int     `json:"negative_sample_rate"`
	LearningRate float64 `json:"learning_rate"`
	Repulsion    float64 `json:"repulsion_strength"`
	Init         Init    `json:"init"`
	Threads      int     `json:"threads"`
	Seed         uint64  `json:"seed"`
}

// Fit lays out n = len(ids) points from their neighbour lists (see
// FuzzyGraph), of which each point's Options.NNeighbors−1 nearest are
// used. vecs (n × dim, row-major) are only used for a PCA start and
// may be nil, dim 0, when the start is spectral or random. src supplies
// all randomness.
func Fit(ctx context.Context, ids [][]uint32, dists [][]float32, vecs []float32, dim int, o Options, src rand.Source) (*Result, error) {
	n := len(ids)
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if n < 3 {
		return nil, fmt.Errorf("%w: %d points (need at least 3)", ErrInvalid, n)
	}
	if int64(n) >= math.MaxUint32 {
		return nil, fmt.Errorf("%w: %d points", ErrInvalid, n)
	}
	if vecs != nil && (dim <= 0 || len(vecs) != n*dim) {
		return nil, fmt.Errorf("%w: %d values for %d×%d vectors", ErrInvalid, len(vecs), n, dim)
	}
	o = o.withDefaults(n)
	a, b, err := FitAB(o.Spread, o.MinDist)
	if err != nil {
		return nil, err
	}
	if ids, dists, err = nearest(ids, dists, n, o.NNeighbors-1); err != nil {
		return nil, err
	}
	g, err := FuzzyGraph(ctx, ids, dists)
	if err != nil {
		return nil, err
	}
	g = g.prune(o.Epochs)
	if g.NNZ() == 0 {
		return nil, fmt.Errorf("%w: the kNN graph has no edges", ErrInvalid)
	}
	rng := rand.New(src)
	_, nc := g.components()
	init := o.Init
	if init == InitAuto {
		switch {
		case nc == 1 && n <= o.SpectralMax && n >= 8:
			init = InitSpectral
		case vecs != nil:
			init = InitPCA
		default:
			init = InitRandom
		}
	}
	var start []float64
	switch init {
	case InitSpectral:
		if nc > 1 {
			return nil, fmt.Errorf("%w: spectral start asked for a graph of %d components", ErrInvalid, nc)
		}
		start, err = spectral(ctx, g, rng)
	case InitPCA:
		if vecs == nil {
			return nil, fmt.Errorf("%w: PCA start without vectors", ErrInvalid)
		}
		start, err = PCA(vecs, n, dim)
	case InitRandom:
		start = make([]float64, 2*n)
		for i := range start {
			start[i] = rng.Float64()*20 - 10
		}
	}
	if err != nil {
		return nil, err
	}
	xy := scaleStart(start, rng)
	s := newSGD(g.Indptr, g.Indices, g.Weights, xy, xy, sgdParams{a: a, b: b, gamma: o.Repulsion, alpha: o.LearningRate,
		negRate: o.NegativeRate, epochs: o.Epochs, moveOther: true})
	if err := s.run(ctx, src, o.Threads); err != nil {
		return nil, err
	}
	threads := o.Threads
	if n < parallelFrom {
		threads = 1
	}
	return &Result{Coords: xy, Components: nc, Params: Params{NNeighbors: o.NNeighbors, MinDist: o.MinDist, Spread: o.Spread,
		A: a, B: b, Epochs: o.Epochs, NegativeRate: o.NegativeRate, LearningRate: o.LearningRate, Repulsion: o.Repulsion,
		Init: init, Threads: threads}}, nil
}

// Transform places new points against the fixed coordinates base (m × 2,
// row-major) of a fitted layout with parameters p, as umap-learn's
// transform does: ids[i], dists[i] are new point i's nearest neighbours
// among the m fitted points (their indices are into base, unrelated to i).
// Memberships use smooth_knn_dist as umap-learn's transform calls it
// (k = p.NNeighbors, ρ = 0); each point starts at the membership-weighted
// mean of its neighbours' coordinates (at a neighbour's, when it coincides
// with one); edges lighter than the heaviest / epochs are dropped, and the
// rest sampled by their raw memberships in max(p.Epochs/3, 1)
// epochs of SGD at a quarter of the learning rate move only the new points
// (negative samples are drawn from the fitted ones). It returns len(ids) × 2
// coordinates.
func Transform(ctx context.Context, base []float32, ids [][]uint32, dists [][]float32, p Params, src rand.Source) ([]float32, error) {
	m := len(base) / 2
	if len(base)%2 != 0 || m == 0 {
		return nil, fmt.Errorf("%w: %d base coordinates", ErrInvalid, len(base))
	}
	for _, v := range base {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("%w: non-finite base coordinate", ErrInvalid)
		}
	}
	if err := checkKNN(ids, dists, m); err != nil {
		return nil, err
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if !(p.A > 0) || !(p.B > 0) || p.NNeighbors < 2 || p.Epochs < 1 || p.NegativeRate < 1 || !(p.LearningRate > 0) ||
		!(p.Repulsion >= 0) || !finite(p.A) || !finite(p.B) || !finite(p.LearningRate) || !finite(p.Repulsion) {
		return nil, fmt.Errorf("%w: layout parameters %+v", ErrInvalid, p)
	}
	n := len(ids)
	out := make([]float32, 2*n)
	if n == 0 {
		return out, nil
	}
	// Sorted rows and raw memberships (umap-learn's bipartite graph). The
	// start is the membership-weighted mean of the neighbours' coordinates,
	// or a neighbour's own when the point coincides with it (membership 1).
	sids, sd := sortedRows(ids, dists, false)
	var sum float64
	var cnt int
	for i := range sd {
		for _, d := range sd[i] {
			sum += float64(d)
		}
		cnt += len(sd[i])
	}
	meanAll := sum / float64(max(cnt, 1))
	indptr := make([]int, n+1)
	var tails []uint32
	var weights []float32
	for i := 0; i < n; i++ {
		if len(sids[i]) == 0 {
			return nil, fmt.Errorf("%w: new point %d has no neighbours", ErrInvalid, i)
		}
		sigma := smoothKNN(sd[i], p.NNeighbors, meanAll)
		var tot float64
		w0, exact := len(weights), -1
		for j, d := range sd[i] {
			w := membership(d, sigma, 0)
			if w == 1 && exact < 0 {
				exact = int(sids[i][j])
			}
			tails = append(tails, sids[i][j])
			weights = append(weights, w)
			tot += float64(w)
		}
		if exact >= 0 {
			out[2*i], out[2*i+1] = base[2*exact], base[2*exact+1]
		} else {
			var x, y float64
			for q := w0; q < len(weights); q++ {
				x += float64(weights[q]) * float64(base[2*tails[q]])
				y += float64(weights[q]) * float64(base[2*tails[q]+1])
			}
			out[2*i], out[2*i+1] = float32(x/tot), float32(y/tot)
		}
		indptr[i+1] = len(tails)
	}
	epochs := max(p.Epochs/3, 1)
	// drop light edges as umap-learn does
	var mx float32
	for _, w := range weights {
		mx = max(mx, w)
	}
	cut := mx / float32(epochs)
	k := 0
	np := make([]int, n+1)
	for i := 0; i < n; i++ {
		for q := indptr[i]; q < indptr[i+1]; q++ {
			if weights[q] >= cut {
				tails[k], weights[k] = tails[q], weights[q]
				k++
			}
		}
		np[i+1] = k
	}
	s := newSGD(np, tails[:k], weights[:k], out, base, sgdParams{a: p.A, b: p.B, gamma: p.Repulsion, alpha: p.LearningRate / 4,
		negRate: p.NegativeRate, epochs: epochs, moveOther: false})
	if err := s.run(ctx, src, 1); err != nil {
		return nil, err
	}
	return out, nil
}

// nearest returns the lists over n points cut to each point's k nearest
// (ties by id, self-references and duplicates dropped), checked first, or
// the lists themselves, unchecked (FuzzyGraph checks them), when none is
// longer than k.
func nearest(ids [][]uint32, dists [][]float32, n, k int) ([][]uint32, [][]float32, error) {
	if !slices.ContainsFunc(ids, func(l []uint32) bool { return len(l) > k }) {
		return ids, dists, nil
	}
	if err := checkKNN(ids, dists, n); err != nil {
		return nil, nil, err
	}
	sids, sd := sortedRows(ids, dists, true)
	for i := range sids {
		if len(sids[i]) > k {
			sids[i], sd[i] = sids[i][:k:k], sd[i][:k:k]
		}
	}
	return sids, sd, nil
}
