package layout

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func fit(t testing.TB, x []float32, n, dim int, o Options, seed uint64) *Result {
	t.Helper()
	ids, d := exactKNN(t, x, n, dim, DefaultNNeighbors-1)
	r, err := Fit(context.Background(), ids, d, x, dim, o, rand.NewPCG(seed, 1))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFitSeparatesClusters(t *testing.T) {
	const n, dim, c = 1200, 20, 6
	x, lab := blobs(n, dim, c, 1)
	r := fit(t, x, n, dim, Options{}, 3)
	if r.Params.Epochs != 500 || math.Abs(r.Params.A-1.577) > 0.01 {
		t.Errorf("params %+v: want umap-learn's 500 epochs and a ≈ 1.577", r.Params)
	}
	tw, err := Trustworthiness(x, dim, r.Coords, 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	if tw < 0.9 {
		t.Errorf("trustworthiness %.3f < 0.9 on well separated clusters", tw)
	}
	// every point's nearest map neighbour is of its own cluster
	wrong := 0
	for i := 0; i < n; i++ {
		best, bd := -1, math.Inf(1)
		for j := 0; j < n; j++ {
			if j == i {
				continue
			}
			dx, dy := float64(r.Coords[2*i]-r.Coords[2*j]), float64(r.Coords[2*i+1]-r.Coords[2*j+1])
			if d := dx*dx + dy*dy; d < bd {
				best, bd = j, d
			}
		}
		if lab[best] != lab[i] {
			wrong++
		}
	}
	if wrong > n/100 {
		t.Errorf("%d of %d points' nearest map neighbour is in another cluster", wrong, n)
	}
	// a random start gives a much worse map only if the SGD does nothing:
	// check the optimisation moved points into tight groups
	for _, v := range r.Coords {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatal("non-finite coordinate")
		}
	}
}

func TestFitBeatsItsStart(t *testing.T) {
	// a layout stopped after one epoch must be less trustworthy than a full one
	const n, dim = 600, 10
	x, _ := blobs(n, dim, 3, 2)
	one := fit(t, x, n, dim, Options{Epochs: 1, Init: InitRandom}, 1)
	full := fit(t, x, n, dim, Options{Init: InitRandom}, 1)
	t1, _ := Trustworthiness(x, dim, one.Coords, 2, 10)
	t2, _ := Trustworthiness(x, dim, full.Coords, 2, 10)
	if !(t2 > t1+0.05) {
		t.Errorf("trustworthiness after 1 epoch %.3f, after 500 %.3f: SGD did not improve the map", t1, t2)
	}
}

func TestFitDeterministic(t *testing.T) {
	const n, dim = 500, 8
	x, _ := blobs(n, dim, 4, 5)
	for _, threads := range []int{1, 2} {
		a := fit(t, x, n, dim, Options{Threads: threads, Epochs: 60}, 11)
		b := fit(t, x, n, dim, Options{Threads: threads, Epochs: 60}, 11)
		for i := range a.Coords {
			if a.Coords[i] != b.Coords[i] {
				t.Fatalf("threads %d: coordinate %d differs between two runs with one seed: %v vs %v", threads, i, a.Coords[i], b.Coords[i])
			}
		}
	}
	c := fit(t, x, n, dim, Options{Epochs: 60}, 12)
	a := fit(t, x, n, dim, Options{Epochs: 60}, 11)
	same := true
	for i := range a.Coords {
		same = same && a.Coords[i] == c.Coords[i]
	}
	if same {
		t.Error("two seeds gave the same layout")
	}
}

// The multi-thread path (graphs of 20,000 points and more; lowered here) is
// deterministic for a thread count and keeps clusters apart.
func TestFitParallelDeterministic(t *testing.T) {
	defer func(p int) { parallelFrom = p }(parallelFrom)
	parallelFrom = 3000
	const n, dim = 3000, 8
	x, lab := blobs(n, dim, 5, 6)
	o := Options{Threads: 2, Epochs: 100}
	a := fit(t, x, n, dim, o, 4)
	b := fit(t, x, n, dim, o, 4)
	if a.Params.Threads != 2 {
		t.Fatalf("threads %d, want 2", a.Params.Threads)
	}
	for i := range a.Coords {
		if a.Coords[i] != b.Coords[i] {
			t.Fatalf("coordinate %d differs between two 2-thread runs: %v vs %v", i, a.Coords[i], b.Coords[i])
		}
	}
	// cluster centroids far apart compared with the clusters' spread
	var cx, cy [5]float64
	var cnt [5]float64
	for i := 0; i < n; i++ {
		cx[lab[i]] += float64(a.Coords[2*i])
		cy[lab[i]] += float64(a.Coords[2*i+1])
		cnt[lab[i]]++
	}
	var spread float64
	for i := 0; i < n; i++ {
		l := lab[i]
		dx, dy := float64(a.Coords[2*i])-cx[l]/cnt[l], float64(a.Coords[2*i+1])-cy[l]/cnt[l]
		spread += math.Sqrt(dx*dx + dy*dy)
	}
	spread /= n
	for p := 0; p < 5; p++ {
		for q := p + 1; q < 5; q++ {
			d := math.Hypot(cx[p]/cnt[p]-cx[q]/cnt[q], cy[p]/cnt[p]-cy[q]/cnt[q])
			if d < 2*spread {
				t.Errorf("clusters %d and %d: centroids %.2f apart, mean spread %.2f", p, q, d, spread)
			}
		}
	}
}

func TestSpectralStart(t *testing.T) {
	// one connected blob: spectral start is taken
	const n, dim = 400, 5
	x, _ := blobs(n, dim, 1, 3)
	r := fit(t, x, n, dim, Options{}, 2)
	if r.Params.Init != InitSpectral || r.Components != 1 {
		t.Errorf("init %v with %d components, want spectral on a connected graph", r.Params.Init, r.Components)
	}
	// separated clusters: disconnected, PCA start
	x2, _ := blobs(n, dim, 4, 3)
	r2 := fit(t, x2, n, dim, Options{}, 2)
	if r2.Components < 2 || r2.Params.Init != InitPCA {
		t.Errorf("init %v with %d components, want PCA on a disconnected graph", r2.Params.Init, r2.Components)
	}
	ids, d := exactKNN(t, x2, n, dim, 14)
	if _, err := Fit(context.Background(), ids, d, nil, 0, Options{Init: InitSpectral}, rand.NewPCG(1, 1)); !errors.Is(err, ErrInvalid) {
		t.Errorf("spectral start on a disconnected graph: %v", err)
	}
}

// spectral's two vectors are orthogonal to D^½·1 and are eigenvectors of
// the normalised adjacency of a ring (known spectrum: cos(2πk/n)).
func TestSpectralRing(t *testing.T) {
	const n = 200
	ids := make([][]uint32, n)
	d := make([][]float32, n)
	for i := 0; i < n; i++ {
		for _, s := range []int{-2, -1, 1, 2} {
			ids[i] = append(ids[i], uint32((i+s+n)%n))
			d[i] = append(d[i], float32(math.Abs(float64(s))))
		}
	}
	g, err := FuzzyGraph(context.Background(), ids, d)
	if err != nil {
		t.Fatal(err)
	}
	v, err := spectral(context.Background(), g, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	// the two leading non-trivial eigenvectors of a ring are a cos/sin
	// pair: every point lies at the same radius (up to the tolerance)
	var rmin, rmax = math.Inf(1), 0.0
	for i := 0; i < n; i++ {
		r := math.Hypot(v[2*i], v[2*i+1])
		rmin, rmax = min(rmin, r), max(rmax, r)
	}
	if rmax-rmin > 0.05*rmax {
		t.Errorf("ring's spectral start: radii %.4f..%.4f, want a circle", rmin, rmax)
	}
}

func TestFuzzyGraphSymmetricUnion(t *testing.T) {
	ids := [][]uint32{{1, 2}, {0, 2}, {1, 3}, {2, 0}}
	d := [][]float32{{1, 2}, {1, 3}, {1, 2}, {1, 5}}
	g, err := FuzzyGraph(context.Background(), ids, d)
	if err != nil {
		t.Fatal(err)
	}
	w := map[[2]uint32]float32{}
	for i := 0; i < g.N; i++ {
		for p := g.Indptr[i]; p < g.Indptr[i+1]; p++ {
			w[[2]uint32{uint32(i), g.Indices[p]}] = g.Weights[p]
			if p > g.Indptr[i] && g.Indices[p-1] >= g.Indices[p] {
				t.Fatalf("row %d not sorted", i)
			}
		}
	}
	for e, v := range w {
		if w[[2]uint32{e[1], e[0]}] != v {
			t.Errorf("edge %v weight %v, reverse %v", e, v, w[[2]uint32{e[1], e[0]}])
		}
		if !(v > 0 && v <= 1) {
			t.Errorf("edge %v weight %v outside (0, 1]", e, v)
		}
	}
	// nearest neighbours have membership 1 (d = ρ), so 0–1 is 1
	if w[[2]uint32{0, 1}] != 1 {
		t.Errorf("w(0,1) = %v, want 1", w[[2]uint32{0, 1}])
	}
	// 2→1 is at 2's nearest distance: membership 1, so the union is 1
	if math.Abs(float64(w[[2]uint32{1, 2}])-1) > 1e-6 {
		t.Errorf("w(1,2) = %v, want 1", w[[2]uint32{1, 2}])
	}
	// 3→0 is 3's farther neighbour and 0 does not list 3: 0 < w < 1
	if v := w[[2]uint32{0, 3}]; !(v > 0 && v < 1) {
		t.Errorf("w(0,3) = %v, want in (0, 1)", v)
	}
	if _, err := FuzzyGraph(context.Background(), [][]uint32{{5}}, [][]float32{{1}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("out-of-range neighbour: %v", err)
	}
	if _, err := FuzzyGraph(context.Background(), [][]uint32{{0}}, [][]float32{{float32(math.NaN())}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("NaN distance: %v", err)
	}
}

// TestSmoothKNNTarget: as umap-learn's transform calls smooth_knn_dist
// (local_connectivity 0), ρ is 0 and σ makes the memberships of all but
// the nearest sum to log2(k).
func TestSmoothKNNTarget(t *testing.T) {
	d := []float32{0.5, 0.9, 1.3, 1.4, 2.0, 2.2, 3}
	sigma := smoothKNN(d, 8, 0)
	var s float64
	for _, v := range d[1:] {
		s += math.Exp(-float64(v) / sigma)
	}
	if math.Abs(s-3) > 1e-4 { // log2(8)
		t.Errorf("Σ memberships %v, want log2(8) = 3", s)
	}
	if w := membership(d[0], sigma, 0); !(w > 0 && w < 1) {
		t.Errorf("nearest neighbour's membership %v: want it below 1 (ρ = 0)", w)
	}
	// Coinciding neighbours are members in full, whatever σ the search ends at.
	if w := membership(0, smoothKNN([]float32{0, 0, 0}, 15, 2), 0); w != 1 {
		t.Errorf("membership at distance 0: %v", w)
	}
}

// TestTransformKeepsNeighbourWithOwnIndex: a new point's neighbour lists
// index the fitted points, so neighbour i of new point i is a neighbour
// like any other (it was once dropped as a "self-reference"), and a new
// point that coincides with a fitted one starts on it.
func TestTransformKeepsNeighbourWithOwnIndex(t *testing.T) {
	base := []float32{0, 0, 10, 0, 0, 10}
	p := Params{NNeighbors: 2, A: 1.577, B: 0.895, Epochs: 3, NegativeRate: 1, LearningRate: 1, Repulsion: 1}
	out, err := Transform(context.Background(), base, [][]uint32{{0}, {1, 2}, {2, 0}}, [][]float32{{0.5}, {0, 3}, {0, 3}}, p, rand.NewPCG(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][2]float32{{0, 0}, {10, 0}, {0, 10}} {
		if d := math.Hypot(float64(out[2*i]-want[0]), float64(out[2*i+1]-want[1])); d > 2 {
			t.Errorf("new point %d at (%.2f, %.2f), %.2f from (%v, %v)", i, out[2*i], out[2*i+1], d, want[0], want[1])
		}
	}
}

func TestTransformPlacesNearNeighbours(t *testing.T) {
	const n, dim, c = 900, 12, 3
	x, lab := blobs(n+30, dim, c, 9)
	r := fit(t, x[:n*dim], n, dim, Options{}, 1)
	// new points: the last 30, with their neighbours among the first n
	nx := x[n*dim:]
	var ids [][]uint32
	var ds [][]float32
	for i := 0; i < 30; i++ {
		all := append(append([]float32(nil), nx[i*dim:(i+1)*dim]...), x[:n*dim]...)
		id, d := exactKNN(t, all, n+1, dim, 15)
		for j := range id[0] {
			id[0][j]-- // drop the new point's own slot
		}
		ids, ds = append(ids, id[0]), append(ds, d[0])
	}
	p := r.Params
	out, err := Transform(context.Background(), r.Coords, ids, ds, p, rand.NewPCG(3, 3))
	if err != nil {
		t.Fatal(err)
	}
	// centroid and radius of each cluster in the map
	var cx, cy, cnt [c]float64
	for i := 0; i < n; i++ {
		cx[lab[i]] += float64(r.Coords[2*i])
		cy[lab[i]] += float64(r.Coords[2*i+1])
		cnt[lab[i]]++
	}
	for i := 0; i < 30; i++ {
		l := lab[n+i]
		best, bd := -1, math.Inf(1)
		for q := 0; q < c; q++ {
			if d := math.Hypot(float64(out[2*i])-cx[q]/cnt[q], float64(out[2*i+1])-cy[q]/cnt[q]); d < bd {
				best, bd = q, d
			}
		}
		if best != l {
			t.Errorf("new point %d of cluster %d placed nearest cluster %d", i, l, best)
		}
		// and near its own neighbours: within the spread of their coordinates
		var mx, my float64
		for _, j := range ids[i] {
			mx += float64(r.Coords[2*j]) / float64(len(ids[i]))
			my += float64(r.Coords[2*j+1]) / float64(len(ids[i]))
		}
		var rad float64
		for _, j := range ids[i] {
			rad = max(rad, math.Hypot(float64(r.Coords[2*j])-mx, float64(r.Coords[2*j+1])-my))
		}
		if d := math.Hypot(float64(out[2*i])-mx, float64(out[2*i+1])-my); d > 2*rad+0.5 {
			t.Errorf("new point %d is %.2f from its neighbours' centre (their radius %.2f)", i, d, rad)
		}
	}
	if _, err := Transform(context.Background(), r.Coords, [][]uint32{{uint32(n)}}, [][]float32{{1}}, p, rand.NewPCG(1, 1)); !errors.Is(err, ErrInvalid) {
		t.Errorf("neighbour outside the layout: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	if err := (Options{}).Validate(); err != nil {
		t.Fatal(err)
	}
	err := Options{NNeighbors: 1, MinDist: -1, Epochs: -2, Threads: -1}.Validate()
	for _, s := range []string{"n_neighbors", "min_dist", "epochs", "threads"} {
		if err == nil || !contains(err.Error(), s) {
			t.Errorf("Validate does not report %s: %v", s, err)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestMetrics(t *testing.T) {
	x, _ := blobs(200, 4, 2, 1)
	tw, err := Trustworthiness(x, 4, x, 4, 5)
	if err != nil || math.Abs(tw-1) > 1e-12 {
		t.Errorf("trustworthiness of the identity %v %v", tw, err)
	}
	kp, _ := KNNPreservation(x, 4, x, 4, 5)
	if kp != 1 {
		t.Errorf("kNN preservation of the identity %v", kp)
	}
	r := rand.New(rand.NewPCG(1, 1))
	y := make([]float32, 400)
	for i := range y {
		y[i] = float32(r.NormFloat64())
	}
	tr, _ := Trustworthiness(x, 4, y, 2, 5)
	if tr > 0.7 {
		t.Errorf("trustworthiness of a random map %v", tr)
	}
}

// Beyond denseSpectralMax the start comes from subspace iteration: on two
// overlapping blobs its first vector (the Fiedler vector) splits them.
func TestSpectralSubspaceIteration(t *testing.T) {
	const n, dim = 2 * denseSpectralMax, 4
	r := rand.New(rand.NewPCG(4, 4))
	x := make([]float32, n*dim)
	lab := make([]int, n)
	for i := 0; i < n; i++ {
		lab[i] = i % 2
		for d := 0; d < dim; d++ {
			x[i*dim+d] = float32(r.NormFloat64())
		}
		x[i*dim] += float32(4 * lab[i])
	}
	ids, d := exactKNN(t, x, n, dim, 14)
	g, err := FuzzyGraph(context.Background(), ids, d)
	if err != nil {
		t.Fatal(err)
	}
	if _, nc := g.components(); nc != 1 {
		t.Fatalf("%d components; the test needs one", nc)
	}
	v, err := spectral(context.Background(), g, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	agree := 0
	for i := 0; i < n; i++ {
		if (v[2*i] > 0) == (lab[i] == 1) {
			agree++
		}
	}
	agree = max(agree, n-agree)
	if agree < n*95/100 {
		t.Errorf("the first spectral coordinate splits the blobs for %d of %d points", agree, n)
	}
}

// TestFitUsesNNeighbors: Fit reads each point's NNeighbors−1 nearest, as
// documented; longer lists (it once used them whole, whatever NNeighbors
// said) give the layout of the cut lists.
func TestFitUsesNNeighbors(t *testing.T) {
	const n, dim = 200, 6
	x, _ := blobs(n, dim, 3, 5)
	ids, ds := exactKNN(t, x, n, dim, 29)
	run := func(ids [][]uint32, ds [][]float32, k int) []float32 {
		r, err := Fit(context.Background(), ids, ds, nil, 0, Options{NNeighbors: k, Epochs: 30, Init: InitRandom}, rand.NewPCG(1, 1))
		if err != nil {
			t.Fatal(err)
		}
		return r.Coords
	}
	cut := func(k int) ([][]uint32, [][]float32) {
		ci, cd := make([][]uint32, n), make([][]float32, n)
		for i := range ids {
			ci[i], cd[i] = ids[i][:k], ds[i][:k]
		}
		return ci, cd
	}
	ci, cd := cut(4)
	if a, b := run(ids, ds, 5), run(ci, cd, 5); !slices.Equal(a, b) {
		t.Error("NNeighbors 5 on 29-neighbour lists differs from the lists cut to 4")
	}
	if a, b := run(ids, ds, 5), run(ids, ds, 30); slices.Equal(a, b) {
		t.Error("NNeighbors 5 and 30 give the same layout")
	}
}

// TestOptionsValidateDefaultMinDist: a spread below the default min_dist
// (MinDist left 0, so 0.1) cannot be fitted, and Validate says so (it once
// passed, and Fit failed only after the caller had built the kNN graph).
func TestOptionsValidateDefaultMinDist(t *testing.T) {
	o := Options{Spread: 0.05}
	if err := o.Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("Validate(%+v) = %v, want ErrInvalid (min_dist 0.1 above spread 0.05)", o, err)
	}
	if err := (Options{Spread: 0.05, MinDist: 0.01}).Validate(); err != nil {
		t.Errorf("spread 0.05, min_dist 0.01: %v", err)
	}
}

// TestTransformRejectsNonFiniteParams: Transform refuses parameters that
// make the SGD produce NaN or Inf coordinates (a NaN or negative repulsion,
// an infinite a, b or learning rate once passed and gave NaN coordinates
// with a nil error).
func TestTransformRejectsNonFiniteParams(t *testing.T) {
	base := []float32{0, 0, 10, 0, 0, 10}
	good := Params{NNeighbors: 2, A: 1.577, B: 0.895, Epochs: 30, NegativeRate: 5, LearningRate: 1, Repulsion: 1}
	ids, ds := [][]uint32{{0, 1}}, [][]float32{{0.5, 1}}
	if _, err := Transform(context.Background(), base, ids, ds, good, rand.NewPCG(1, 1)); err != nil {
		t.Fatal(err)
	}
	inf := math.Inf(1)
	for _, f := range []func(*Params){
		func(p *Params) { p.Repulsion = math.NaN() },
		func(p *Params) { p.Repulsion = -1 },
		func(p *Params) { p.Repulsion = inf },
		func(p *Params) { p.LearningRate = inf },
		func(p *Params) { p.A = inf },
		func(p *Params) { p.B = inf },
	} {
		p := good
		f(&p)
		out, err := Transform(context.Background(), base, ids, ds, p, rand.NewPCG(1, 1))
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: coordinates %v, error %v; want ErrInvalid", p, out, err)
		}
	}
}
