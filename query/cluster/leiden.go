package cluster

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"genestore/internal/sparse"
)

// Result is a partition of a graph's nodes.
type Result struct {
	// Labels holds each node's community, 0..Communities-1, numbered by
	// decreasing size (ties: smallest member node first).
	Labels []int
	// Communities is the number of communities.
	Communities int
	// Modularity is Q of Labels at Resolution (see Modularity).
	Modularity float64
	// Resolution is the γ used.
	Resolution float64
	// Iterations is the number of full runs made.
	Iterations int
	// Levels is the number of aggregation levels of the last run.
	Levels int
}

// eps is the smallest gain that counts as an improvement, in units of the
// graph's largest edge weight (graph.tol).
const eps = 1e-10

// Cluster partitions the symmetric weighted graph g (n×n CSR; weights ≥ 0)
// to maximise modularity at opts.Resolution with Leiden or Louvain. Node
// orders and Leiden's refinement draw from opts.Seed, so a given seed gives
// the same partition every time. Cancellation of ctx is checked between
// passes and levels.
func Cluster(ctx context.Context, g *sparse.CSR, opts Options) (Result, error) {
	if err := opts.Validate(); err != nil {
		return Result{}, err
	}
	opts = opts.withDefaults()
	gr, err := fromCSR(g)
	if err != nil {
		return Result{}, err
	}
	c := &clusterer{g0: gr, opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, 0))}
	return c.run(ctx)
}

type clusterer struct {
	g0   *graph
	opts Options
	rng  *rand.Rand
}

func (c *clusterer) run(ctx context.Context) (Result, error) {
	n := c.g0.n
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(i)
	}
	res := Result{Resolution: c.opts.Resolution}
	if n == 0 {
		return res, nil
	}
	best := c.g0.quality(labels, c.opts.Resolution)
	maxIt := c.opts.Iterations
	untilStable := maxIt == 0
	if untilStable {
		maxIt = MaxIterations
	}
	for it := 0; it < maxIt; it++ {
		next, levels, err := c.once(ctx, labels)
		if err != nil {
			return Result{}, err
		}
		q := c.g0.quality(next, c.opts.Resolution)
		res.Iterations = it + 1
		if untilStable && q <= best+1e-12 && it > 0 {
			break
		}
		if q >= best || it == 0 {
			labels, best = next, q
			res.Levels = levels
		}
	}
	res.Labels, res.Communities = renumberBySize(labels)
	res.Modularity = best
	return res, nil
}

// once runs one full Louvain or Leiden pass starting from init (labels on
// the original nodes, values < n) and returns the new labels on the original nodes.
func (c *clusterer) once(ctx context.Context, init []int32) ([]int32, int, error) {
	g := c.g0
	// node of the current level that each original node belongs to
	orig := make([]int32, g.n)
	for i := range orig {
		orig[i] = int32(i)
	}
	comm := slices.Clone(init)
	levels := 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, fmt.Errorf("cluster: %w", err)
		}
		st := newState(g, comm, c.opts.Resolution)
		var err error
		if c.opts.Method == Louvain {
			err = st.moveLouvain(ctx, c.rng)
		} else {
			st.moveFast(c.rng)
		}
		if err != nil {
			return nil, 0, err
		}
		var nc int
		comm, nc = compact(st.comm)
		levels++
		// final labels on original nodes
		if nc == g.n {
			out := make([]int32, len(orig))
			for i, v := range orig {
				out[i] = comm[v]
			}
			return out, levels, nil
		}
		aggBy, nAgg := comm, nc
		var nextComm []int32
		if c.opts.Method == Leiden {
			ref := st.refine(c.rng, c.opts.Randomness)
			ref, nr := compact(ref)
			if nr < g.n {
				aggBy, nAgg = ref, nr
			}
		}
		// initial partition of the aggregate: each aggregate node takes the
		// (non-refined) community of its members.
		nextComm = make([]int32, nAgg)
		for v, a := range aggBy {
			nextComm[a] = comm[v]
		}
		for i, v := range orig {
			orig[i] = aggBy[v]
		}
		g = g.aggregate(aggBy, nAgg)
		comm = nextComm
	}
}

// compact renumbers labels to 0..c-1 in order of first appearance.
func compact(labels []int32) ([]int32, int) {
	m := make([]int32, len(labels))
	for i := range m {
		m[i] = -1
	}
	out := make([]int32, len(labels))
	nc := int32(0)
	for i, l := range labels {
		if m[l] < 0 {
			m[l] = nc
			nc++
		}
		out[i] = m[l]
	}
	return out, int(nc)
}

// renumberBySize numbers communities by decreasing size, ties by smallest member.
func renumberBySize(labels []int32) ([]int, int) {
	l, nc := compact(labels) // first appearance = smallest member
	size := make([]int, nc)
	for _, c := range l {
		size[c]++
	}
	order := make([]int, nc)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return size[b] - size[a] })
	rank := make([]int, nc)
	for r, c := range order {
		rank[c] = r
	}
	out := make([]int, len(l))
	for i, c := range l {
		out[i] = rank[c]
	}
	return out, nc
}

// state is a partition of one level's graph under local moving.
type state struct {
	g     *graph
	gamma float64
	comm  []int32
	tot   []float64 // Σ deg of each community
	size  []int32
	empty []int32 // stack of empty community ids

	nw      []float64 // scratch: weight from the moving node to each community
	mark    []bool
	touched []int32
}

func newState(g *graph, comm []int32, gamma float64) *state {
	s := &state{g: g, gamma: gamma, comm: comm, tot: make([]float64, g.n), size: make([]int32, g.n),
		nw: make([]float64, g.n), mark: make([]bool, g.n)}
	for v, c := range comm {
		s.tot[c] += g.deg[v]
		s.size[c]++
	}
	for c := g.n - 1; c >= 0; c-- {
		if s.size[c] == 0 {
			s.empty = append(s.empty, int32(c))
		}
	}
	return s
}

// bestMove moves v to the community with the largest modularity gain (an
// empty community counts, with gain 0) and reports whether it changed.
func (s *state) bestMove(v int) bool {
	g := s.g
	d := s.comm[v]
	adj, w := g.nbrs(v)
	s.touched = s.touched[:0]
	for k, u := range adj {
		c := s.comm[u]
		if !s.mark[c] {
			s.mark[c] = true
			s.touched = append(s.touched, c)
		}
		s.nw[c] += w[k]
	}
	kv := g.deg[v]
	scale := s.gamma * kv / g.m2
	s.tot[d] -= kv
	s.size[d]--
	best := d
	bestGain := s.nw[d] - scale*s.tot[d]
	for _, c := range s.touched {
		if c == d {
			continue
		}
		if gain := s.nw[c] - scale*s.tot[c]; gain > bestGain+g.tol {
			best, bestGain = c, gain
		}
	}
	if bestGain < -g.tol && s.size[d] > 0 && len(s.empty) > 0 {
		best = s.empty[len(s.empty)-1]
		s.empty = s.empty[:len(s.empty)-1]
	}
	for _, c := range s.touched {
		s.nw[c] = 0
		s.mark[c] = false
	}
	s.tot[best] += kv
	s.size[best]++
	s.comm[v] = best
	if best != d && s.size[d] == 0 {
		s.empty = append(s.empty, d)
	}
	return best != d
}

// moveLouvain sweeps all nodes in one random order until a sweep moves none.
func (s *state) moveLouvain(ctx context.Context, rng *rand.Rand) error {
	order := rng.Perm(s.g.n)
	for pass := 0; pass < 1000; pass++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
		moved := 0
		for _, v := range order {
			if s.bestMove(v) {
				moved++
			}
		}
		if moved == 0 {
			break
		}
	}
	return nil
}

// moveFast is Leiden's fast local moving: a queue that starts with every
// node in random order; when a node moves, its neighbours outside its new
// community that are not queued join the queue.
func (s *state) moveFast(rng *rand.Rand) {
	n := s.g.n
	queue := make([]int32, n)
	for i, v := range rng.Perm(n) {
		queue[i] = int32(v)
	}
	inQ := make([]bool, n)
	for i := range inQ {
		inQ[i] = true
	}
	head, count := 0, n
	for count > 0 {
		v := queue[head]
		head = (head + 1) % n
		count--
		inQ[v] = false
		if !s.bestMove(int(v)) {
			continue
		}
		c := s.comm[v]
		adj, _ := s.g.nbrs(int(v))
		for _, u := range adj {
			if !inQ[u] && s.comm[u] != c {
				inQ[u] = true
				queue[(head+count)%n] = u
				count++
			}
		}
	}
}

// refine is Leiden's refinement: inside each community of s, start from
// singletons and merge well-connected singleton nodes into well-connected
// sub-communities, chosen at random with probability ∝ exp(ΔH/θ) among
// those with ΔH ≥ 0 (igraph's mergenodes). Returns the refined labels.
func (s *state) refine(rng *rand.Rand, theta float64) []int32 {
	g := s.g
	n := g.n
	res := s.gamma / g.m2
	ref := make([]int32, n)
	cw := make([]float64, n)  // degree sum of each refined cluster
	ext := make([]float64, n) // weight from each refined cluster to the rest of its community
	nonSingle := make([]bool, n)
	for v := 0; v < n; v++ {
		ref[v] = int32(v)
		cw[v] = g.deg[v]
		adj, w := g.nbrs(v)
		for k, u := range adj {
			if s.comm[u] == s.comm[v] {
				ext[v] += w[k]
			}
		}
	}
	nw := s.nw
	mark := s.mark
	var touched []int32
	var cand []int32
	var prob []float64
	for _, vi := range rng.Perm(n) {
		v := int32(vi)
		if nonSingle[ref[v]] {
			continue
		}
		C := s.comm[v]
		kC := s.tot[C]
		kv := g.deg[v]
		if ext[v] < res*kv*(kC-kv)-g.tol {
			continue
		}
		own := ref[v]
		cw[own] = 0
		ext[own] = 0
		adj, w := g.nbrs(vi)
		touched = touched[:0]
		for k, u := range adj {
			if s.comm[u] != C {
				continue
			}
			r := ref[u]
			if !mark[r] {
				mark[r] = true
				touched = append(touched, r)
			}
			nw[r] += w[k]
		}
		cand = append(cand[:0], own)
		prob = append(prob[:0], 0)
		maxDiff := 0.0
		for _, r := range touched {
			if r == own {
				continue
			}
			if ext[r] < res*cw[r]*(kC-cw[r])-g.tol {
				continue
			}
			diff := nw[r] - kv*cw[r]*res
			if diff < 0 {
				continue
			}
			cand = append(cand, r)
			prob = append(prob, diff)
			maxDiff = max(maxDiff, diff)
		}
		for _, r := range touched {
			nw[r] = 0
			mark[r] = false
		}
		chosen := own
		if len(cand) > 1 {
			total := 0.0
			for i, d := range prob {
				p := math.Exp((d - maxDiff) / theta)
				total += p
				prob[i] = total
			}
			x := rng.Float64() * total
			i, _ := slices.BinarySearch(prob, x)
			if i >= len(cand) {
				i = len(cand) - 1
			}
			chosen = cand[i]
		}
		ref[v] = chosen
		cw[chosen] += kv
		for k, u := range adj {
			if s.comm[u] != C {
				continue
			}
			if ref[u] == chosen {
				ext[chosen] -= w[k]
			} else {
				ext[chosen] += w[k]
			}
		}
		if chosen != own {
			nonSingle[chosen] = true
		}
	}
	return ref
}
