package cluster

import (
	"fmt"
	"math"
	"slices"

	"genestore/internal/sparse"
)

// graph is the working form of an undirected weighted graph: adjacency
// without the diagonal, self-loop weights apart, float64 weights.
//
// Convention (the one that keeps degrees unchanged under aggregation): a
// self-loop of weight s adds s to its node's degree and s to the internal
// weight of the node's community; an edge {u,v} of weight w is stored in
// both rows and adds w to both degrees. m2 = Σ_v deg[v] = 2m.
type graph struct {
	n      int
	indptr []int64
	adj    []int32
	w      []float64
	self   []float64
	deg    []float64
	m2     float64
	// tol is the smallest gain that counts as an improvement: eps times the
	// largest weight of the input graph, so that the partition does not
	// depend on the scale of the weights.
	tol float64
}

func (g *graph) nbrs(v int) ([]int32, []float64) {
	lo, hi := g.indptr[v], g.indptr[v+1]
	return g.adj[lo:hi], g.w[lo:hi]
}

// fromCSR checks that m is a square, symmetric, non-negative graph and
// converts it.
func fromCSR(m *sparse.CSR) (*graph, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil matrix", ErrInvalidGraph)
	}
	if m.Rows != m.Cols {
		return nil, fmt.Errorf("%w: matrix is %d×%d, want square", ErrInvalidGraph, m.Rows, m.Cols)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidGraph, err)
	}
	n := m.Rows
	// symmetry: the transpose must hold the same entries (O(nnz), sequential)
	t := m.Transpose()
	for r := 0; r < n; r++ {
		ai, av := m.Row(r)
		bi, bv := t.Row(r)
		if len(ai) != len(bi) {
			return nil, fmt.Errorf("%w: not symmetric in row %d (%d entries, column has %d)", ErrInvalidGraph, r, len(ai), len(bi))
		}
		for k := range ai {
			if ai[k] != bi[k] || math.Abs(float64(av[k])-float64(bv[k])) > 1e-5*math.Max(1, math.Abs(float64(av[k]))) {
				return nil, fmt.Errorf("%w: not symmetric at (%d,%d)", ErrInvalidGraph, r, ai[k])
			}
		}
	}
	g := &graph{n: n, indptr: make([]int64, n+1), self: make([]float64, n), deg: make([]float64, n)}
	g.adj = make([]int32, 0, len(m.Indices))
	g.w = make([]float64, 0, len(m.Data))
	maxW := 0.0
	for r := 0; r < n; r++ {
		idx, val := m.Row(r)
		for k, c := range idx {
			w := float64(val[k])
			if w < 0 {
				return nil, fmt.Errorf("%w: negative weight %v at (%d,%d)", ErrInvalidGraph, w, r, c)
			}
			g.deg[r] += w
			maxW = max(maxW, w)
			if int(c) == r {
				g.self[r] = w
				continue
			}
			if w == 0 {
				continue
			}
			g.adj = append(g.adj, c)
			g.w = append(g.w, w)
		}
		g.indptr[r+1] = int64(len(g.adj))
		g.m2 += g.deg[r]
	}
	g.tol = eps
	if maxW > 0 {
		g.tol = eps * maxW
	}
	return g, nil
}

// aggregate collapses each community of labels (values 0..nc-1) to one node.
func (g *graph) aggregate(labels []int32, nc int) *graph {
	// members by counting sort
	start := make([]int32, nc+1)
	for _, c := range labels {
		start[c+1]++
	}
	for c := 0; c < nc; c++ {
		start[c+1] += start[c]
	}
	members := make([]int32, g.n)
	next := slices.Clone(start[:nc])
	for v, c := range labels {
		members[next[c]] = int32(v)
		next[c]++
	}
	a := &graph{n: nc, indptr: make([]int64, nc+1), self: make([]float64, nc), deg: make([]float64, nc), m2: g.m2, tol: g.tol}
	acc := make([]float64, nc)
	mark := make([]bool, nc)
	var touched []int32
	for c := 0; c < nc; c++ {
		touched = touched[:0]
		self := 0.0
		for _, v := range members[start[c]:start[c+1]] {
			self += g.self[v]
			a.deg[c] += g.deg[v]
			adj, w := g.nbrs(int(v))
			for k, u := range adj {
				cu := labels[u]
				if int(cu) == c {
					self += w[k]
					continue
				}
				if !mark[cu] {
					mark[cu] = true
					touched = append(touched, cu)
				}
				acc[cu] += w[k]
			}
		}
		a.self[c] = self
		slices.Sort(touched)
		for _, cu := range touched {
			a.adj = append(a.adj, cu)
			a.w = append(a.w, acc[cu])
			acc[cu] = 0
			mark[cu] = false
		}
		a.indptr[c+1] = int64(len(a.adj))
	}
	return a
}

// quality returns the modularity of labels on g at resolution gamma.
func (g *graph) quality(labels []int32, gamma float64) float64 {
	if g.m2 == 0 {
		return 0
	}
	nc := int32(0)
	for _, c := range labels {
		nc = max(nc, c+1)
	}
	in := make([]float64, nc)
	tot := make([]float64, nc)
	for v := 0; v < g.n; v++ {
		c := labels[v]
		tot[c] += g.deg[v]
		in[c] += g.self[v]
		adj, w := g.nbrs(v)
		for k, u := range adj {
			if labels[u] == c {
				in[c] += w[k]
			}
		}
	}
	q := 0.0
	for c := range in {
		q += in[c] - gamma*tot[c]*tot[c]/g.m2
	}
	return q / g.m2
}

// Modularity returns Q = 1/2m Σ_ij [A_ij − γ k_i k_j / 2m] δ(c_i, c_j) of the
// partition labels (any non-negative integers) on the symmetric graph g. A
// diagonal entry A_ii counts once in k_i and once in the sum, the convention
// under which aggregation keeps Q unchanged; for graphs without self-loops
// this is the textbook (and gonum's) definition. The resolution must be
// finite and ≥ 0 (as Options.Resolution; 0 here is γ = 0, not the default).
func Modularity(g *sparse.CSR, labels []int, resolution float64) (float64, error) {
	if resolution < 0 || math.IsNaN(resolution) || math.IsInf(resolution, 0) {
		return 0, fmt.Errorf("%w: resolution %v must be finite and ≥ 0", ErrInvalidOptions, resolution)
	}
	gr, err := fromCSR(g)
	if err != nil {
		return 0, err
	}
	l, err := compactLabels(labels, gr.n)
	if err != nil {
		return 0, err
	}
	return gr.quality(l, resolution), nil
}

// compactLabels renumbers arbitrary non-negative labels to 0..c-1 in order of
// first appearance.
func compactLabels(labels []int, n int) ([]int32, error) {
	if len(labels) != n {
		return nil, fmt.Errorf("%w: %d labels for %d nodes", ErrInvalidInput, len(labels), n)
	}
	m := make(map[int]int32)
	out := make([]int32, n)
	for i, l := range labels {
		if l < 0 {
			return nil, fmt.Errorf("%w: negative label %d at node %d", ErrInvalidInput, l, i)
		}
		c, ok := m[l]
		if !ok {
			c = int32(len(m))
			m[l] = c
		}
		out[i] = c
	}
	return out, nil
}
