package cluster

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

func TestKNNMatchesBruteForce(t *testing.T) {
	n, dim, k := 300, 7, 9
	v, _ := gaussianMixture(n, dim, 4, 1.5, 3)
	v[5*dim], v[5*dim+1], v[5*dim+2], v[5*dim+3], v[5*dim+4], v[5*dim+5], v[5*dim+6] = 0, 0, 0, 0, 0, 0, 0 // a zero vector
	for _, m := range []Metric{Cosine, Euclidean} {
		ids, dists, err := KNN(context.Background(), v, n, dim, k, m)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			type p struct {
				d  float64
				id int
			}
			var all []p
			for j := 0; j < n; j++ {
				if j != i {
					all = append(all, p{naiveDist(v[i*dim:(i+1)*dim], v[j*dim:(j+1)*dim], m), j})
				}
			}
			slices.SortFunc(all, func(a, b p) int {
				if a.d != b.d {
					if a.d < b.d {
						return -1
					}
					return 1
				}
				return a.id - b.id
			})
			if len(ids[i]) != k {
				t.Fatalf("%v row %d: %d neighbours", m, i, len(ids[i]))
			}
			for r := 0; r < k; r++ {
				if math.Abs(float64(dists[i][r])-all[r].d) > 1e-4*(1+all[r].d) {
					t.Fatalf("%v row %d rank %d: dist %v, want %v", m, i, r, dists[i][r], all[r].d)
				}
				// ids may swap on near-ties only
				if int(ids[i][r]) != all[r].id && math.Abs(all[r].d-naiveDist(v[i*dim:(i+1)*dim], v[int(ids[i][r])*dim:(int(ids[i][r])+1)*dim], m)) > 1e-4 {
					t.Fatalf("%v row %d rank %d: id %d, want %d", m, i, r, ids[i][r], all[r].id)
				}
			}
		}
	}
}

func naiveDist(a, b []float32, m Metric) float64 {
	var dot, na, nb, sq float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
		sq += (x - y) * (x - y)
	}
	if m == Euclidean {
		return math.Sqrt(sq)
	}
	if na == 0 || nb == 0 {
		return 1
	}
	return 1 - dot/math.Sqrt(na*nb)
}

func TestKNNErrors(t *testing.T) {
	cases := []struct {
		name      string
		v         []float32
		n, dim, k int
	}{
		{"short", make([]float32, 5), 2, 3, 1},
		{"k zero", make([]float32, 6), 2, 3, 0},
		{"nan", []float32{1, float32(math.NaN())}, 1, 2, 1},
		{"dim zero", nil, 0, 0, 1},
	}
	for _, c := range cases {
		if _, _, err := KNN(context.Background(), c.v, c.n, c.dim, c.k, Cosine); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: err = %v", c.name, err)
		}
	}
	// a single vector has no neighbour
	if ids, _, err := KNN(context.Background(), []float32{1, 2}, 1, 2, 5, Cosine); err != nil || len(ids) != 1 || len(ids[0]) != 0 {
		t.Errorf("single vector: %v %v", ids, err)
	}
	// k larger than n-1 is capped
	ids, _, err := KNN(context.Background(), []float32{0, 1, 1, 0, 1, 1}, 3, 2, 10, Euclidean)
	if err != nil || len(ids[0]) != 2 {
		t.Errorf("cap: %v %v", ids, err)
	}
}

func denseOf(t *testing.T, ids [][]uint32, dists [][]float32, o GraphOptions) [][]float32 {
	t.Helper()
	g, err := FromNeighbors(ids, dists, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	d := make([][]float32, g.Rows)
	for r := range d {
		d[r] = make([]float32, g.Cols)
		idx, val := g.Row(r)
		for k, c := range idx {
			d[r][c] = val[k]
		}
	}
	return d
}

func TestFromNeighborsHandComputed(t *testing.T) {
	ids := [][]uint32{{1, 2}, {0, 2, 1}, {0, 1}, {2}} // node 1 lists itself: ignored
	q := float32(0.25)
	cases := []struct {
		name string
		o    GraphOptions
		want [][]float32
	}{
		// N(0)=N(1)=N(2)={0,1,2}, N(3)={2,3}: J(0,1)=1, J(i,3)=1/(3+2-1)=1/4
		{"snn keep all", GraphOptions{Weighting: SNN, Prune: -1}, [][]float32{{0, 1, 1, q}, {1, 0, 1, q}, {1, 1, 0, q}, {q, q, q, 0}}},
		{"snn prune 0.3", GraphOptions{Weighting: SNN, Prune: 0.3}, [][]float32{{0, 1, 1, 0}, {1, 0, 1, 0}, {1, 1, 0, 0}, {0, 0, 0, 0}}},
		{"binary", GraphOptions{Weighting: Binary}, [][]float32{{0, 1, 1, 0}, {1, 0, 1, 0}, {1, 1, 0, 1}, {0, 0, 1, 0}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := denseOf(t, ids, nil, c.o)
			for i := range got {
				for j := range got[i] {
					if math.Abs(float64(got[i][j]-c.want[i][j])) > 1e-6 {
						t.Fatalf("(%d,%d) = %v, want %v\n%v", i, j, got[i][j], c.want[i][j], got)
					}
				}
			}
		})
	}
}

func TestFuzzyWeights(t *testing.T) {
	// hand case (UMAP smooth_knn_dist, 2 neighbours + self): distances 1, 2 →
	// ρ = 1, 1 + exp(−1/σ) = log2(3) → second weight log2(3) − 1
	hw := fuzzyWeights([][]int32{{1, 2}}, [][]float32{{1, 2}})
	if hw[0][0] != 1 || math.Abs(float64(hw[0][1])-(math.Log2(3)-1)) > 1e-4 {
		t.Errorf("hand case weights %v, want [1 %v]", hw[0], math.Log2(3)-1)
	}
	n, dim, k := 200, 5, 10
	v, _ := gaussianMixture(n, dim, 3, 1, 2)
	ids, dists, err := KNN(context.Background(), v, n, dim, k, Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	clean := make([][]int32, n)
	for i, r := range ids {
		for _, u := range r {
			clean[i] = append(clean[i], int32(u))
		}
	}
	w := fuzzyWeights(clean, dists)
	for i := range w {
		s := 0.0
		for j, x := range w[i] {
			s += float64(x)
			if j == 0 && x != 1 {
				t.Fatalf("row %d: nearest neighbour weight %v, want 1", i, x)
			}
		}
		if math.Abs(s-math.Log2(float64(k+1))) > 1e-3 {
			t.Fatalf("row %d: Σw = %v, want log2(k+1) = %v", i, s, math.Log2(float64(k+1)))
		}
	}
	d := denseOf(t, ids, dists, GraphOptions{Weighting: Fuzzy})
	for i := range d {
		for j := range d[i] {
			if d[i][j] != d[j][i] || d[i][j] < 0 || d[i][j] > 1 {
				t.Fatalf("(%d,%d)=%v (%d,%d)=%v", i, j, d[i][j], j, i, d[j][i])
			}
		}
	}
}

func TestFromNeighborsErrors(t *testing.T) {
	cases := []struct {
		name  string
		ids   [][]uint32
		dists [][]float32
		o     GraphOptions
		want  error
	}{
		{"out of range", [][]uint32{{5}}, nil, GraphOptions{}, ErrInvalidInput},
		{"dist shape", [][]uint32{{0}, {0}}, [][]float32{{1}}, GraphOptions{}, ErrInvalidInput},
		{"dist row shape", [][]uint32{{1}, {0}}, [][]float32{{1}, {}}, GraphOptions{}, ErrInvalidInput},
		{"fuzzy no dists", [][]uint32{{1}, {0}}, nil, GraphOptions{Weighting: Fuzzy}, ErrInvalidInput},
		{"bad weighting", [][]uint32{{1}, {0}}, nil, GraphOptions{Weighting: 9}, ErrInvalidOptions},
		{"bad prune", [][]uint32{{1}, {0}}, nil, GraphOptions{Prune: 2}, ErrInvalidOptions},
	}
	for _, c := range cases {
		if _, err := FromNeighbors(c.ids, c.dists, c.o); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestGaussianMixtureRecovered(t *testing.T) {
	for _, w := range []Weighting{SNN, Binary, Fuzzy} {
		g, truth := gaussianKNNGraph(t, 1000, 16, 15, 10, 1, w)
		res, err := Cluster(context.Background(), g, seeded(DefaultOptions(), 0))
		if err != nil {
			t.Fatal(err)
		}
		if !samePartition(res.Labels, truth) {
			t.Errorf("%v: did not recover the 10 components (got %d communities)", w, res.Communities)
		}
	}
}

// TestFromNeighborsRoundedNegativeDistance: a cosine distance of two equal
// unit vectors can round to −1e-7; it must be taken as zero, while a clearly
// negative distance is still refused.
func TestFromNeighborsRoundedNegativeDistance(t *testing.T) {
	ids := [][]uint32{{1, 2}, {0, 2}, {0, 1}}
	dists := [][]float32{{-1.1920929e-07, 0.5}, {0, 0.5}, {0.5, 0.5}}
	for _, w := range []Weighting{SNN, Binary, Fuzzy} {
		if _, err := FromNeighbors(ids, dists, GraphOptions{Weighting: w}); err != nil {
			t.Errorf("weighting %v: %v", w, err)
		}
	}
	dists[0][0] = -0.1
	if _, err := FromNeighbors(ids, dists, GraphOptions{Weighting: Fuzzy}); err == nil {
		t.Error("a distance of -0.1 was accepted")
	}
}

// TestKNNCosineDistanceNeverNegative: duplicated directions give cosine
// distance 0, not a float32 rounding error below it (FromNeighbors refuses
// negative distances beyond a tolerance, and callers should not need one).
func TestKNNCosineDistanceNeverNegative(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	const n, dim = 200, 32
	v := make([]float32, n*dim)
	for i := 0; i < n; i += 2 { // each vector twice
		for d := 0; d < dim; d++ {
			x := float32(r.NormFloat64())
			v[i*dim+d], v[(i+1)*dim+d] = x, x
		}
	}
	_, dists, err := KNN(context.Background(), v, n, dim, 3, Cosine)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range dists {
		for _, d := range row {
			if d < 0 {
				t.Fatalf("row %d: distance %v < 0", i, d)
			}
		}
	}
}

// TestSNNWorkersSameGraph checks that the SNN graph built by several
// workers (row ranges joined in order) is the one a single worker builds.
func TestSNNWorkersSameGraph(t *testing.T) {
	const n, k = 3*snnRowsPerWorker + 17, 15
	rng := rand.New(rand.NewPCG(7, 0))
	rows := make([][]int32, n)
	for i := range rows {
		for range k {
			// mostly near neighbours, so that neighbourhoods overlap
			u := (i + rng.IntN(64) - 32 + n) % n
			if rng.IntN(8) == 0 {
				u = rng.IntN(n)
			}
			if u != i && !slices.Contains(rows[i], int32(u)) {
				rows[i] = append(rows[i], int32(u))
			}
		}
	}
	old := runtime.GOMAXPROCS(1)
	one := snn(n, rows, DefaultSNNPrune)
	runtime.GOMAXPROCS(3)
	many := snn(n, rows, DefaultSNNPrune)
	runtime.GOMAXPROCS(old)
	if len(one.Data) == 0 {
		t.Fatal("empty graph")
	}
	if !slices.Equal(one.Indptr, many.Indptr) || !slices.Equal(one.Indices, many.Indices) || !slices.Equal(one.Data, many.Data) {
		t.Fatalf("3 workers built another graph than 1 (%d vs %d entries)", len(many.Data), len(one.Data))
	}
}

// TestKNNDuplicatesAtDistanceZero: an exact duplicate is at distance 0
// under both metrics (not a float32 cancellation residue of
// ‖a‖² + ‖b‖² − 2a·b, which reached 0.03 on vectors of norm ~40), so that
// Fuzzy weighting takes ρ from the nearest distinct neighbour as UMAP does.
func TestKNNDuplicatesAtDistanceZero(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	const n, dim, k = 200, 50, 5
	v := make([]float32, n*dim)
	for i := 0; i < n; i += 2 { // each vector twice
		for d := 0; d < dim; d++ {
			x := float32(r.NormFloat64()*5 + 3)
			v[i*dim+d], v[(i+1)*dim+d] = x, x
		}
	}
	for _, m := range []Metric{Euclidean, Cosine} {
		ids, dists, err := KNN(context.Background(), v, n, dim, k, m)
		if err != nil {
			t.Fatal(err)
		}
		clean := make([][]int32, n)
		for i := range ids {
			if twin := uint32(i ^ 1); ids[i][0] != twin || dists[i][0] != 0 {
				t.Fatalf("%v row %d: nearest %d at %v, want its duplicate %d at 0", m, i, ids[i][0], dists[i][0], twin)
			}
			for _, u := range ids[i] {
				clean[i] = append(clean[i], int32(u))
			}
		}
		w := fuzzyWeights(clean, dists)
		for i := range w {
			if w[i][1] != 1 {
				t.Fatalf("%v row %d: nearest distinct neighbour has fuzzy weight %v, want 1", m, i, w[i][1])
			}
		}
	}
}

// TestFromNeighborsInfiniteDistance: an infinite distance is refused like
// a NaN one; it used to pass and come out as NaN weights (an invalid CSR
// that Cluster then rejects) and, through the global mean distance, as
// weight 1 on every neighbour of rows whose nearest distance is 0.
func TestFromNeighborsInfiniteDistance(t *testing.T) {
	ids := [][]uint32{{1, 2}, {0, 2}, {0, 1}}
	d := [][]float32{{1, float32(math.Inf(1))}, {1, 2}, {2, 3}}
	for _, w := range []Weighting{Fuzzy, SNN} {
		g, err := FromNeighbors(ids, d, GraphOptions{Weighting: w})
		if !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%v: err = %v, graph %v", w, err, g)
		}
	}
}
