package eval

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"genestore/internal/sparse"
	"genestore/internal/stats"
)

// DefaultPerplexity is scIB's (and harmony's) LISI perplexity.
const DefaultPerplexity = 30

// LISIScores returns each item's local inverse Simpson index over the
// categories in cats (batches for iLISI) among its neighbours ids[i]
// (Korsunsky et al. 2019, harmony's compute_simpson as ported by scIB):
// neighbour j of i gets weight P_ij ∝ exp(−β_i d_ij), β_i found by binary
// search so that the entropy of P_i equals log(perplexity); the score is
// 1/Σ_c (Σ_{j∈c} P_ij)². With dists nil every neighbour weighs 1/k.
// Perplexity 0 means min(DefaultPerplexity, ⌊k/3⌋) (at least 1) as scIB
// does for short lists. Items with no neighbours get NaN.
func LISIScores(ids [][]uint32, dists [][]float32, cats []int, perplexity float64) ([]float64, error) {
	n := len(ids)
	if len(cats) != n {
		return nil, fmt.Errorf("%w: %d categories for %d neighbour lists", ErrInvalidInput, len(cats), n)
	}
	if dists != nil && len(dists) != n {
		return nil, fmt.Errorf("%w: %d distance rows for %d neighbour lists", ErrInvalidInput, len(dists), n)
	}
	if perplexity < 0 || math.IsNaN(perplexity) {
		return nil, fmt.Errorf("%w: perplexity %v", ErrInvalidInput, perplexity)
	}
	codes, k := compactInts(cats)
	out := make([]float64, n)
	share := make([]float64, k)
	var p []float64
	for i, row := range ids {
		if dists != nil && len(dists[i]) != len(row) {
			return nil, fmt.Errorf("%w: item %d has %d neighbours but %d distances", ErrInvalidInput, i, len(row), len(dists[i]))
		}
		for _, u := range row {
			if int64(u) >= int64(n) {
				return nil, fmt.Errorf("%w: item %d lists neighbour %d of %d", ErrInvalidInput, i, u, n)
			}
		}
		if len(row) == 0 {
			out[i] = math.NaN()
			continue
		}
		p = p[:0]
		if dists == nil {
			for range row {
				p = append(p, 1/float64(len(row)))
			}
		} else {
			perp := perplexity
			if perp == 0 {
				perp = min(DefaultPerplexity, math.Floor(float64(len(row))/3))
			}
			var ok bool
			p, ok = perplexityWeights(p, dists[i], max(perp, 1))
			if !ok {
				out[i] = math.NaN()
				continue
			}
		}
		clear(share)
		for j, u := range row {
			share[codes[u]] += p[j]
		}
		s := 0.0
		for _, x := range share {
			s += x * x
		}
		out[i] = 1 / s
	}
	return out, nil
}

// perplexityWeights is harmony's Hbeta binary search (50 tries, tolerance
// 1e-5), with distances shifted by their minimum before exponentiation (the
// weights are unchanged; underflow is avoided). ok is false only for an
// empty row.
func perplexityWeights(p []float64, d []float32, perplexity float64) ([]float64, bool) {
	if len(d) == 0 {
		return p[:0], false
	}
	logU := math.Log(perplexity)
	dmin := float64(d[0])
	for _, x := range d {
		dmin = min(dmin, float64(x))
	}
	beta, betaMin, betaMax := 1.0, math.Inf(-1), math.Inf(1)
	p = slices.Grow(p[:0], len(d))[:len(d)]
	hbeta := func() float64 {
		sum, h := 0.0, 0.0
		for j, x := range d {
			p[j] = math.Exp(-(float64(x) - dmin) * beta)
			sum += p[j]
			h += (float64(x) - dmin) * p[j]
		}
		for j := range p {
			p[j] /= sum
		}
		return math.Log(sum) + beta*h/sum
	}
	h := hbeta()
	for try := 0; try < 50; try++ {
		diff := h - logU
		if math.Abs(diff) < 1e-5 {
			break
		}
		if diff > 0 {
			betaMin = beta
			if math.IsInf(betaMax, 1) {
				beta *= 2
			} else {
				beta = (beta + betaMax) / 2
			}
		} else {
			betaMax = beta
			if math.IsInf(betaMin, -1) {
				beta /= 2
			} else {
				beta = (beta + betaMin) / 2
			}
		}
		h = hbeta()
	}
	return p, true
}

// ILISI is scIB's graph iLISI: the median over items of LISIScores with
// batches as categories, scaled to [0, 1] as (median − 1)/(B − 1), B the
// number of batches. 1 means every neighbourhood mixes all batches evenly,
// 0 means every neighbourhood holds one batch. ErrUndefined with fewer than
// two batches. scIB computes the neighbours with k = 3·perplexity (90).
func ILISI(ids [][]uint32, dists [][]float32, batches []int, perplexity float64) (float64, error) {
	s, err := LISIScores(ids, dists, batches, perplexity)
	if err != nil {
		return 0, err
	}
	_, b := compactInts(batches)
	if b < 2 {
		return 0, fmt.Errorf("%w: iLISI needs two or more batches", ErrUndefined)
	}
	var vals []float64
	for _, v := range s {
		if !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return 0, fmt.Errorf("%w: no item has neighbours", ErrUndefined)
	}
	return (stats.Median(vals) - 1) / float64(b-1), nil
}

// GraphConnectivity is scIB's graph connectivity: for each label, the
// share of its items in the largest connected component of the kNN graph g
// restricted to that label; the mean over labels. Edges are taken as
// undirected (any stored entry links its two ends). 1 means every label
// forms one connected piece.
func GraphConnectivity(g *sparse.CSR, labels []int) (float64, error) {
	if g == nil || g.Rows != g.Cols || len(labels) != g.Rows {
		return 0, fmt.Errorf("%w: graph and %d labels do not match", ErrInvalidInput, len(labels))
	}
	if err := g.Validate(); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	n := g.Rows
	if n == 0 {
		return 0, fmt.Errorf("%w: empty graph", ErrUndefined)
	}
	parent := make([]int32, n)
	for i := range parent {
		parent[i] = int32(i)
	}
	var find func(int32) int32
	find = func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for i := 0; i < n; i++ {
		idx, _ := g.Row(i)
		for _, j := range idx {
			if labels[j] == labels[i] {
				a, b := find(int32(i)), find(j)
				if a != b {
					parent[a] = b
				}
			}
		}
	}
	comp := map[int32]int{}
	total := map[int]int{}
	largest := map[int]int{}
	for i := 0; i < n; i++ {
		r := find(int32(i))
		comp[r]++
		total[labels[i]]++
	}
	for r, c := range comp {
		l := labels[r]
		largest[l] = max(largest[l], c)
	}
	sum := 0.0
	for _, l := range slices.Sorted(maps.Keys(total)) { // key order: the same sum every call
		sum += float64(largest[l]) / float64(total[l])
	}
	return sum / float64(len(total)), nil
}
