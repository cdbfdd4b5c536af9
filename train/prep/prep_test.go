package prep

import (
	"context"
	"errors"
	"math"
	"math/rand"
	"slices"
	"sort"
	"testing"

	"genestore/internal/sparse"
	"genestore/vocab"
)

// dense2csr builds a CSR from a dense row-major matrix, skipping zeros.
func dense2csr(rows, cols int, d []float64) *sparse.CSR {
	m := &sparse.CSR{Rows: rows, Cols: cols, Indptr: make([]int64, rows+1)}
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			if v := d[r*cols+c]; v != 0 {
				m.Indices = append(m.Indices, int32(c))
				m.Data = append(m.Data, float32(v))
			}
		}
		m.Indptr[r+1] = int64(len(m.Data))
	}
	return m
}

func csr2dense(m *sparse.CSR) []float64 {
	d := make([]float64, m.Rows*m.Cols)
	for r := 0; r < m.Rows; r++ {
		idx, val := m.Row(r)
		for k, c := range idx {
			d[r*m.Cols+int(c)] = float64(val[k])
		}
	}
	return d
}

// factorCounts draws cells × genes Poisson-like counts driven by a few latent
// factors, so that genes sharing a factor correlate.
func factorCounts(rng *rand.Rand, cells, genes, factors int) *sparse.CSR {
	load := make([]int, genes)
	for g := range load {
		load[g] = g % factors
	}
	d := make([]float64, cells*genes)
	for c := 0; c < cells; c++ {
		f := make([]float64, factors)
		for i := range f {
			f[i] = rng.NormFloat64()
		}
		depth := math.Exp(rng.NormFloat64() * 0.3)
		for g := 0; g < genes; g++ {
			mu := depth * math.Exp(0.5+0.8*f[load[g]]+0.2*rng.NormFloat64())
			// Poisson by inversion, fine for small means
			l, k, p := math.Exp(-mu), 0, 1.0
			for {
				p *= rng.Float64()
				if p <= l {
					break
				}
				k++
			}
			d[c*genes+g] = float64(k)
		}
	}
	return dense2csr(cells, genes, d)
}

func naivePearson(d []float64, rows, cols, a, b int) float64 {
	var ma, mb float64
	for r := 0; r < rows; r++ {
		ma += d[r*cols+a]
		mb += d[r*cols+b]
	}
	ma /= float64(rows)
	mb /= float64(rows)
	var sab, saa, sbb float64
	for r := 0; r < rows; r++ {
		x, y := d[r*cols+a]-ma, d[r*cols+b]-mb
		sab += x * y
		saa += x * x
		sbb += y * y
	}
	if saa == 0 || sbb == 0 {
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}

func TestQC(t *testing.T) {
	// 4 cells × 4 genes; cell 3 has one gene, gene 3 is never seen.
	X := dense2csr(4, 4, []float64{
		1, 1, 0, 0,
		1, 1, 1, 0,
		1, 0, 1, 0,
		0, 0, 5, 0,
	})
	tests := []struct {
		name         string
		opts         QCOptions
		cells, genes []int
	}{
		{"keep all", QCOptions{}, []int{0, 1, 2, 3}, []int{0, 1, 2, 3}},
		{"min genes 2", QCOptions{MinGenesPerCell: 2}, []int{0, 1, 2}, []int{0, 1, 2, 3}},
		{"both", QCOptions{MinGenesPerCell: 2, MinCellsPerGene: 2}, []int{0, 1, 2}, []int{0, 1, 2}},
		{"min cells 3", QCOptions{MinCellsPerGene: 3}, []int{0, 1, 2, 3}, []int{0, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, g, err := QC(X, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c, tc.cells) || !slices.Equal(g, tc.genes) {
				t.Fatalf("got cells %v genes %v, want %v %v", c, g, tc.cells, tc.genes)
			}
		})
	}
	if _, _, err := QC(X, QCOptions{MinCellsPerGene: -1, MinGenesPerCell: -1}); !errors.Is(err, ErrOptions) {
		t.Fatalf("negative thresholds: got %v", err)
	}
}

func TestNormalize(t *testing.T) {
	X := dense2csr(3, 3, []float64{1, 3, 0, 0, 0, 0, 10, 0, 10})
	tests := []struct {
		name   string
		values vocab.ValueType
		target float64
		want   []float64
	}{
		{"counts 1e4", vocab.Counts, 1e4, []float64{math.Log1p(2500), math.Log1p(7500), 0, 0, 0, 0, math.Log1p(5000), 0, math.Log1p(5000)}},
		// totals 4, 0, 20: the median of the non-zero totals is 12, as
		// scanpy's normalize_total (the empty cell once made it 4)
		{"counts median", vocab.Counts, 0, []float64{math.Log1p(3), math.Log1p(9), 0, 0, 0, 0, math.Log1p(6), 0, math.Log1p(6)}},
		{"normalized", vocab.Normalized, 1e4, []float64{math.Log1p(1), math.Log1p(3), 0, 0, 0, 0, math.Log1p(10), 0, math.Log1p(10)}},
		{"log", vocab.Log, 1e4, []float64{1, 3, 0, 0, 0, 0, 10, 0, 10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(X, tc.values, tc.target)
			if err != nil {
				t.Fatal(err)
			}
			if err := got.Validate(); err != nil {
				t.Fatal(err)
			}
			d := csr2dense(got)
			for i := range d {
				if math.Abs(d[i]-tc.want[i]) > 1e-5*math.Max(1, tc.want[i]) {
					t.Fatalf("entry %d: got %v want %v", i, d[i], tc.want[i])
				}
			}
		})
	}
	// Counts: expm1 of each non-empty row sums to the target.
	rng := rand.New(rand.NewSource(1))
	C := factorCounts(rng, 50, 30, 3)
	N, err := Normalize(C, vocab.Counts, 1e4)
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < N.Rows; r++ {
		_, val := N.Row(r)
		s := 0.0
		for _, v := range val {
			s += math.Expm1(float64(v))
		}
		if len(val) > 0 && math.Abs(s-1e4) > 1 {
			t.Fatalf("row %d sums to %v", r, s)
		}
	}
	if _, err := Normalize(X, "weird", 1); !errors.Is(err, ErrValueType) {
		t.Fatalf("unknown type: %v", err)
	}
	if _, err := Normalize(dense2csr(1, 1, []float64{-1}), vocab.Counts, 1); !errors.Is(err, ErrInput) {
		t.Fatalf("negative counts: %v", err)
	}
	for _, ts := range []float64{math.NaN(), math.Inf(1)} {
		if _, err := Normalize(dense2csr(1, 1, []float64{1}), vocab.Counts, ts); !errors.Is(err, ErrInput) {
			t.Fatalf("target sum %v: %v", ts, err)
		}
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		if _, err := HVGScores(dense2csr(2, 1, []float64{1, bad}), vocab.Counts); !errors.Is(err, ErrInput) {
			t.Fatalf("seurat_v3 on count %v: %v", bad, err)
		}
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		if _, err := Normalize(dense2csr(1, 1, []float64{bad}), vocab.Normalized, 1); !errors.Is(err, ErrInput) {
			t.Fatalf("value %v: %v", bad, err)
		}
	}
	// Half the cells empty: the target is still the median of the others
	// (15 here; it was 0, which zeroed every value).
	E := dense2csr(5, 1, []float64{0, 0, 0, 10, 20})
	N, err = Normalize(E, vocab.Counts, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d := csr2dense(N); math.Abs(d[3]-math.Log1p(15)) > 1e-5 || math.Abs(d[4]-math.Log1p(15)) > 1e-5 {
		t.Fatalf("half empty: %v, want log1p(15) for the two cells with counts", d)
	}
}

func TestLoessReproducesQuadratics(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, n := range []int{50, 2000} { // exact at every point, then anchors
		x := make([]float64, n)
		y := make([]float64, n)
		for i := range x {
			x[i] = rng.Float64()*4 - 2
			y[i] = 0.5 - 1.5*x[i] + 0.7*x[i]*x[i]
		}
		fit := loessFit(x, y, 0.3, 512)
		for i := range fit {
			// linear interpolation between anchors adds at most the
			// curvature term over one anchor gap
			if math.Abs(fit[i]-y[i]) > 1e-3 {
				t.Fatalf("n=%d point %d: fit %v want %v", n, i, fit[i], y[i])
			}
		}
	}
}

// TestLoessScaleFree: the fit of exact quadratic data does not depend on
// the scale of x (the singularity test once used raw offsets, and narrow
// windows fell back to a line).
func TestLoessScaleFree(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	const n = 60
	x0 := make([]float64, n)
	for i := range x0 {
		x0[i] = rng.Float64()*4 - 2
	}
	for _, s := range []float64{1, 1e-2, 1e-4, 1e3} {
		x := make([]float64, n)
		y := make([]float64, n)
		for i := range x {
			x[i] = x0[i] * s
			y[i] = 0.5 - 1.5*x0[i] + 0.7*x0[i]*x0[i]
		}
		fit := loessFit(x, y, 0.3, 512)
		for i := range fit {
			if math.Abs(fit[i]-y[i]) > 1e-9 {
				t.Fatalf("x scaled by %g, point %d: fit %v want %v", s, i, fit[i], y[i])
			}
		}
	}
}

func TestHVGDispersionHandCase(t *testing.T) {
	// Normalized values, 4 cells × 3 genes. By hand (ddof 1):
	// gene 0: 1,1,1,1   mean 1, var 0   → dispersion 0 → NaN (ranked last)
	// gene 1: 0,2,0,2   mean 1, var 4/3 → log(4/3)
	// gene 2: 0,0,0,8   mean 2, var 16  → log(8)
	// log1p means 0.693 and 1.099 fall in the lowest and the highest of 20
	// bins, one gene each: normalised dispersion = d/d = 1 for both (scanpy).
	X := dense2csr(4, 3, []float64{1, 0, 0, 1, 2, 0, 1, 0, 0, 1, 2, 8})
	s, err := HVGScores(X, vocab.Normalized)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(s[0]) || math.Abs(s[1]-1) > 1e-12 || math.Abs(s[2]-1) > 1e-12 {
		t.Fatalf("scores %v", s)
	}
	top, err := HVG(X, vocab.Normalized, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(top, []int{1, 2}) {
		t.Fatalf("top %v", top)
	}
	// Three genes with equal means share one bin: scores are z-scores of
	// the log dispersions.
	Z := dense2csr(6, 3, []float64{
		1, 0, 2,
		3, 2, 2,
		1, 4, 0,
		3, 2, 4,
		1, 0, 2,
		3, 4, 2,
	})
	// means 2, 2, 2; vars (ddof 1): 1.2, 3.2, 1.6 → dispersions 0.6, 1.6, 0.8
	d := []float64{math.Log(0.6), math.Log(1.6), math.Log(0.8)}
	m := (d[0] + d[1] + d[2]) / 3
	sd := math.Sqrt(((d[0]-m)*(d[0]-m) + (d[1]-m)*(d[1]-m) + (d[2]-m)*(d[2]-m)) / 2)
	s, err = HVGScores(Z, vocab.Normalized)
	if err != nil {
		t.Fatal(err)
	}
	for g := range d {
		if want := (d[g] - m) / sd; math.Abs(s[g]-want) > 1e-9 {
			t.Fatalf("gene %d: %v want %v", g, s[g], want)
		}
	}
	top, _ = HVG(Z, vocab.Normalized, 1)
	if !slices.Equal(top, []int{1}) {
		t.Fatalf("top %v", top)
	}
}

func TestHVGSeuratV3(t *testing.T) {
	// 300 cells: genes 0..59 Poisson around a mean-variance trend, gene 60
	// has the same mean as gene 59 but is bursty (mostly 0, sometimes large):
	// it must rank first, and the ranking must be deterministic.
	rng := rand.New(rand.NewSource(3))
	cells, genes := 300, 61
	d := make([]float64, cells*genes)
	for c := 0; c < cells; c++ {
		for g := 0; g < genes-1; g++ {
			mu := 0.2 + float64(g)*0.1
			l, k, p := math.Exp(-mu), 0, 1.0
			for {
				p *= rng.Float64()
				if p <= l {
					break
				}
				k++
			}
			d[c*genes+g] = float64(k)
		}
		if rng.Float64() < 0.1 {
			d[c*genes+genes-1] = 60
		}
	}
	X := dense2csr(cells, genes, d)
	s, err := HVGScores(X, vocab.Counts)
	if err != nil {
		t.Fatal(err)
	}
	best := 0
	for g := range s {
		if s[g] > s[best] {
			best = g
		}
	}
	if best != genes-1 {
		t.Fatalf("most variable gene %d (score %v), want %d (score %v)", best, s[best], genes-1, s[genes-1])
	}
	// Poisson genes have standardised variance near 1.
	for g := 0; g < genes-1; g++ {
		if s[g] < 0.5 || s[g] > 1.6 {
			t.Fatalf("poisson gene %d: standardised variance %v", g, s[g])
		}
	}
	a, _ := HVG(X, vocab.Counts, 10)
	b, _ := HVG(X, vocab.Counts, 10)
	if !slices.Equal(a, b) || !sort.IntsAreSorted(a) || a[len(a)-1] != genes-1 {
		t.Fatalf("HVG %v %v", a, b)
	}
}

func TestCoexpressionMatchesNaive(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewSource(4))
	cells, genes := 120, 300 // > one gene block
	C := factorCounts(rng, cells, genes, 7)
	X, err := Normalize(C, vocab.Counts, 1e4)
	if err != nil {
		t.Fatal(err)
	}
	d := csr2dense(X)
	naive := make([]float64, genes*genes)
	for a := 0; a < genes; a++ {
		for b := 0; b < genes; b++ {
			naive[a*genes+b] = naivePearson(d, cells, genes, a, b)
		}
	}
	rows, err := PearsonRows(ctx, X, DefaultCoexprOptions())
	if err != nil {
		t.Fatal(err)
	}
	for a := 0; a < genes; a++ {
		for b := 0; b < genes; b++ {
			if a == b {
				continue
			}
			if diff := math.Abs(float64(rows[a*genes+b]) - naive[a*genes+b]); diff > 1e-4 {
				t.Fatalf("r(%d,%d) = %v, naive %v", a, b, rows[a*genes+b], naive[a*genes+b])
			}
		}
	}
	for _, k := range []int{3, 10} {
		opts := DefaultCoexprOptions()
		opts.TopK = k
		opts.Alpha = 1
		opts.Correction = NoCorrection
		edges, err := Coexpression(ctx, X, opts)
		if err != nil {
			t.Fatal(err)
		}
		// expected: union of each gene's naive top-k by |r|
		want := map[[2]int32]bool{}
		for a := 0; a < genes; a++ {
			idx := make([]int, 0, genes-1)
			for b := 0; b < genes; b++ {
				if b != a {
					idx = append(idx, b)
				}
			}
			sort.SliceStable(idx, func(x, y int) bool {
				return math.Abs(naive[a*genes+idx[x]]) > math.Abs(naive[a*genes+idx[y]])
			})
			for _, b := range idx[:k] {
				p := [2]int32{int32(min(a, b)), int32(max(a, b))}
				want[p] = true
			}
		}
		got := map[[2]int32]bool{}
		for i, e := range edges {
			if e.A >= e.B {
				t.Fatalf("edge %v not A<B", e)
			}
			if i > 0 && (edges[i-1].A > e.A || edges[i-1].A == e.A && edges[i-1].B >= e.B) {
				t.Fatalf("edges not sorted/deduplicated at %d", i)
			}
			if w := naive[int(e.A)*genes+int(e.B)]; math.Abs(float64(e.Weight)-w) > 1e-5 {
				t.Fatalf("edge %v weight, naive %v", e, w)
			}
			got[[2]int32{e.A, e.B}] = true
		}
		// allow a difference only where float32 ties reorder the k-th partner
		miss := 0
		for p := range want {
			if !got[p] {
				miss++
			}
		}
		for p := range got {
			if !want[p] {
				miss++
			}
		}
		if miss > len(want)/200 {
			t.Fatalf("k=%d: %d of %d edges differ from the naive top-k union", k, miss, len(want))
		}
	}
}

func TestCoexpressionSignificance(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewSource(5))
	// Independent gaussian genes, plus genes 0–2 sharing one strong factor.
	cells, genes := 60, 80
	d := make([]float64, cells*genes)
	for c := 0; c < cells; c++ {
		f := rng.NormFloat64()
		for g := 0; g < genes; g++ {
			d[c*genes+g] = 5 + rng.NormFloat64()
			if g < 3 {
				d[c*genes+g] += 3 * f
			}
		}
	}
	X := dense2csr(cells, genes, d)
	for _, corr := range []Correction{BH, Bonferroni} {
		opts := DefaultCoexprOptions()
		opts.Correction = corr
		opts.Alpha = 0.01
		edges, err := Coexpression(ctx, X, opts)
		if err != nil {
			t.Fatal(err)
		}
		planted := 0
		for _, e := range edges {
			if e.A < 3 && e.B < 3 {
				planted++
			} else {
				t.Errorf("%v: false edge %v", corr, e)
			}
		}
		if planted != 3 {
			t.Fatalf("%v: %d planted edges, want 3 (edges %v)", corr, planted, edges)
		}
		// without a test, top-k keeps noise edges too
		opts.Alpha, opts.Correction = 1, NoCorrection
		all, _ := Coexpression(ctx, X, opts)
		if len(all) <= len(edges) {
			t.Fatalf("significance filter removed nothing: %d vs %d", len(all), len(edges))
		}
		opts.MinAbsR = 0.99
		none, _ := Coexpression(ctx, X, opts)
		if len(none) != 0 {
			t.Fatalf("MinAbsR 0.99 kept %d edges", len(none))
		}
	}
	// Bonferroni's critical r gives p = α/m.
	n, m, alpha := 60, 3160.0, 0.05
	r := criticalR(nil, n, m, alpha, Bonferroni)
	if p := pValue(r, n); math.Abs(p-alpha/m) > 1e-9 {
		t.Fatalf("p at critical r %v = %v, want %v", r, p, alpha/m)
	}
	if err := (CoexprOptions{}).Validate(); err == nil {
		t.Fatal("zero options validated")
	}
}
