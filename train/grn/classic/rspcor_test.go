package classic

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"genestore/train/grn"
)

// bruteRegulatorPartial is the definition regulatorPartialCorrelations
// computes by a block inverse: for each gene, invert the shrunk
// correlation matrix of the candidates plus that gene.
func bruteRegulatorPartial(t *testing.T, v *grn.View, regs []int, delta float64) []float64 {
	t.Helper()
	n, G := v.Cells, v.Genes
	z := standardized(v, true, 1)
	corr := func(a, b int) float64 {
		var s float64
		for c := range n {
			s += z[a*n+c] * z[b*n+c]
		}
		return s / float64(n)
	}
	out := make([]float64, len(regs)*G)
	for g := range G {
		set := slices.Clone(regs)
		if !slices.Contains(regs, g) {
			set = append(set, g)
		}
		k := len(set)
		R := mat.NewSymDense(k, nil)
		for i := range k {
			for j := i; j < k; j++ {
				x := 1.0
				if i != j {
					x = (1 - delta) * corr(set[i], set[j])
				}
				R.SetSym(i, j, x)
			}
		}
		var ch mat.Cholesky
		if !ch.Factorize(R) {
			t.Fatal("not positive definite")
		}
		var P mat.SymDense
		if err := ch.InverseTo(&P); err != nil {
			t.Fatal(err)
		}
		gi := slices.Index(set, g)
		for i, r := range regs {
			if r != g {
				out[i*G+g] = -P.At(i, gi) / math.Sqrt(P.At(i, i)*P.At(gi, gi))
			}
		}
	}
	return out
}

// TestRegulatorPartialMatchesDefinition: the block-inverse formula gives
// the per-gene inverse's partial correlations for candidate and other
// targets alike, and with every gene a candidate it is partialCorrelations
// of ranks (SpearmanPartial).
func TestRegulatorPartialMatchesDefinition(t *testing.T) {
	v := chain(300, 9, 4)
	ctx := context.Background()
	o := Options{Shrinkage: 0.05, Workers: 2}
	for _, regs := range [][]int{{0, 1, 5}, {3}, {0, 1, 2, 3, 4, 5, 6, 7, 8}} {
		got, err := regulatorPartialCorrelations(ctx, &v, regs, o, true)
		if err != nil {
			t.Fatal(err)
		}
		want := bruteRegulatorPartial(t, &v, regs, 0.05)
		for k := range want {
			if math.Abs(got[k]-want[k]) > 1e-9 {
				t.Fatalf("regs %v: pair %d (regulator %d, gene %d): %v, want %v", regs, k, regs[k/v.Genes], k%v.Genes, got[k], want[k])
			}
		}
		if len(regs) == v.Genes {
			full, err := partialCorrelations(ctx, &v, regs, o, true)
			if err != nil {
				t.Fatal(err)
			}
			for k := range full {
				if math.Abs(got[k]-full[k]) > 1e-9 {
					t.Fatalf("every gene a candidate: pair %d: %v, spcor %v", k, got[k], full[k])
				}
			}
		}
	}
}

// TestRegulatorPartialIgnoresColliders: two independent regulators A and
// B with a common target T = A + B. Given every other gene (spcor) A and
// B look linked, because T is conditioned on (a collider); given the
// other candidates only (rspcor) they do not, and both still reach T.
func TestRegulatorPartialIgnoresColliders(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	const cells, genes = 500, 6
	v := grn.View{Name: "collider", Cells: cells, Genes: genes, X: make([]float32, cells*genes)}
	for c := range cells {
		row := v.X[c*genes : (c+1)*genes]
		a, b := r.NormFloat64(), r.NormFloat64()
		row[0], row[1], row[2] = float32(a), float32(b), float32(a+b+0.3*r.NormFloat64())
		for g := 3; g < genes; g++ {
			row[g] = float32(r.NormFloat64())
		}
	}
	ctx := context.Background()
	regs := []int{0, 1, 3}
	o := Options{Workers: 1}
	sp, err := partialCorrelations(ctx, &v, regs, o, true)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := regulatorPartialCorrelations(ctx, &v, regs, o, true)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(sp[0*genes+1]) < 0.5 {
		t.Fatalf("spcor(A, B) = %.3f: the collider should link them", sp[0*genes+1])
	}
	if math.Abs(rp[0*genes+1]) > 0.15 {
		t.Errorf("rspcor(A, B) = %.3f, want about 0 (independent regulators)", rp[0*genes+1])
	}
	if rp[0*genes+2] < 0.5 || rp[1*genes+2] < 0.5 {
		t.Errorf("rspcor A→T %.3f, B→T %.3f: want both strong", rp[0*genes+2], rp[1*genes+2])
	}
}

// corrOf is the correlation matrix of the standardized columns z (n
// cells, G genes), its diagonal 1 (constant genes too), as
// partialCorrelations builds it.
func corrOf(z []float64, n, G int) []float64 {
	R := make([]float64, G*G)
	for i := range G {
		for j := range G {
			var s float64
			for c := range n {
				s += z[i*n+c] * z[j*n+c]
			}
			R[i*G+j] = s / float64(n)
		}
		R[i*G+i] = 1
	}
	return R
}

// bruteLedoitWolf is the Ledoit–Wolf intensity from its definition over
// the rows regs: b̄² = Σ_c Σ_{i,g} (x_ci·x_cg − R_ig)² / n² (each entry's
// sampling variance), d² = Σ_{i,g} (R_ig − I_ig)², δ = min(b̄², d²)/d²,
// for data without constant genes.
func bruteLedoitWolf(z, R []float64, regs []int, n, G int) float64 {
	var b2, d2 float64
	for _, r := range regs {
		for g := range G {
			id := 0.0
			if g == r {
				id = 1
			}
			d2 += (R[r*G+g] - id) * (R[r*G+g] - id)
			for c := range n {
				e := z[r*n+c]*z[g*n+c] - R[r*G+g]
				b2 += e * e
			}
		}
	}
	b2 /= float64(n) * float64(n)
	return min(b2, d2) / d2
}

// TestLedoitWolfRowsAllGenes: over every row and over two, the rows'
// estimate is the definition's.
func TestLedoitWolfRowsAllGenes(t *testing.T) {
	v := chain(200, 7, 5)
	n, G := v.Cells, v.Genes
	z := standardized(&v, true, 1)
	R := corrOf(z, n, G)
	all := []int{0, 1, 2, 3, 4, 5, 6}
	if a, b := ledoitWolf(z, R, n, G), bruteLedoitWolf(z, R, all, n, G); math.Abs(a-b) > 1e-12 {
		t.Fatalf("every row: %v, by the definition %v", a, b)
	}
	d := ledoitWolfRows(z, R[:2*G], all[:2], n, G)
	if b := bruteLedoitWolf(z, R, all[:2], n, G); math.Abs(d-b) > 1e-12 || !(d > 0 && d < 1) {
		t.Fatalf("two rows: δ = %v, by the definition %v, want in (0, 1)", d, b)
	}
}

// TestLedoitWolfConstantGene: a constant gene (an uncorrelated unit
// variable measured without error) leaves the shrinkage intensity as it
// was, in ledoitWolf and in ledoitWolfRows.
func TestLedoitWolfConstantGene(t *testing.T) {
	v := chain(200, 6, 5)
	n, G := v.Cells, v.Genes
	z := standardized(&v, true, 1)
	zc := append(slices.Clone(z), make([]float64, n)...) // gene G: constant
	R, Rc := corrOf(z, n, G), corrOf(zc, n, G+1)
	if a, b := ledoitWolf(z, R, n, G), ledoitWolf(zc, Rc, n, G+1); math.Abs(a-b) > 1e-12 {
		t.Errorf("ledoitWolf: %v without the constant gene, %v with it", a, b)
	}
	regs := []int{0, 2, 4}
	rows := func(R []float64, G int, regs []int) []float64 {
		var out []float64
		for _, r := range regs {
			out = append(out, R[r*G:(r+1)*G]...)
		}
		return out
	}
	a := ledoitWolfRows(z, rows(R, G, regs), regs, n, G)
	b := ledoitWolfRows(zc, rows(Rc, G+1, append(regs, G)), append(regs, G), n, G+1)
	if math.Abs(a-b) > 1e-12 {
		t.Errorf("ledoitWolfRows: %v without the constant candidate, %v with it", a, b)
	}
}

// TestEnsembleMembers: the result names the methods the ensemble ranked,
// rspcor only under a list of fewer candidates than genes.
func TestEnsembleMembers(t *testing.T) {
	v := chain(120, 6, 3)
	o := DefaultOptions()
	for _, tc := range []struct {
		method Method
		regs   []int32
		want   []Method
	}{
		{Ensemble, nil, []Method{GENIE3, SpearmanPartial}},
		{Ensemble, []int32{0, 1, 2, 3, 4, 5}, []Method{GENIE3, SpearmanPartial}},
		{Ensemble, []int32{0, 2}, []Method{GENIE3, SpearmanPartial, RegulatorPartial}},
		{GENIE3, []int32{0, 2}, nil},
	} {
		o.Method = tc.method
		res, err := Infer(context.Background(), []grn.View{v}, tc.regs, o)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Members, tc.want) {
			t.Errorf("%s with regulators %v: members %v, want %v", tc.method, tc.regs, res.Members, tc.want)
		}
	}
}
