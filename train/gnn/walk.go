package gnn

import (
	"math/rand"
	"sort"
)

// walker draws the positive pairs of the edge-reconstruction loss from short
// random walks on one dataset's training graph (Options.WalkRestart,
// WalkSteps): the DeepWalk/node2vec view of a graph, in which a gene's
// context is the genes a walk from it reaches, not only its direct
// neighbours. A step from gene i goes to neighbour j with probability
// w_ij / Σ_k w_ik, w the co-expression r of the edge.
type walker struct {
	edges   [][2]int32 // the walks' first steps
	restart float64
	steps   int
	indptr  []int32
	nbr     []int32
	cum     []float64 // per gene, running sums of its edges' weights
}

// newWalker indexes the undirected weighted edges (a < b) over n genes for
// walks that stop with probability restart per step, after at most steps
// steps. Weights must be positive.
func newWalker(n int, edges [][2]int32, w []float32, restart float64, steps int) *walker {
	deg := make([]int32, n)
	for _, e := range edges {
		deg[e[0]]++
		deg[e[1]]++
	}
	wk := &walker{edges: edges, restart: restart, steps: steps, indptr: make([]int32, n+1)}
	for i := range n {
		wk.indptr[i+1] = wk.indptr[i] + deg[i]
	}
	wk.nbr = make([]int32, wk.indptr[n])
	wk.cum = make([]float64, wk.indptr[n])
	fill := append([]int32(nil), wk.indptr[:n]...)
	for k, e := range edges {
		for _, d := range [2][2]int32{{e[0], e[1]}, {e[1], e[0]}} {
			wk.nbr[fill[d[0]]] = d[1]
			wk.cum[fill[d[0]]] = float64(w[k])
			fill[d[0]]++
		}
	}
	for i := range n {
		s := 0.0
		for k := wk.indptr[i]; k < wk.indptr[i+1]; k++ {
			s += wk.cum[k]
			wk.cum[k] = s
		}
	}
	return wk
}

// step returns a neighbour of i drawn by weight; i itself if it has none.
func (wk *walker) step(rng *rand.Rand, i int32) int32 {
	lo, hi := wk.indptr[i], wk.indptr[i+1]
	if lo == hi {
		return i
	}
	c := wk.cum[lo:hi]
	j := sort.SearchFloat64s(c, rng.Float64()*c[len(c)-1])
	return wk.nbr[lo+int32(min(j, len(c)-1))]
}

// pairs draws k positive pairs: a random edge of the walker's, oriented at
// random, is the first step from its start gene; the walk then goes on with
// probability 1 − restart per step, up to steps steps, and (start, end) is
// the pair. Walks that come back to their start are drawn again, so every
// pair joins two genes. restart 1 gives the edges themselves in random
// order, with repeats (Train uses the edge list as is then).
func (wk *walker) pairs(rng *rand.Rand, k int) [][2]int32 {
	out := make([][2]int32, 0, k)
	for len(out) < k {
		e := wk.edges[rng.Intn(len(wk.edges))]
		a, b := e[0], e[1]
		if rng.Intn(2) == 0 {
			a, b = b, a
		}
		for s := 1; s < wk.steps && rng.Float64() >= wk.restart; s++ {
			b = wk.step(rng, b)
		}
		if a != b {
			out = append(out, [2]int32{a, b})
		}
	}
	return out
}
