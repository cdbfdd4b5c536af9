package cluster

import (
	"context"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/graph/community"
	"gonum.org/v1/gonum/graph/simple"

	"genestore/internal/sparse"
)

var long = flag.Bool("long", false, "run long tests")

// edgesToCSR builds a symmetric CSR from an undirected edge list.
func edgesToCSR(t testing.TB, n int, edges [][3]float64) *sparse.CSR {
	t.Helper()
	rows := make([]map[int32]float32, n)
	for i := range rows {
		rows[i] = map[int32]float32{}
	}
	for _, e := range edges {
		a, b := int(e[0]), int(e[1])
		rows[a][int32(b)] += float32(e[2])
		if a != b {
			rows[b][int32(a)] += float32(e[2])
		}
	}
	m := &sparse.CSR{Rows: n, Cols: n, Indptr: make([]int64, n+1)}
	for i, r := range rows {
		keys := make([]int32, 0, len(r))
		for k := range r {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			m.Indices = append(m.Indices, k)
			m.Data = append(m.Data, r[k])
		}
		m.Indptr[i+1] = int64(len(m.Data))
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	return m
}

func csrEdges(m *sparse.CSR) [][3]float64 {
	var out [][3]float64
	for r := 0; r < m.Rows; r++ {
		idx, val := m.Row(r)
		for k, c := range idx {
			if int(c) > r {
				out = append(out, [3]float64{float64(r), float64(c), float64(val[k])})
			}
		}
	}
	return out
}

// gonumCluster runs gonum's Louvain and returns labels and its modularity.
func gonumCluster(n int, edges [][3]float64, gamma float64, seed uint64) ([]int, float64) {
	g := simple.NewWeightedUndirectedGraph(0, 0)
	for i := 0; i < n; i++ {
		g.AddNode(simple.Node(i))
	}
	for _, e := range edges {
		g.SetWeightedEdge(g.NewWeightedEdge(simple.Node(int64(e[0])), simple.Node(int64(e[1])), e[2]))
	}
	r := community.Modularize(g, gamma, rand.NewPCG(seed, 0))
	comms := r.Communities()
	labels := make([]int, n)
	for c, nodes := range comms {
		for _, nd := range nodes {
			labels[nd.ID()] = c
		}
	}
	return labels, community.Q(g, comms, gamma)
}

// samePartition reports whether a and b group the nodes identically.
func samePartition(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	ab, ba := map[int]int{}, map[int]int{}
	for i := range a {
		if x, ok := ab[a[i]]; ok && x != b[i] {
			return false
		}
		if x, ok := ba[b[i]]; ok && x != a[i] {
			return false
		}
		ab[a[i]], ba[b[i]] = b[i], a[i]
	}
	return true
}

// ringOfCliques: c cliques of size s, consecutive cliques joined by one edge.
func ringOfCliques(c, s int) (int, [][3]float64, []int) {
	var e [][3]float64
	truth := make([]int, c*s)
	for q := 0; q < c; q++ {
		for i := 0; i < s; i++ {
			truth[q*s+i] = q
			for j := i + 1; j < s; j++ {
				e = append(e, [3]float64{float64(q*s + i), float64(q*s + j), 1})
			}
		}
		e = append(e, [3]float64{float64(q*s + s - 1), float64(((q + 1) % c) * s), 1})
	}
	return c * s, e, truth
}

// plantedPartition: k groups of size s, p_in / p_out edge probabilities.
func plantedPartition(k, s int, pin, pout float64, seed uint64) (int, [][3]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	n := k * s
	truth := make([]int, n)
	for i := range truth {
		truth[i] = i / s
	}
	var e [][3]float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			p := pout
			if truth[i] == truth[j] {
				p = pin
			}
			if rng.Float64() < p {
				e = append(e, [3]float64{float64(i), float64(j), 1 + rng.Float64()})
			}
		}
	}
	return n, e, truth
}

// karate is Zachary's karate club (34 nodes, 78 edges).
var karate = [][2]int{{0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5}, {0, 6}, {0, 7}, {0, 8}, {0, 10}, {0, 11}, {0, 12}, {0, 13}, {0, 17}, {0, 19}, {0, 21}, {0, 31}, {1, 2}, {1, 3}, {1, 7}, {1, 13}, {1, 17}, {1, 19}, {1, 21}, {1, 30}, {2, 3}, {2, 7}, {2, 8}, {2, 9}, {2, 13}, {2, 27}, {2, 28}, {2, 32}, {3, 7}, {3, 12}, {3, 13}, {4, 6}, {4, 10}, {5, 6}, {5, 10}, {5, 16}, {6, 16}, {8, 30}, {8, 32}, {8, 33}, {9, 33}, {13, 33}, {14, 32}, {14, 33}, {15, 32}, {15, 33}, {18, 32}, {18, 33}, {19, 33}, {20, 32}, {20, 33}, {22, 32}, {22, 33}, {23, 25}, {23, 27}, {23, 29}, {23, 32}, {23, 33}, {24, 25}, {24, 27}, {24, 31}, {25, 31}, {26, 29}, {26, 33}, {27, 33}, {28, 31}, {28, 33}, {29, 32}, {29, 33}, {30, 32}, {30, 33}, {31, 32}, {31, 33}, {32, 33}}

func karateEdges() [][3]float64 {
	e := make([][3]float64, len(karate))
	for i, p := range karate {
		e[i] = [3]float64{float64(p[0]), float64(p[1]), 1}
	}
	return e
}

func TestPlantedMatchesGonum(t *testing.T) {
	type tc struct {
		name  string
		n     int
		edges [][3]float64
		truth []int
	}
	var cases []tc
	n, e, truth := ringOfCliques(10, 6)
	cases = append(cases, tc{"ring of 10 6-cliques", n, e, truth})
	n, e, truth = plantedPartition(5, 30, 0.5, 0.01, 1)
	cases = append(cases, tc{"planted 5×30 weighted", n, e, truth})
	n, e, truth = plantedPartition(8, 25, 0.6, 0.005, 2)
	cases = append(cases, tc{"planted 8×25 weighted", n, e, truth})
	for _, c := range cases {
		g := edgesToCSR(t, c.n, c.edges)
		gl, gq := gonumCluster(c.n, c.edges, 1, 3)
		if !samePartition(gl, c.truth) {
			t.Fatalf("%s: gonum did not find the planted partition", c.name)
		}
		for _, m := range []Method{Leiden, Louvain} {
			t.Run(c.name+"/"+m.String(), func(t *testing.T) {
				o := DefaultOptions()
				o.Method = m
				res, err := Cluster(context.Background(), g, seeded(o, 11))
				if err != nil {
					t.Fatal(err)
				}
				if !samePartition(res.Labels, gl) {
					t.Errorf("partition differs from gonum's: %v vs %v", res.Labels, gl)
				}
				if math.Abs(res.Modularity-gq) > 1e-9 {
					t.Errorf("modularity %v, gonum %v", res.Modularity, gq)
				}
			})
		}
	}
}

func TestModularityNearGonum(t *testing.T) {
	type tc struct {
		name  string
		n     int
		edges [][3]float64
		gamma float64
	}
	n, e, _ := plantedPartition(6, 40, 0.15, 0.04, 5) // ambiguous
	knnGraph, _ := gaussianKNNGraph(t, 600, 8, 12, 10, 0.6, Binary)
	cases := []tc{
		{"karate γ=1", 34, karateEdges(), 1},
		{"karate γ=0.5", 34, karateEdges(), 0.5},
		{"karate γ=2", 34, karateEdges(), 2},
		{"fuzzy planted γ=1", n, e, 1},
		{"fuzzy planted γ=1.5", n, e, 1.5},
		{"gaussian kNN γ=1", 600, csrEdges(knnGraph), 1},
	}
	for _, c := range cases {
		g := edgesToCSR(t, c.n, c.edges)
		// best of a few gonum seeds as the reference
		gq := math.Inf(-1)
		for s := uint64(0); s < 3; s++ {
			_, q := gonumCluster(c.n, c.edges, c.gamma, s)
			gq = max(gq, q)
		}
		for _, m := range []Method{Leiden, Louvain} {
			t.Run(c.name+"/"+m.String(), func(t *testing.T) {
				o := DefaultOptions()
				o.Method, o.Resolution = m, c.gamma
				res, err := Cluster(context.Background(), g, seeded(o, 1))
				if err != nil {
					t.Fatal(err)
				}
				// modularity must be recomputed consistently
				q, err := Modularity(g, res.Labels, c.gamma)
				if err != nil || math.Abs(q-res.Modularity) > 1e-9 {
					t.Fatalf("Modularity() = %v, %v; result says %v", q, err, res.Modularity)
				}
				tol := 0.01 * math.Abs(gq)
				if res.Modularity < gq-tol {
					t.Errorf("modularity %.5f below gonum's %.5f by more than 1%%", res.Modularity, gq)
				}
				t.Logf("Q=%.5f gonum=%.5f communities=%d", res.Modularity, gq, res.Communities)
			})
		}
	}
}

func TestKarateKnownOptimum(t *testing.T) {
	// The maximum modularity of Zachary's karate club is 0.4198 (Brandes et al. 2008).
	g := edgesToCSR(t, 34, karateEdges())
	res, err := Cluster(context.Background(), g, seeded(DefaultOptions(), 4))
	if err != nil {
		t.Fatal(err)
	}
	if res.Modularity < 0.415 || res.Modularity > 0.41979+1e-4 {
		t.Errorf("Q = %.5f, want close to 0.4198", res.Modularity)
	}
}

func TestModularityMatchesGonumQ(t *testing.T) {
	n, e, _ := plantedPartition(4, 20, 0.3, 0.05, 9)
	g := edgesToCSR(t, n, e)
	gg := simple.NewWeightedUndirectedGraph(0, 0)
	for i := 0; i < n; i++ {
		gg.AddNode(simple.Node(i))
	}
	for _, ed := range e {
		gg.SetWeightedEdge(gg.NewWeightedEdge(simple.Node(int64(ed[0])), simple.Node(int64(ed[1])), ed[2]))
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for trial := 0; trial < 5; trial++ {
		labels := make([]int, n)
		k := 1 + rng.IntN(6)
		comms := make([][]graphNode, k)
		for i := range labels {
			labels[i] = rng.IntN(k)
			comms[labels[i]] = append(comms[labels[i]], simple.Node(i))
		}
		for _, gamma := range []float64{0.5, 1, 2} {
			q, err := Modularity(g, labels, gamma)
			if err != nil {
				t.Fatal(err)
			}
			want := community.Q(gg, toGonum(comms), gamma)
			if math.Abs(q-want) > 1e-6 {
				t.Errorf("trial %d γ=%v: Q=%v gonum %v", trial, gamma, q, want)
			}
		}
	}
}

func TestAggregationKeepsModularity(t *testing.T) {
	n, e, _ := plantedPartition(5, 20, 0.3, 0.05, 3)
	g, err := fromCSR(edgesToCSR(t, n, e))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	fine := make([]int32, n)
	for i := range fine {
		fine[i] = int32(rng.IntN(30))
	}
	fine, nf := compact(fine)
	coarse := make([]int32, nf) // aggregate node → community
	for a := range coarse {
		coarse[a] = int32(a % 4)
	}
	onOrig := make([]int32, n)
	for i, f := range fine {
		onOrig[i] = coarse[f]
	}
	a := g.aggregate(fine, nf)
	for _, gamma := range []float64{0.7, 1, 1.3} {
		q0, q1 := g.quality(onOrig, gamma), a.quality(coarse, gamma)
		if math.Abs(q0-q1) > 1e-12 {
			t.Errorf("γ=%v: Q on original %v, on aggregate %v", gamma, q0, q1)
		}
	}
	if math.Abs(a.m2-g.m2) > 1e-9 {
		t.Errorf("2m changed: %v → %v", g.m2, a.m2)
	}
}

func TestLeidenCommunitiesConnected(t *testing.T) {
	// Leiden guarantees connected communities; check on an ambiguous graph.
	n, e, _ := plantedPartition(6, 30, 0.12, 0.05, 8)
	m := edgesToCSR(t, n, e)
	for seed := uint64(0); seed < 5; seed++ {
		res, err := Cluster(context.Background(), m, seeded(DefaultOptions(), seed))
		if err != nil {
			t.Fatal(err)
		}
		for c := 0; c < res.Communities; c++ {
			if !connectedWithin(m, res.Labels, c) {
				t.Errorf("seed %d: community %d is disconnected", seed, c)
			}
		}
	}
}

func connectedWithin(m *sparse.CSR, labels []int, c int) bool {
	start := -1
	total := 0
	for i, l := range labels {
		if l == c {
			total++
			if start < 0 {
				start = i
			}
		}
	}
	seen := map[int]bool{start: true}
	stack := []int{start}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		idx, _ := m.Row(v)
		for _, u := range idx {
			if labels[u] == c && !seen[int(u)] {
				seen[int(u)] = true
				stack = append(stack, int(u))
			}
		}
	}
	return len(seen) == total
}

func TestReproducibleAndLabelOrder(t *testing.T) {
	n, e, _ := plantedPartition(6, 30, 0.15, 0.04, 4)
	m := edgesToCSR(t, n, e)
	for _, meth := range []Method{Leiden, Louvain} {
		o := DefaultOptions()
		o.Method = meth
		a, err := Cluster(context.Background(), m, seeded(o, 5))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Cluster(context.Background(), m, seeded(o, 5))
		if !slices.Equal(a.Labels, b.Labels) {
			t.Errorf("%v: same seed gave different labels", meth)
		}
		size := make([]int, a.Communities)
		for _, l := range a.Labels {
			size[l]++
		}
		for i := 1; i < len(size); i++ {
			if size[i] > size[i-1] {
				t.Errorf("%v: labels not ordered by size: %v", meth, size)
			}
		}
	}
}

func TestResolutionSweep(t *testing.T) {
	n, e, _ := plantedPartition(8, 20, 0.4, 0.02, 6)
	m := edgesToCSR(t, n, e)
	res, err := Sweep(context.Background(), m, []float64{0.05, 1, 8}, seeded(DefaultOptions(), 1))
	if err != nil {
		t.Fatal(err)
	}
	if !(res[0].Communities < res[1].Communities && res[1].Communities < res[2].Communities) {
		t.Errorf("communities should grow with resolution: %d %d %d", res[0].Communities, res[1].Communities, res[2].Communities)
	}
	if res[1].Communities != 8 {
		t.Errorf("γ=1 found %d communities, want the 8 planted", res[1].Communities)
	}
}

func TestClusterErrors(t *testing.T) {
	good := edgesToCSR(t, 3, [][3]float64{{0, 1, 1}, {1, 2, 1}})
	asym := &sparse.CSR{Rows: 2, Cols: 2, Indptr: []int64{0, 1, 1}, Indices: []int32{1}, Data: []float32{1}}
	neg := edgesToCSR(t, 2, [][3]float64{{0, 1, -1}})
	rect := &sparse.CSR{Rows: 2, Cols: 3, Indptr: []int64{0, 0, 0}}
	cases := []struct {
		name string
		g    *sparse.CSR
		o    Options
		want error
	}{
		{"nil", nil, Options{}, ErrInvalidGraph},
		{"asymmetric", asym, Options{}, ErrInvalidGraph},
		{"negative", neg, Options{}, ErrInvalidGraph},
		{"rectangular", rect, Options{}, ErrInvalidGraph},
		{"bad resolution", good, Options{Resolution: -1}, ErrInvalidOptions},
		{"bad method", good, Options{Method: 7}, ErrInvalidOptions},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Cluster(context.Background(), c.g, c.o)
			if !errors.Is(err, c.want) {
				t.Errorf("err = %v, want %v", err, c.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Cluster(ctx, good, seeded(Options{}, 0)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	// the zero Options work and an empty graph is fine
	empty := &sparse.CSR{Indptr: []int64{0}}
	if r, err := Cluster(context.Background(), empty, seeded(Options{}, 0)); err != nil || r.Communities != 0 {
		t.Errorf("empty graph: %v %v", r, err)
	}
}

// TestLongAgainstGonum compares modularity with gonum's Louvain on larger,
// ambiguous kNN graphs (overlapping Gaussian clouds). -long only: gonum's
// cost grows about n².
func TestLongAgainstGonum(t *testing.T) {
	if !*long {
		t.Skip("-long")
	}
	for _, c := range []struct {
		n  int
		sd float64
	}{{2000, 6}, {5000, 2.5}} {
		n := c.n
		g, _ := gaussianKNNGraph(t, n, 16, 15, 20, c.sd, Binary)
		e := csrEdges(g)
		_, gq := gonumCluster(n, e, 1, 1)
		for _, m := range []Method{Leiden, Louvain} {
			o := DefaultOptions()
			o.Method = m
			res, err := Cluster(context.Background(), g, seeded(o, 1))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("n=%d %v: Q=%.5f gonum Q=%.5f (%d communities)", n, m, res.Modularity, gq, res.Communities)
			if res.Modularity < gq-0.01*gq {
				t.Errorf("n=%d %v: Q %.5f below gonum's %.5f by more than 1%%", n, m, res.Modularity, gq)
			}
		}
	}
}

// seeded returns o with Seed set.
func seeded(o Options, seed uint64) Options {
	o.Seed = seed
	return o
}

// TestClusterScaleInvariant: modularity does not change when every weight
// is multiplied by the same factor, and neither may the partition: a fixed
// gain tolerance of 1e-10 left graphs with weights ~1e-11 as singletons.
func TestClusterScaleInvariant(t *testing.T) {
	n, e, truth := ringOfCliques(6, 5)
	for _, m := range []Method{Leiden, Louvain} {
		o := seeded(DefaultOptions(), 3)
		o.Method = m
		base, err := Cluster(context.Background(), edgesToCSR(t, n, e), o)
		if err != nil {
			t.Fatal(err)
		}
		if !samePartition(base.Labels, truth) {
			t.Fatalf("%v: unit weights did not find the cliques: %v", m, base.Labels)
		}
		for _, s := range []float64{1e-11, 1e-13, 1e6} {
			es := make([][3]float64, len(e))
			for i, x := range e {
				es[i] = [3]float64{x[0], x[1], x[2] * s}
			}
			r, err := Cluster(context.Background(), edgesToCSR(t, n, es), o)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.Labels, base.Labels) || math.Abs(r.Modularity-base.Modularity) > 1e-9 {
				t.Errorf("%v, weights ×%g: %d communities, Q %v; unit weights: %d, Q %v", m, s, r.Communities, r.Modularity, base.Communities, base.Modularity)
			}
		}
	}
}
