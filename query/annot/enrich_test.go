package annot

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"genestore/internal/testutil/shareddata"

	"genestore/internal/cputime"
)

// exactUpper is P(X ≥ k) for X ~ Hypergeometric(N, K, n) in exact rational arithmetic.
func exactUpper(k, N, K, n int) float64 {
	num := new(big.Int)
	for x := k; x <= min(K, n); x++ {
		if n-x > N-K || x < 0 {
			continue
		}
		t := new(big.Int).Binomial(int64(K), int64(x))
		t.Mul(t, new(big.Int).Binomial(int64(N-K), int64(n-x)))
		num.Add(num, t)
	}
	r := new(big.Rat).SetFrac(num, new(big.Int).Binomial(int64(N), int64(n)))
	f, _ := r.Float64()
	return f
}

func TestHypergeometricUpperTail(t *testing.T) {
	cases := []struct{ k, N, K, n int }{
		{3, 20, 5, 4},        // (10·15 + 5)/4845 by hand
		{0, 20, 5, 4},        // whole support: 1
		{1, 50, 5, 10},       //
		{4, 50, 5, 10},       //
		{5, 50, 5, 10},       //
		{10, 16000, 200, 50}, // tiny
		{2, 16000, 200, 50},  //
		{30, 16000, 200, 50}, // ~1e-70
		{6, 10, 8, 6},        // k at the minimum forced overlap
	}
	for _, c := range cases {
		lp := logHyperUpper(c.k, c.N, c.K, c.n, logChoose(c.N, c.n))
		want := exactUpper(c.k, c.N, c.K, c.n)
		got := math.Exp(lp)
		if math.Abs(got-want) > 1e-9*want+1e-300 {
			t.Errorf("P(X ≥ %d | N=%d K=%d n=%d) = %g, want %g", c.k, c.N, c.K, c.n, got, want)
		}
	}
	if got := math.Exp(logHyperUpper(3, 20, 5, 4, logChoose(20, 4))); math.Abs(got-155.0/4845) > 1e-12 {
		t.Errorf("hand case: %v, want %v", got, 155.0/4845)
	}
}

func universe(n int) []string {
	u := make([]string, n)
	for i := range u {
		u[i] = fmt.Sprintf("g%d", i)
	}
	return u
}

func TestEnrichHand(t *testing.T) {
	u := universe(20)
	sets := []GeneSet{
		{ID: "A", Genes: u[0:5]},
		{ID: "B", Genes: append([]string{"notInUniverse"}, u[5:10]...)},
		{ID: "C", Genes: u[10:20]},
		{ID: "D", Genes: u[15:20]}, // no overlap: counted in BH, not returned
	}
	query := []string{"g0", "g1", "g2", "g10", "g2", "unknown"}
	res, err := Enrich(query, u, sets, EnrichOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Set.ID != "A" || res[1].Set.ID != "C" {
		t.Fatalf("results %+v", res)
	}
	a := res[0]
	if a.Overlap != 3 || a.Size != 5 || a.Expected != 1 || fmt.Sprint(a.Genes) != "[g0 g1 g2]" {
		t.Errorf("A: %+v", a)
	}
	if math.Abs(a.PValue-155.0/4845) > 1e-12 {
		t.Errorf("A p = %v, want %v", a.PValue, 155.0/4845)
	}
	// C: K=10, n=4, k=1: P(X ≥ 1) = 1 − C(10,4)/C(20,4)
	pc := 1 - 210.0/4845
	if math.Abs(res[1].PValue-pc) > 1e-12 {
		t.Errorf("C p = %v, want %v", res[1].PValue, pc)
	}
	// BH over m = 4 tested sets (B and D have p = 1)
	if math.Abs(a.FDR-a.PValue*4) > 1e-12 || math.Abs(res[1].FDR-min(1, pc*4/2)) > 1e-12 {
		t.Errorf("FDR %v %v", a.FDR, res[1].FDR)
	}
	// size filter drops C and D from the test: m = 2
	res, _ = Enrich(query, u, sets, EnrichOptions{MaxSize: 5})
	if len(res) != 1 || math.Abs(res[0].FDR-res[0].PValue*3) > 1e-12 {
		t.Errorf("filtered: %+v", res)
	}
	if _, err := Enrich(query, u, append(sets, GeneSet{ID: "A"}), EnrichOptions{}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("duplicate ID: %v", err)
	}
	if _, err := Enrich(query, u, sets, EnrichOptions{MinSize: 5, MaxSize: 2}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("bad options: %v", err)
	}
}

func TestBHMonotoneAndBounded(t *testing.T) {
	u := universe(300)
	rng := rand.New(rand.NewPCG(1, 1))
	var sets []GeneSet
	for s := 0; s < 60; s++ {
		var g []string
		for i := 0; i < 10+rng.IntN(30); i++ {
			g = append(g, u[rng.IntN(300)])
		}
		sets = append(sets, GeneSet{ID: fmt.Sprintf("S%02d", s), Genes: g})
	}
	res, err := Enrich(u[:40], u, sets, EnrichOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range res {
		r := res[i]
		if r.FDR < r.PValue || r.FDR > 1 {
			t.Errorf("%s: FDR %v for p %v", r.Set.ID, r.FDR, r.PValue)
		}
		if i > 0 && (res[i-1].PValue > r.PValue || res[i-1].FDR > r.FDR) {
			t.Errorf("not sorted/monotone at %d", i)
		}
	}
}

// repoData finds ../shared/data beside the repository root (the directory holding go.mod).
func repoData(t testing.TB) string {
	return shareddata.Dir(t)
}

func loadGO(t testing.TB) []GeneSet {
	p := filepath.Join(repoData(t), "go", "human_go_bp.gmt")
	f, err := os.Open(p)
	if err != nil {
		t.Skip("GO gene sets not found: ", p)
	}
	defer f.Close()
	sets, err := ParseGMT(f, "human_go_bp.gmt")
	if err != nil {
		t.Fatal(err)
	}
	return sets
}

func TestRealGO(t *testing.T) {
	sets := loadGO(t)
	if len(sets) != 6482 {
		t.Errorf("%d sets, README says 6,482", len(sets))
	}
	c, err := NewCollection(sets, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.UniverseSize() != 16041 {
		t.Errorf("universe %d genes, README says 16,041", c.UniverseSize())
	}
	// half of a mid-sized term's genes plus noise: that term must rank first
	var target GeneSet
	for _, s := range sets {
		if len(s.Genes) >= 40 && len(s.Genes) <= 60 {
			target = s
			break
		}
	}
	query := append([]string{}, target.Genes[:len(target.Genes)/2]...)
	rng := rand.New(rand.NewPCG(5, 5))
	for i := 0; i < 20; i++ {
		query = append(query, c.names[rng.IntN(len(c.names))])
	}
	res, err := c.Enrich(query, DefaultEnrichOptions())
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Set.ID != target.ID || res[0].FDR > 1e-10 {
		t.Errorf("top result %s (FDR %g), want %s", res[0].Set.ID, res[0].FDR, target.ID)
	}
}

func BenchmarkEnrichGO(b *testing.B) {
	sets := loadGO(b)
	c, err := NewCollection(sets, nil)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	query := make([]string, 200)
	for i := range query {
		query[i] = c.names[rng.IntN(len(c.names))]
	}
	b.ResetTimer()
	cpu0 := cputime.Seconds()
	for i := 0; i < b.N; i++ {
		if _, err := c.Enrich(query, DefaultEnrichOptions()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cputime.Seconds()-cpu0)/float64(b.N)*1e3, "cpu-ms/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
	b.ReportMetric(float64(len(sets))*float64(b.N)/b.Elapsed().Seconds(), "terms/s")
}
