package classic

import (
	"cmp"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"genestore/train/grn"
)

// chain returns a view of a linear chain 0 → 1 ⊣ 2 plus independent noise
// genes: x1 = x0 + noise, x2 = −x1 + noise.
func chain(cells, genes int, seed uint64) grn.View {
	r := rand.New(rand.NewPCG(seed, 7))
	v := grn.View{Name: "chain", Cells: cells, Genes: genes, X: make([]float32, cells*genes)}
	for c := range cells {
		row := v.X[c*genes : (c+1)*genes]
		x0 := r.NormFloat64()
		x1 := x0 + 0.5*r.NormFloat64()
		x2 := -x1 + 0.5*r.NormFloat64()
		row[0], row[1], row[2] = float32(x0), float32(x1), float32(x2)
		for g := 3; g < genes; g++ {
			row[g] = float32(r.NormFloat64())
		}
	}
	return v
}

// TestInferChain: every method ranks the two chain edges above every pair
// of independent genes, never reports a self-loop, scores pairs among
// regulators both ways, and signs the edges + and −.
func TestInferChain(t *testing.T) {
	v := chain(400, 8, 1)
	for _, m := range Methods() {
		o := DefaultOptions()
		o.Method, o.Trees = m, 30
		res, err := Infer(context.Background(), []grn.View{v}, nil, o)
		if err != nil {
			t.Fatal(err)
		}
		if res.Method != m || res.Combination != "single view" || len(res.Edges) != 8*7 {
			t.Fatalf("%s: method %s, %q, %d edges", m, res.Method, res.Combination, len(res.Edges))
		}
		rank := map[[2]int32]int{}
		for i, e := range res.Edges {
			if e.Regulator == e.Target {
				t.Fatalf("%s: self-loop %d", m, e.Regulator)
			}
			if i > 0 && e.Score > res.Edges[i-1].Score {
				t.Fatalf("%s: edges not sorted at %d", m, i)
			}
			rank[[2]int32{e.Regulator, e.Target}] = i
		}
		worst := max(rank[[2]int32{0, 1}], rank[[2]int32{1, 2}])
		for i, e := range res.Edges {
			if e.Regulator >= 3 && e.Target >= 3 && i < worst {
				t.Errorf("%s: noise pair %d→%d (rank %d) above a chain edge (rank %d)", m, e.Regulator, e.Target, i, worst)
				break
			}
		}
		sign := func(r, g int32) int8 { return res.Edges[rank[[2]int32{r, g}]].Sign }
		if sign(0, 1) != 1 || sign(1, 2) != -1 || sign(2, 1) != -1 {
			t.Errorf("%s: signs 0→1 %d, 1→2 %d, 2→1 %d; want +, −, −", m, sign(0, 1), sign(1, 2), sign(2, 1))
		}
	}
}

// TestInferSupport: with two views, each edge's support holds its
// normalised rank in each view, in (0, 1], and the combined score is their
// mean; a view where the chain is replaced by noise supports the chain's
// edges less than the view that has it.
func TestInferSupport(t *testing.T) {
	views := []grn.View{chain(400, 8, 1), chain(400, 8, 2)}
	// View 1: genes 0–2 shuffled over cells, so the chain is gone there.
	rng := rand.New(rand.NewPCG(9, 9))
	w := views[1]
	for g := range 3 {
		perm := rng.Perm(w.Cells)
		col := make([]float32, w.Cells)
		for c := range w.Cells {
			col[c] = w.X[perm[c]*w.Genes+g]
		}
		for c := range w.Cells {
			w.X[c*w.Genes+g] = col[c]
		}
	}
	o := DefaultOptions()
	o.Method = Pearson
	res, err := Infer(context.Background(), views, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Support) != len(res.Edges) {
		t.Fatalf("%d supports for %d edges", len(res.Support), len(res.Edges))
	}
	for i, e := range res.Edges {
		s := res.Support[i]
		if len(s) != 2 || s[0] <= 0 || s[0] > 1 || s[1] <= 0 || s[1] > 1 {
			t.Fatalf("edge %d→%d support %v", e.Regulator, e.Target, s)
		}
		if mean := (float64(s[0]) + float64(s[1])) / 2; math.Abs(mean-e.Score) > 1e-6 {
			t.Fatalf("edge %d→%d: score %v, mean support %v", e.Regulator, e.Target, e.Score, mean)
		}
		if e.Regulator == 0 && e.Target == 1 && !(s[0] > 0.9 && s[1] < s[0]) {
			t.Errorf("chain edge 0→1: support %v, want high in view 0 and lower in the shuffled view 1", s)
		}
	}
}

// TestAggregate: the median of the views' ranks (the mean of the middle two
// for an even count; with two views the mean), or their mean.
func TestAggregate(t *testing.T) {
	three := [][]float64{{0.9, 0.1, 0.5}, {0.2, 0.3, 0.5}, {0.1, 0.8, 0.5}}
	four := append(slices.Clone(three), []float64{0.3, 0.9, 0.5})
	for _, c := range []struct {
		ranks [][]float64
		how   Aggregation
		want  []float64
	}{
		{three, MedianRank, []float64{0.2, 0.3, 0.5}},
		{three, MeanRank, []float64{0.4, 0.4, 0.5}},
		{four, MedianRank, []float64{0.25, 0.55, 0.5}},
		{three[:2], MedianRank, []float64{0.55, 0.2, 0.5}},
		{three[:2], MeanRank, []float64{0.55, 0.2, 0.5}},
	} {
		got := aggregate(c.ranks, c.how)
		for k := range got {
			if math.Abs(got[k]-c.want[k]) > 1e-12 {
				t.Errorf("%s of %d views: %v, want %v", c.how, len(c.ranks), got, c.want)
				break
			}
		}
	}
}

// TestRankMean: each list ranked ascending with mid-ranks for ties over its
// length, then the mean per pair.
func TestRankMean(t *testing.T) {
	for _, c := range []struct {
		in   [][]float64
		want []float64
	}{
		{[][]float64{{3, 1, 2}, {1, 3, 2}}, []float64{2.0 / 3, 2.0 / 3, 2.0 / 3}},
		{[][]float64{{1, 1, 2}}, []float64{0.5, 0.5, 1}},
		{[][]float64{{5, -1, 0, 7}, {0.1, 0.4, 0.3, 0.2}}, []float64{(0.75 + 0.25) / 2, (0.25 + 1) / 2, (0.5 + 0.75) / 2, (1 + 0.5) / 2}},
	} {
		got := RankMean(c.in...)
		for k := range got {
			if math.Abs(got[k]-c.want[k]) > 1e-12 {
				t.Errorf("RankMean(%v) = %v, want %v", c.in, got, c.want)
				break
			}
		}
	}
	nan := math.NaN()
	if got := RankMean([]float64{0.1, nan, 0.3, nan}); got[1] > got[0] || got[3] > got[0] || got[2] != 1 {
		t.Errorf("RankMean with NaN scores = %v, want the NaNs lowest and 0.3 at 1", got)
	}
	if RankMean() != nil {
		t.Error("RankMean() not nil")
	}
}

// TestInferAggregate: over three views Infer's score is the median of an
// edge's per-view support (its normalised ranks) by default and their mean
// under MeanRank, and Combination says which.
func TestInferAggregate(t *testing.T) {
	views := []grn.View{chain(300, 8, 1), chain(300, 8, 2), chain(300, 8, 3)}
	for _, how := range []Aggregation{"", MedianRank, MeanRank} {
		o := DefaultOptions()
		o.Method, o.Aggregate = Spearman, how
		res, err := Infer(context.Background(), views, []int32{0, 1, 4}, o)
		if err != nil {
			t.Fatal(err)
		}
		name := cmp.Or(how, MedianRank)
		if want := string(name) + " normalised rank"; res.Combination != want {
			t.Fatalf("%q: combination %q, want %q", how, res.Combination, want)
		}
		for i, e := range res.Edges {
			s := slices.Clone(res.Support[i])
			slices.Sort(s)
			want := float64(s[1])
			if name == MeanRank {
				want = (float64(s[0]) + float64(s[1]) + float64(s[2])) / 3
			}
			if math.Abs(e.Score-want) > 1e-6 {
				t.Fatalf("%q: edge %d→%d score %v, support %v", how, e.Regulator, e.Target, e.Score, res.Support[i])
			}
		}
	}
}

// TestInferReproducible: one seed gives the same edges whatever Workers;
// another seed changes the GENIE3 scores.
func TestInferReproducible(t *testing.T) {
	v := chain(300, 10, 2)
	o := DefaultOptions()
	o.Trees = 20
	run := func(workers int, seed uint64) []grn.Edge {
		o.Workers, o.Seed = workers, seed
		res, err := Infer(context.Background(), []grn.View{v, chain(250, 10, 3)}, []int32{0, 1, 5}, o)
		if err != nil {
			t.Fatal(err)
		}
		want := 3 * 9
		if o.MaxEdges > 0 {
			want = min(want, o.MaxEdges)
		}
		if res.Combination != "median normalised rank" || res.Views != 2 || len(res.Edges) != want {
			t.Fatalf("%q over %d views, %d edges", res.Combination, res.Views, len(res.Edges))
		}
		return res.Edges
	}
	a, b := run(1, 5), run(3, 5)
	if !reflect.DeepEqual(a, b) {
		t.Error("1 and 3 workers differ")
	}
	if reflect.DeepEqual(a, run(2, 6)) {
		t.Error("another seed gave identical scores")
	}
	o.MaxEdges = 4
	if e := run(2, 5); !reflect.DeepEqual(e, a[:4]) {
		t.Errorf("MaxEdges 4: %v; want %v", e, a[:4])
	}
}

func TestInferErrors(t *testing.T) {
	ctx := context.Background()
	good := chain(50, 4, 1)
	small := chain(19, 4, 1)
	small.Name = "tiny"
	wide := chain(50, 5, 1)
	wide.Name = "wide"
	nan := chain(50, 4, 1)
	nan.X[7] = float32(math.NaN())
	short := good
	short.X = short.X[:10]
	for _, c := range []struct {
		name  string
		views []grn.View
		regs  []int32
		o     Options
		want  string
	}{
		{"no view", nil, nil, Options{}, "no view"},
		{"few cells", []grn.View{good, small}, nil, Options{}, `view "tiny" has 19 cells`},
		{"gene counts", []grn.View{good, wide}, nil, Options{}, `view "wide" has 5 genes`},
		{"NaN", []grn.View{nan}, nil, Options{}, "NaN"},
		{"short X", []grn.View{short}, nil, Options{}, "holds 10 values"},
		{"regulator range", []grn.View{good}, []int32{4}, Options{}, "regulator 4 outside"},
		{"duplicate regulator", []grn.View{good}, []int32{1, 1}, Options{}, "listed twice"},
		{"empty regulators", []grn.View{good}, []int32{}, Options{}, "empty regulator"},
		{"options", []grn.View{good}, nil, Options{Method: "magic", Trees: -1, Bins: 1}, "unknown method"},
		{"aggregation", []grn.View{good}, nil, Options{Aggregate: "max"}, `unknown aggregation "max"`},
	} {
		_, err := Infer(ctx, c.views, c.regs, c.o)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "classic:") {
			t.Errorf("%s: %v; want ErrInvalid containing %q", c.name, err, c.want)
		}
	}
	err := Options{Method: "magic", Trees: -1, Bins: 1, CellFraction: 2}.Validate()
	if n := strings.Count(err.Error(), "\n") + 1; n != 4 {
		t.Errorf("Validate reported %d problems, want 4: %v", n, err)
	}
}

func TestInferCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, m := range Methods() {
		if _, err := Infer(ctx, []grn.View{chain(100, 6, 1)}, nil, Options{Method: m}); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v; want context.Canceled", m, err)
		}
	}
}

// TestBinView: equal-frequency codes by rank, ties share a bin (four tied
// zeros take the ranks of bins 0–1, so code 1 is unused), constant genes
// get one bin.
func TestBinView(t *testing.T) {
	v := grn.View{Cells: 8, Genes: 2, X: []float32{0, 5, 0, 5, 0, 5, 0, 5, 1, 5, 2, 5, 3, 5, 4, 5}}
	b := binView(&v, 4, 1)
	if got := b.codes[:8]; !reflect.DeepEqual(got, []uint8{0, 0, 0, 0, 2, 2, 3, 3}) {
		t.Errorf("codes %v", got)
	}
	if b.bins[0] != 4 || b.bins[1] != 1 {
		t.Errorf("bins %v", b.bins)
	}
}

// TestInferConstantGene: a gene with one value in every cell scores 0 (or
// the lowest) as regulator and as target, and nothing is NaN.
func TestInferConstantGene(t *testing.T) {
	v := chain(100, 5, 4)
	for c := range v.Cells {
		v.X[c*v.Genes+4] = 3
	}
	for _, m := range Methods() {
		res, err := Infer(context.Background(), []grn.View{v, chain(60, 5, 5)}, nil, Options{Method: m, Trees: 10})
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		for _, e := range res.Edges {
			if math.IsNaN(e.Score) || math.IsInf(e.Score, 0) {
				t.Fatalf("%s: %d→%d scores %v", m, e.Regulator, e.Target, e.Score)
			}
		}
	}
}

// TestZeroOptions pins the Options doc: the zero value is DefaultOptions
// without signs and with seed 0.
func TestZeroOptions(t *testing.T) {
	d := DefaultOptions()
	d.Signs, d.Seed = false, 0
	if got, want := (Options{}).withDefaults(), d.withDefaults(); !reflect.DeepEqual(got, want) {
		t.Errorf("zero options %+v, want %+v", got, want)
	}
}

// TestTopnessMedian pins Evidence's doc: 1 for the top pair, 0 for the
// last, about ln 2/ln n for the median.
func TestTopnessMedian(t *testing.T) {
	const n = 1001
	s := make([]float64, n)
	idx := make([]int, n)
	for i := range s {
		s[i], idx[i] = float64(i), i
	}
	dst := make([]float32, n)
	topness(dst, 1, 0, s, idx)
	if dst[n-1] != 1 || dst[0] != 0 {
		t.Errorf("top %v, last %v; want 1, 0", dst[n-1], dst[0])
	}
	if want := math.Ln2 / math.Log(n); math.Abs(float64(dst[n/2])-want) > 0.01*want {
		t.Errorf("median %v, want about ln 2/ln n = %v", dst[n/2], want)
	}
}

// TestCLRBins: the default CLR bin count is ⌈n^⅓⌉ within [4, 256]; above
// 256³ cells it used to exceed the byte-sized bin codes, which wrapped
// round and merged bins.
func TestCLRBins(t *testing.T) {
	for _, c := range []struct{ n, bins, want int }{
		{20, 0, 4}, {1000, 0, 10}, {1001, 0, 11}, {256 * 256 * 256, 0, 256}, {256*256*256 + 1, 0, 256}, {1 << 30, 0, 256}, {1 << 30, 7, 7},
	} {
		if got := clrBins(c.n, c.bins); got != c.want {
			t.Errorf("clrBins(%d, %d) = %d, want %d", c.n, c.bins, got, c.want)
		}
	}
}
