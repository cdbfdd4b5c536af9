package vae

import (
	"math"
	"math/rand/v2"
	"testing"

	"genestore/internal/sparse"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestLgammaOpGradient differentiates Σ c·lgamma(x) through gorgonia and
// compares with central differences of math.Lgamma.
func TestLgammaOpGradient(t *testing.T) {
	xs := []float64{0.05, 0.5, 1, 2.5, 7, 40, 300}
	cs := []float64{1, -2, 0.5, 3, 1, -1, 0.25}
	g := G.NewGraph()
	x := G.NewVector(g, tensor.Float64, G.WithShape(len(xs)), G.WithName("x"), G.WithValue(tensor.New(tensor.WithBacking(append([]float64(nil), xs...)))))
	c := G.NewVector(g, tensor.Float64, G.WithShape(len(cs)), G.WithName("c"), G.WithValue(tensor.New(tensor.WithBacking(cs))))
	lg, err := Lgamma(x)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := G.HadamardProd(lg, c)
	if err != nil {
		t.Fatal(err)
	}
	y, err := G.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := G.Grad(y, x); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	want := 0.0
	for i, v := range xs {
		l, _ := math.Lgamma(v)
		want += cs[i] * l
	}
	if got := y.Value().Data().(float64); math.Abs(got-want) > 1e-8*math.Abs(want) {
		t.Errorf("value %.12g, want %.12g", got, want)
	}
	gv, err := x.Grad()
	if err != nil {
		t.Fatal(err)
	}
	grad := gv.Data().([]float64)
	for i, v := range xs {
		h := 1e-6 * math.Max(v, 1e-2)
		lp, _ := math.Lgamma(v + h)
		lm, _ := math.Lgamma(v - h)
		fd := cs[i] * (lp - lm) / (2 * h)
		if math.Abs(grad[i]-fd) > 1e-5*math.Max(1, math.Abs(fd)) {
			t.Errorf("d/dx[%d] (x=%g): gradient %.10g, finite difference %.10g", i, v, grad[i], fd)
		}
	}
}

// TestNBGradientAgainstGorgonia builds the NB negative log-likelihood of
// one cell in gorgonia (with the Lgamma op, on every gene) and checks that
// the hand-written gradients with respect to the logits and log θ (which
// skip lgamma at zero counts and use tables for small counts) agree.
func TestNBGradientAgainstGorgonia(t *testing.T) {
	const genes = 19
	rng := rand.New(rand.NewPCG(3, 3))
	counts := []float64{0, 3, 0, 1, 40, 0, 7, 2, 0, 0, 0, 12, 1, 0, 5, 0, 0, 33, 0}
	logits := make([]float64, genes)
	logTheta := make([]float64, genes)
	for g := range genes {
		logits[g] = rng.NormFloat64()
		logTheta[g] = 0.5 * rng.NormFloat64()
	}
	lib := 0.0
	for _, v := range counts {
		lib += v
	}

	// Gorgonia reference: −Σ_g [θ(log θ − log(θ+μ)) + x(log μ − log(θ+μ)) +
	// lgamma(x+θ) − lgamma(θ) − lgamma(x+1)], μ = lib·softmax(logits).
	gr := G.NewGraph()
	vec := func(name string, v []float64) *G.Node {
		return G.NewVector(gr, tensor.Float64, G.WithShape(genes), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithBacking(append([]float64(nil), v...)))))
	}
	l, lt, x := vec("logits", logits), vec("logtheta", logTheta), vec("x", counts)
	must := func(n *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	theta := must(G.Exp(lt))
	logSM := must(G.LogSoftMax(l))
	logMu := must(G.Add(logSM, G.NewConstant(math.Log(lib))))
	mu := must(G.Exp(logMu))
	logTM := must(G.Log(must(G.Add(theta, mu))))
	t1 := must(G.HadamardProd(theta, must(G.Sub(lt, logTM))))
	t2 := must(G.HadamardProd(x, must(G.Sub(logMu, logTM))))
	lgXT := must(Lgamma(must(G.Add(x, theta))))
	lgT := must(Lgamma(theta))
	lgX1 := must(Lgamma(must(G.Add(x, G.NewConstant(1.0)))))
	ll := must(G.Sub(must(G.Add(must(G.Add(t1, t2)), must(G.Sub(lgXT, lgT)))), lgX1))
	loss := must(G.Neg(must(G.Sum(ll))))
	if _, err := G.Grad(loss, l, lt); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(gr)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	gl, _ := l.Grad()
	glt, _ := lt.Grad()

	// Hand-written path, with and without the assembly kernels.
	for _, asm := range []bool{false, haveAVX2FMA} {
		saved := haveAVX2FMA
		haveAVX2FMA = asm
		nbAgainst(t, asm, genes, counts, logits, logTheta, lib, loss.Value().Data().(float64),
			gl.Data().([]float64), glt.Data().([]float64))
		haveAVX2FMA = saved
	}
}

func nbAgainst(t *testing.T, asm bool, genes int, counts, logits, logTheta []float64, lib, wantLoss float64, wantDL, wantDT []float64) {
	t.Helper()
	m := &Model{hp: hyper{Genes: genes, Likelihood: NB}, disp: newParam("disp", 1, genes)}
	for g := range genes {
		m.disp.W[g] = float32(logTheta[g])
	}
	w := &work{m: m, threads: 1, logits: make([]float32, genes), dense: make([]float32, genes),
		dlog: make([]float32, genes), theta: make([]float64, genes), logTheta: make([]float64, genes),
		theta32: make([]float32, genes), logTheta32: make([]float32, genes),
		lgT: make([]float64, genes*lgTable), dgT: make([]float64, genes*lgTable)}
	for g := range genes {
		w.logits[g] = float32(logits[g])
		w.dense[g] = float32(counts[g])
	}
	X := &sparse.CSR{Rows: 1, Cols: genes, Indptr: []int64{0, 0}}
	for g, v := range counts {
		if v != 0 {
			X.Indices = append(X.Indices, int32(g))
			X.Data = append(X.Data, float32(v))
		}
	}
	X.Indptr[1] = int64(len(X.Data))
	d := &data{X: X, target: X.Data, lib: []float32{float32(lib)}, lgx1: []float64{0}}
	for _, v := range counts {
		d.lgx1[0] += lgamma(v + 1)
	}
	w.nbPrepare()
	dacc := make([]float32, genes)
	nll := w.nbCell(d, 0, 0, 1, dacc)
	if want := wantLoss; math.Abs(nll-want) > 1e-5*math.Abs(want) {
		t.Errorf("asm %v: loss %.8g, gorgonia %.8g", asm, nll, want)
	}
	for g := range genes {
		if want := wantDL[g]; math.Abs(float64(w.dlog[g])-want) > 1e-4*math.Max(1, math.Abs(want)) {
			t.Errorf("asm %v: d/dlogit[%d] = %.6g, gorgonia %.6g", asm, g, w.dlog[g], want)
		}
		if want := wantDT[g]; math.Abs(float64(dacc[g])-want) > 1e-4*math.Max(1, math.Abs(want)) {
			t.Errorf("asm %v: d/dlogθ[%d] = %.6g, gorgonia %.6g", asm, g, dacc[g], want)
		}
	}
}
