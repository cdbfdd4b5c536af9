package eval

import (
	"context"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"testing"

	"genestore/internal/sparse"
	"genestore/query/cluster"
)

var long = flag.Bool("long", false, "run long tests")

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestARI(t *testing.T) {
	cases := []struct {
		name string
		a, b []int
		want float64
	}{
		{"identical", []int{0, 0, 1, 1, 2}, []int{0, 0, 1, 1, 2}, 1},
		{"relabelled", []int{0, 0, 1, 1}, []int{5, 5, 3, 3}, 1},
		// contingency (0,0)=2 (1,1)=1 (1,2)=1: Σnij=1, Σa=2, Σb=1, E=1/3 → (2/3)/(7/6)
		{"hand contingency", []int{0, 0, 1, 1}, []int{0, 0, 1, 2}, 4.0 / 7},
		{"one vs singletons", []int{0, 0, 0, 0}, []int{0, 1, 2, 3}, 0},
		{"both trivial", []int{1, 1, 1}, []int{2, 2, 2}, 1},
		// sklearn: adjusted_rand_score([0,0,1,2],[0,0,1,1]) = 4/7 (symmetric)
		{"symmetric", []int{0, 0, 1, 2}, []int{0, 0, 1, 1}, 4.0 / 7},
	}
	for _, c := range cases {
		got, err := ARI(c.a, c.b)
		if err != nil || !near(got, c.want, 1e-12) {
			t.Errorf("%s: ARI = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	if _, err := ARI([]int{1}, []int{1, 2}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("length mismatch: %v", err)
	}
}

func TestNMI(t *testing.T) {
	cases := []struct {
		name string
		a, b []int
		want float64
	}{
		{"identical", []int{0, 0, 1, 1, 2}, []int{2, 2, 0, 0, 1}, 1},
		// H(a)=ln2, H(b)=1.5 ln2, I=ln2 → ln2 / (1.25 ln2)
		{"hand", []int{0, 0, 1, 1}, []int{0, 0, 1, 2}, 0.8},
		{"independent", []int{0, 0, 1, 1}, []int{0, 1, 0, 1}, 0},
		{"both single", []int{3, 3}, []int{4, 4}, 1},
		{"one single", []int{3, 3}, []int{4, 5}, 0},
	}
	for _, c := range cases {
		got, err := NMI(c.a, c.b)
		if err != nil || !near(got, c.want, 1e-12) {
			t.Errorf("%s: NMI = %v, %v; want %v", c.name, got, err, c.want)
		}
		rev, _ := NMI(c.b, c.a)
		if !near(rev, got, 1e-12) {
			t.Errorf("%s: NMI not symmetric: %v vs %v", c.name, got, rev)
		}
	}
}

func TestAUROC(t *testing.T) {
	cases := []struct {
		name   string
		scores []float64
		pos    []bool
		want   float64
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1},
		{"inverted", []float64{0.9, 0.8, 0.2, 0.1}, []bool{false, false, true, true}, 0},
		{"all tied", []float64{1, 1, 1, 1}, []bool{true, false, true, false}, 0.5},
		{"sklearn example", []float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}, 0.75},
		// positive ties one negative (½) and beats the other (1)
		{"partial tie", []float64{1, 1, 0}, []bool{true, false, false}, 0.75},
	}
	for _, c := range cases {
		got, err := AUROC(c.scores, c.pos)
		if err != nil || !near(got, c.want, 1e-12) {
			t.Errorf("%s: AUROC = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	if _, err := AUROC([]float64{1, 2}, []bool{true, true}); !errors.Is(err, ErrUndefined) {
		t.Errorf("no negatives: %v", err)
	}
	if _, err := AUROC([]float64{math.NaN(), 2}, []bool{true, false}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("NaN: %v", err)
	}
}

func TestAccuracyMacroF1(t *testing.T) {
	truth := []string{"a", "a", "b", "b"}
	pred := []string{"a", "b", "b", "Unassigned"}
	acc, err := Accuracy(truth, pred)
	if err != nil || acc != 0.5 {
		t.Errorf("accuracy %v %v", acc, err)
	}
	// a: 2·1/(2+0+1)=2/3; b: 2/(2+1+1)=1/2; Unassigned: 0 → mean 7/18
	f1, err := MacroF1(truth, pred)
	if err != nil || !near(f1, 7.0/18, 1e-12) {
		t.Errorf("macro F1 %v %v, want 7/18", f1, err)
	}
	if f, _ := MacroF1(truth, truth); f != 1 {
		t.Errorf("perfect F1 = %v", f)
	}
	if _, err := MacroF1(truth, pred[:2]); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("mismatch: %v", err)
	}
}

func TestSilhouette(t *testing.T) {
	// 1-D: A={0,1}, B={4,5}: s = 3.5/4.5, 2.5/3.5, 2.5/3.5, 3.5/4.5
	v := []float32{0, 1, 4, 5}
	l := []int{7, 7, 9, 9}
	want := []float64{3.5 / 4.5, 2.5 / 3.5, 2.5 / 3.5, 3.5 / 4.5}
	s, err := SilhouetteSamples(v, 4, 1, l, cluster.Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if !near(s[i], want[i], 1e-6) {
			t.Errorf("s[%d] = %v, want %v", i, s[i], want[i])
		}
	}
	m := (want[0] + want[1]) / 2
	asw, _ := LabelASW(v, 4, 1, l, cluster.Euclidean)
	if !near(asw, (m+1)/2, 1e-6) {
		t.Errorf("label ASW %v, want %v", asw, (m+1)/2)
	}
	// cosine: (1,0),(1,0.1) vs (0,1): a singleton cluster scores 0
	cv := []float32{1, 0, 1, 0.1, 0, 1}
	cs, err := SilhouetteSamples(cv, 3, 2, []int{0, 0, 1}, cluster.Cosine)
	if err != nil {
		t.Fatal(err)
	}
	cosd := 1 - 1/math.Sqrt(1.01)
	if !near(cs[0], (1-cosd)/1, 1e-5) || cs[2] != 0 {
		t.Errorf("cosine silhouettes %v", cs)
	}
	if _, err := Silhouette(v, 4, 1, []int{1, 1, 1, 1}, cluster.Euclidean); !errors.Is(err, ErrUndefined) {
		t.Errorf("one cluster: %v", err)
	}
	if _, err := Silhouette(v[:3], 4, 1, l, cluster.Euclidean); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("short vectors: %v", err)
	}
}

func TestSilhouetteMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n, dim := 3000, 5 // more than one gemm block in both directions
	v := make([]float32, n*dim)
	l := make([]int, n)
	for i := range l {
		l[i] = rng.IntN(4)
		for d := 0; d < dim; d++ {
			v[i*dim+d] = float32(rng.NormFloat64() + float64(l[i]))
		}
	}
	got, err := SilhouetteSamples(v, n, dim, l, cluster.Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, 2047, 2048, 2999} {
		sum := make([]float64, 4)
		cnt := make([]float64, 4)
		for j := 0; j < n; j++ {
			if j == i {
				continue
			}
			d := 0.0
			for k := 0; k < dim; k++ {
				x := float64(v[i*dim+k] - v[j*dim+k])
				d += x * x
			}
			sum[l[j]] += math.Sqrt(d)
			cnt[l[j]]++
		}
		a := sum[l[i]] / cnt[l[i]]
		b := math.Inf(1)
		for c := 0; c < 4; c++ {
			if c != l[i] {
				b = min(b, sum[c]/cnt[c])
			}
		}
		if want := (b - a) / max(a, b); !near(got[i], want, 1e-4) {
			t.Errorf("s[%d] = %v, want %v", i, got[i], want)
		}
	}
}

func TestBatchASW(t *testing.T) {
	// label 1: batches split as in the 1-D silhouette case → 1 − mean|s|;
	// label 2: one batch only → skipped.
	v := []float32{0, 1, 4, 5, 100, 101}
	labels := []int{1, 1, 1, 1, 2, 2}
	batches := []int{0, 0, 1, 1, 0, 0}
	m := (3.5/4.5 + 2.5/3.5) / 2
	got, err := BatchASW(v, 6, 1, labels, batches, cluster.Euclidean)
	if err != nil || !near(got, 1-m, 1e-6) {
		t.Errorf("batch ASW = %v, %v; want %v", got, err, 1-m)
	}
	if _, err := BatchASW(v, 6, 1, labels, []int{0, 0, 0, 0, 0, 0}, cluster.Euclidean); !errors.Is(err, ErrUndefined) {
		t.Errorf("single batch: %v", err)
	}
}

func TestILISI(t *testing.T) {
	// uniform weights; batches 0,0,1,1.
	// item 0: nbrs 1,2 → batches 0,1 → LISI 2
	// item 1: nbrs 0,2,3 → 0,1,1 → 1/(1/9+4/9) = 1.8
	// item 2: nbr 3 → 1;  item 3: nbrs 0,1 → 0,0 → 1
	ids := [][]uint32{{1, 2}, {0, 2, 3}, {3}, {0, 1}}
	batches := []int{0, 0, 1, 1}
	s, err := LISIScores(ids, nil, batches, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{2, 1.8, 1, 1}
	for i := range want {
		if !near(s[i], want[i], 1e-12) {
			t.Errorf("LISI[%d] = %v, want %v", i, s[i], want[i])
		}
	}
	got, err := ILISI(ids, nil, batches, 0) // median of {1, 1, 1.8, 2} = 1.4 → 0.4
	if err != nil || !near(got, 0.4, 1e-12) {
		t.Errorf("iLISI = %v, %v; want 0.4", got, err)
	}
	// equal distances within a row give uniform weights whatever β
	d := [][]float32{{1, 1}, {2, 2, 2}, {1}, {3, 3}}
	for _, perp := range []float64{0, 1, 30} {
		got2, err := ILISI(ids, d, batches, perp)
		if err != nil || !near(got2, 0.4, 1e-9) {
			t.Errorf("perplexity %v: iLISI with equal distances = %v, %v; want 0.4", perp, got2, err)
		}
	}
	if _, err := ILISI(ids, nil, []int{0, 0, 0, 0}, 0); !errors.Is(err, ErrUndefined) {
		t.Errorf("one batch: %v", err)
	}
	if _, err := ILISI([][]uint32{{9}}, nil, []int{0}, 0); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("bad id: %v", err)
	}
}

func TestPerplexityWeights(t *testing.T) {
	d := []float32{0.1, 0.5, 0.7, 1, 1.2, 2, 3, 3.5, 4, 5, 6, 7}
	for _, perp := range []float64{2, 4} {
		p, ok := perplexityWeights(nil, d, perp)
		if !ok {
			t.Fatal("degenerate")
		}
		h, s := 0.0, 0.0
		for _, x := range p {
			s += x
			if x > 0 {
				h -= x * math.Log(x)
			}
		}
		if !near(s, 1, 1e-9) || !near(math.Exp(h), perp, 1e-3) {
			t.Errorf("perplexity %v: Σp=%v, exp(H)=%v", perp, s, math.Exp(h))
		}
	}
}

func TestGraphConnectivity(t *testing.T) {
	// A={0,1,2} linked 0-1-2; B={3,4,5} with only 3-4 (5 joins only A's 0)
	g := undirected(6, [][2]int{{0, 1}, {1, 2}, {3, 4}, {5, 0}})
	got, err := GraphConnectivity(g, []int{0, 0, 0, 1, 1, 1})
	if err != nil || !near(got, (1+2.0/3)/2, 1e-12) {
		t.Errorf("GC = %v, %v; want %v", got, err, (1+2.0/3)/2)
	}
	if _, err := GraphConnectivity(g, []int{0}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("mismatch: %v", err)
	}
}

func undirected(n int, edges [][2]int) *sparse.CSR {
	ids := make([][]uint32, n)
	for _, e := range edges {
		ids[e[0]] = append(ids[e[0]], uint32(e[1]))
	}
	g, err := cluster.FromNeighbors(ids, nil, cluster.GraphOptions{Weighting: cluster.Binary})
	if err != nil {
		panic(err)
	}
	return g
}

func TestKNNTransfer(t *testing.T) {
	ref := []float32{0, 1, 2, 10, 11}
	labels := []string{"x", "x", "x", "y", "y"}
	got, err := KNNTransfer(ref, labels, []float32{0.5, 10.5, 6.4}, 1, 3, cluster.Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	// 6.4: neighbours 10 (y), 2 (x), 11 (y) → y
	want := []string{"x", "y", "y"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("query %d: %q, want %q", i, got[i], want[i])
		}
	}
	// k=2 at 6.05: 10 (d 3.95) y and 2 (d 4.05) x tie 1:1 → nearest wins: y
	got, _ = KNNTransfer(ref, labels, []float32{6.05}, 1, 2, cluster.Euclidean)
	if got[0] != "y" {
		t.Errorf("tie: %q", got[0])
	}
	if _, err := KNNTransfer(ref, labels[:2], []float32{1}, 1, 3, cluster.Euclidean); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("labels mismatch: %v", err)
	}
}

func TestBestClustering(t *testing.T) {
	// three separated 1-D groups: some resolution recovers them exactly
	var v []float32
	var truth []int
	for g := 0; g < 3; g++ {
		for i := 0; i < 30; i++ {
			v = append(v, float32(g*100)+float32(i)*0.1)
			truth = append(truth, g)
		}
	}
	g, err := cluster.KNNGraph(context.Background(), v, len(truth), 1, 10, cluster.Euclidean, cluster.GraphOptions{})
	if err != nil {
		t.Fatal(err)
	}
	best, all, err := BestClustering(context.Background(), g, truth, nil, cluster.Options{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(cluster.DefaultResolutions()) || best.NMI != 1 || best.ARI != 1 || best.Communities != 3 {
		t.Errorf("best %+v of %d", best, len(all))
	}
}

func TestILISIVectors(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	n, dim := 400, 4
	mixed := make([]float32, n*dim)
	split := make([]float32, n*dim)
	b := make([]int, n)
	for i := 0; i < n; i++ {
		b[i] = i % 2
		for d := 0; d < dim; d++ {
			x := float32(rng.NormFloat64())
			mixed[i*dim+d] = x
			split[i*dim+d] = x + float32(50*b[i])
		}
	}
	m, err := ILISIVectors(context.Background(), mixed, n, dim, b)
	if err != nil || m < 0.8 {
		t.Errorf("mixed batches: iLISI %v, %v; want near 1", m, err)
	}
	s, err := ILISIVectors(context.Background(), split, n, dim, b)
	if err != nil || s > 0.01 {
		t.Errorf("separated batches: iLISI %v, %v; want 0", s, err)
	}
}
