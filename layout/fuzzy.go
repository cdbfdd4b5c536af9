package layout

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"

	"genestore/internal/par"
	"genestore/query/cluster"
)

// Graph is a symmetric weighted graph in compressed sparse row form: the
// neighbours of point i are Indices[Indptr[i]:Indptr[i+1]] (ascending) with
// weights Weights[...]. Every edge appears in both of its rows.
type Graph struct {
	N       int
	Indptr  []int
	Indices []uint32
	Weights []float32
}

// NNZ is the number of stored (directed) entries, twice the edge count.
func (g *Graph) NNZ() int { return len(g.Indices) }

// checkKNN validates neighbour lists over n points.
func checkKNN(ids [][]uint32, dists [][]float32, n int) error {
	if len(ids) != len(dists) {
		return fmt.Errorf("%w: %d id lists, %d distance lists", ErrInvalid, len(ids), len(dists))
	}
	for i := range ids {
		if len(ids[i]) != len(dists[i]) {
			return fmt.Errorf("%w: point %d has %d ids, %d distances", ErrInvalid, i, len(ids[i]), len(dists[i]))
		}
		for j, id := range ids[i] {
			if int(id) >= n {
				return fmt.Errorf("%w: point %d: neighbour %d out of range (%d points)", ErrInvalid, i, id, n)
			}
			if d := dists[i][j]; !(d >= 0) || math.IsInf(float64(d), 0) {
				return fmt.Errorf("%w: point %d: distance %v", ErrInvalid, i, d)
			}
		}
	}
	return nil
}

// smoothKNN is umap-learn's smooth_knn_dist for one point as its
// transform calls it, with local_connectivity 1 − 1 = 0: ρ = 0, and σ such
// that Σ_{j≥1} exp(−d_j/σ) = log2(k) over the distances d sorted
// ascending, j = 0 (the nearest) left out, as smooth_knn_dist always skips
// the first column (in a fit, the point itself; in a transform, the
// nearest neighbour). With ρ = 0 the floor on σ is 1e-3 × meanAll, the
// mean of every distance of the call. FuzzyGraph, for fits, uses
// query/cluster's weights instead.
func smoothKNN(d []float32, k int, meanAll float64) (sigma float64) {
	target := math.Log2(float64(k))
	lo, hi, mid := 0.0, math.Inf(1), 1.0
	for it := 0; it < 64; it++ {
		psum := 0.0
		for j := 1; j < len(d); j++ {
			if x := float64(d[j]); x > 0 {
				psum += math.Exp(-x / mid)
			} else {
				psum++
			}
		}
		if math.Abs(psum-target) < 1e-5 {
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
	return max(mid, 1e-3*meanAll)
}

// membership is exp(−(d − ρ)/σ), 1 within ρ.
func membership(d float32, sigma, rho float64) float32 {
	x := float64(d) - rho
	if x <= 0 || sigma == 0 {
		return 1
	}
	return float32(math.Exp(-x / sigma))
}

// sortedRows copies each neighbour list sorted by distance (ties by id),
// duplicates dropped, and with dropSelf the entry i of row i (a fit's
// lists and the points share indices; a transform's do not).
func sortedRows(ids [][]uint32, dists [][]float32, dropSelf bool) ([][]uint32, [][]float32) {
	oi := make([][]uint32, len(ids))
	od := make([][]float32, len(ids))
	par.For(runtime.GOMAXPROCS(0), len(ids), func(_, lo, hi int) {
		type nd struct {
			id uint32
			d  float32
		}
		var buf []nd
		for i := lo; i < hi; i++ {
			buf = buf[:0]
			for j, id := range ids[i] {
				if !dropSelf || int(id) != i {
					buf = append(buf, nd{id, dists[i][j]})
				}
			}
			sort.Slice(buf, func(a, b int) bool {
				if buf[a].d != buf[b].d {
					return buf[a].d < buf[b].d
				}
				return buf[a].id < buf[b].id
			})
			for j, x := range buf {
				if j > 0 && slices.Contains(oi[i], x.id) {
					continue
				}
				oi[i] = append(oi[i], x.id)
				od[i] = append(od[i], x.d)
			}
		}
	})
	return oi, od
}

// FuzzyGraph builds UMAP's fuzzy simplicial set from neighbour lists:
// ids[i] and dists[i] are point i's nearest neighbours (any order; the
// point itself and repeats are ignored) among n = len(ids) points, as many
// as n_neighbors − 1 (umap-learn counts the point itself). Per point, ρ is
// the nearest positive distance and σ solves
// Σ_j exp(−max(0, d_j − ρ)/σ) = log2(len + 1); memberships
// exp(−(d − ρ_i)/σ_i) are symmetrised by fuzzy union w_ij = a + b − ab. The
// weights are query/cluster's Fuzzy graph (scanpy's connectivities, the
// same computation), reused here.
func FuzzyGraph(ctx context.Context, ids [][]uint32, dists [][]float32) (*Graph, error) {
	n := len(ids)
	if err := checkKNN(ids, dists, n); err != nil {
		return nil, err
	}
	m, err := cluster.FromNeighbors(ids, dists, cluster.GraphOptions{Weighting: cluster.Fuzzy})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g := &Graph{N: n, Indptr: make([]int, n+1), Indices: make([]uint32, 0, len(m.Indices)), Weights: make([]float32, 0, len(m.Data))}
	for i := 0; i < n; i++ {
		cols, w := m.Row(i)
		for q, c := range cols {
			if w[q] > 0 {
				g.Indices = append(g.Indices, uint32(c))
				g.Weights = append(g.Weights, w[q])
			}
		}
		g.Indptr[i+1] = len(g.Indices)
	}
	return g, nil
}

// prune drops entries lighter than max/epochs (umap-learn does so before
// the layout) and returns the pruned graph.
func (g *Graph) prune(epochs int) *Graph {
	var mx float32
	for _, w := range g.Weights {
		mx = max(mx, w)
	}
	cut := mx / float32(epochs)
	out := &Graph{N: g.N, Indptr: make([]int, g.N+1)}
	for i := 0; i < g.N; i++ {
		for p := g.Indptr[i]; p < g.Indptr[i+1]; p++ {
			if g.Weights[p] >= cut {
				out.Indices = append(out.Indices, g.Indices[p])
				out.Weights = append(out.Weights, g.Weights[p])
			}
		}
		out.Indptr[i+1] = len(out.Indices)
	}
	return out
}

// components labels the connected components of g and returns their count.
func (g *Graph) components() ([]int32, int) {
	lab := make([]int32, g.N)
	for i := range lab {
		lab[i] = -1
	}
	c := 0
	var stack []int
	for s := 0; s < g.N; s++ {
		if lab[s] >= 0 {
			continue
		}
		lab[s] = int32(c)
		stack = append(stack[:0], s)
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, u := range g.Indices[g.Indptr[v]:g.Indptr[v+1]] {
				if lab[u] < 0 {
					lab[u] = int32(c)
					stack = append(stack, int(u))
				}
			}
		}
		c++
	}
	return lab, c
}
