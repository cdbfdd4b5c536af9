package gnn

import (
	"genestore/train/optim"

	"fmt"
	"math"
	"math/rand"
	"testing"

	"genestore/internal/sparse"
	"genestore/train/prep"
)

// randomInput draws a small dataset: dense random profiles and a random
// graph; genes are global ids offset..offset+n-1.
func randomInput(rng *rand.Rand, name string, cells, n int, offset uint32) DatasetInput {
	X := &sparse.CSR{Rows: cells, Cols: n, Indptr: make([]int64, cells+1)}
	for c := 0; c < cells; c++ {
		for g := 0; g < n; g++ {
			if rng.Float64() < 0.7 {
				X.Indices = append(X.Indices, int32(g))
				X.Data = append(X.Data, float32(rng.ExpFloat64()))
			}
		}
		X.Indptr[c+1] = int64(len(X.Data))
	}
	genes := make([]uint32, n)
	for i := range genes {
		genes[i] = offset + uint32(i)
	}
	var edges []prep.Edge
	for a := 0; a < n; a++ {
		for b := a + 1; b < n; b++ {
			if rng.Float64() < 0.3 {
				edges = append(edges, prep.Edge{A: int32(a), B: int32(b), Weight: 0.5})
			}
		}
	}
	return DatasetInput{Name: name, Genes: genes, X: X, Edges: edges}
}

// gradCheck compares every analytic gradient entry of t.params with central
// finite differences of the full loss.
func gradCheck(t *testing.T, tr *trainer) {
	t.Helper()
	for _, r := range tr.runs {
		if !r.fixed {
			tr.allocate(r)
		}
	}
	eval := func() EpochLog {
		tr.rng = rand.New(rand.NewSource(11)) // same negatives and samples every call
		for _, r := range tr.runs {
			if !r.fixed {
				tr.forward(r)
			}
		}
		return tr.lossAndGrad()
	}
	lg := eval()
	if lg.BCE == 0 || lg.Contrast == 0 {
		t.Fatalf("degenerate check: %+v", lg)
	}
	analytic := make([][]float32, len(tr.params))
	for i, p := range tr.params {
		analytic[i] = append([]float32(nil), p.G...)
	}
	const eps = 1e-3
	checked, bad := 0, 0
	for pi, p := range tr.params {
		for i := range p.W {
			w0 := p.W[i]
			p.W[i] = w0 + eps
			lp := eval().Loss
			p.W[i] = w0 - eps
			lm := eval().Loss
			p.W[i] = w0
			fd := (lp - lm) / (2 * eps)
			an := float64(analytic[pi][i])
			checked++
			if math.Abs(fd-an) > 1e-2*math.Max(math.Abs(fd), math.Abs(an))+2e-4 {
				bad++
				if bad <= 5 {
					t.Logf("param %d[%d]: analytic %.6g, finite difference %.6g", pi, i, an, fd)
				}
			}
		}
	}
	// A ReLU kink crossed by ±eps can spoil an isolated entry; a wrong
	// gradient spoils most of them.
	if bad > checked/100 {
		t.Fatalf("%d of %d gradient entries disagree with finite differences", bad, checked)
	}
}

func smallOpts() Options {
	o := DefaultOptions()
	o.Dim, o.Hidden, o.SharedLayers = 3, 4, 2
	o.MaxProfile = 6 // 9 cells → metacells
	o.ContrastWeight, o.CosineWeight, o.Temperature = 0.5, 0.7, 0.5
	o.HoldOut = 0
	return o
}

// convCase is one shared-layer convolution a test runs with.
type convCase struct {
	name  string
	conv  string
	heads int
}

// gradConvs are the convolutions the gradient checks run with; modelConvs
// those of the (slower) model-level tests.
var (
	gradConvs  = []convCase{{"gcn", ConvGCN, 0}, {"transformer", ConvTransformer, 1}, {"transformer-2heads", ConvTransformer, 2}}
	modelConvs = gradConvs[:2]
)

// forConvs runs fn as one subtest per case, on base() with the case's Conv
// and Heads.
func forConvs(t *testing.T, cases []convCase, base func() Options, fn func(*testing.T, Options)) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := base()
			opts.Conv, opts.Heads = c.conv, c.heads
			fn(t, opts)
		})
	}
}

func TestGradientsJoint(t *testing.T) { forConvs(t, gradConvs, smallOpts, testGradientsJoint) }

func testGradientsJoint(t *testing.T, opts Options) { gradCheck(t, jointTrainer(t, opts)) }

// jointTrainer is two random datasets trained jointly, one coupled pair.
func jointTrainer(t *testing.T, opts Options) *trainer {
	rng := rand.New(rand.NewSource(1))
	inputs := []DatasetInput{randomInput(rng, "a", 9, 7, 0), randomInput(rng, "b", 5, 6, 3)}
	tr := &trainer{opts: opts, rng: rng}
	// newSharedLayers' shapes, each bias drawn right after its layer. Keep
	// this draw order: drawing the biases after all layers (seed 1, GCN)
	// puts a ReLU input 3e-5 from zero, inside the finite-difference step.
	shared := make([]layer, opts.SharedLayers)
	for l := range shared {
		in, out := opts.sharedShape(l)
		shared[l] = newConvLayer(in, out, opts.sharedHeads(), rng)
		for i := range shared[l].B {
			shared[l].B[i] = float32(rng.NormFloat64() * 0.1)
		}
	}
	tr.shared = shared
	sg := make([][2]*optim.Param, len(shared))
	for l := range shared {
		sg[l] = [2]*optim.Param{optim.NewParam(shared[l].W), optim.NewParam(shared[l].B)}
		tr.params = append(tr.params, sg[l][0], sg[l][1])
	}
	for _, inp := range inputs {
		r := newTrainable(inp, opts, rng)
		tr.params = append(tr.params, r.grads[0][0], r.grads[0][1])
		r.grads = append(r.grads, sg...)
		tr.runs = append(tr.runs, r)
	}
	tr.pairUp()
	if len(tr.pairs) != 1 || tr.pairs[0].wsum == 0 {
		t.Fatalf("want one coupled pair with overlap, got %d", len(tr.pairs))
	}
	return tr
}

func TestGradientsFrozenShared(t *testing.T) {
	forConvs(t, gradConvs, smallOpts, testGradientsFrozenShared)
}

func testGradientsFrozenShared(t *testing.T, opts Options) {
	// AddDataset's setting: one fixed dataset, shared layers frozen, only
	// the new dataset's layer trains.
	rng := rand.New(rand.NewSource(2))
	old := randomInput(rng, "old", 6, 6, 0)
	nw := randomInput(rng, "new", 7, 6, 2)
	shared := newSharedLayers(opts, rng) // smallOpts: two layers
	oldEdges, _ := positiveEdges(old.Edges)
	fixedSt := &datasetState{Name: "old", Genes: old.Genes, Cells: 6, Edges: oldEdges,
		Vecs: make([]float32, 6*opts.Dim)}
	for i := range fixedSt.Vecs {
		fixedSt.Vecs[i] = float32(rng.NormFloat64())
	}
	fr := &run{st: fixedSt, fixed: true, n: 6}
	fr.setGraph(fixedSt.Edges)
	tr := &trainer{opts: opts, rng: rng, shared: shared}
	r := newTrainable(nw, opts, rng)
	tr.params = r.grads[0][:]
	r.grads = append(r.grads, make([][2]*optim.Param, len(shared))...) // frozen
	tr.runs = []*run{fr, r}
	tr.pairUp()
	before := append([]float32(nil), shared[0].W...)
	gradCheck(t, tr)
	for i := range before {
		if before[i] != shared[0].W[i] {
			t.Fatal("frozen shared layer changed")
		}
	}
}

// TestAttentionGradients checks one transformer layer on its own: the
// gradients of L = Σ G⊙out with respect to its input, every weight block
// (queries, keys, values, skip, per head) and the bias, against central
// finite differences in float64 of the float32 forward pass.
func TestAttentionGradients(t *testing.T) {
	for _, heads := range []int{1, 3} {
		t.Run(fmt.Sprintf("heads=%d", heads), func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(7 + heads)))
			const n, in, out = 9, 5, 4
			var edges [][2]int32
			for a := 0; a < n; a++ {
				for b := a + 1; b < n; b++ {
					if rng.Float64() < 0.35 {
						edges = append(edges, [2]int32{int32(a), int32(b)})
					}
				}
			}
			adj := normalizedAdjacency(n, edges)
			rev := adj.reverseIndex()
			L := newConvLayer(in, out, heads, rng)
			for i := range L.B {
				L.B[i] = float32(rng.NormFloat64() * 0.1)
			}
			C := L.cols()
			X := make([]float32, n*in)
			G := make([]float32, n*out)
			for i := range X {
				X[i] = float32(rng.NormFloat64())
			}
			for i := range G {
				G[i] = float32(rng.NormFloat64())
			}
			P := make([]float32, n*C)
			alpha := make([]float32, len(adj.idx)*heads)
			Y := make([]float32, n*out)
			loss := func() float64 {
				gemm(false, false, n, C, in, 1, X, in, L.W, C, 0, P, C)
				adj.attend(L, P, alpha, Y)
				s := 0.0
				for i, y := range Y {
					s += float64(G[i]) * float64(y)
				}
				return s
			}
			loss()
			dP := make([]float32, n*C)
			adj.attendBack(L, P, alpha, G, make([]float32, len(adj.idx)*heads), rev, dP)
			dW := make([]float32, in*C)
			gemm(true, false, in, C, n, 1, X, in, dP, C, 0, dW, C)
			dX := make([]float32, n*in)
			gemm(false, true, n, in, C, 1, dP, C, L.W, C, 0, dX, in)
			dB := make([]float32, out)
			for i := 0; i < n; i++ {
				for c := range dB {
					dB[c] += G[i*out+c]
				}
			}
			HO := heads * out
			block := func(col int) string {
				switch {
				case col < HO:
					return fmt.Sprintf("Wq head %d", col/out)
				case col < 2*HO:
					return fmt.Sprintf("Wk head %d", (col-HO)/out)
				case col < 3*HO:
					return fmt.Sprintf("Wv head %d", (col-2*HO)/out)
				}
				return "Wskip"
			}
			const eps = 1e-2
			check := func(name string, w []float32, an []float32) {
				t.Helper()
				for i := range w {
					w0 := w[i]
					w[i] = w0 + eps
					lp := loss()
					w[i] = w0 - eps
					lm := loss()
					w[i] = w0
					fd := (lp - lm) / (2 * eps)
					label := name
					if name == "W" {
						label = block(i % C)
					}
					if a := float64(an[i]); math.Abs(fd-a) > 2e-3*math.Max(math.Abs(fd), math.Abs(a))+1e-3 {
						t.Errorf("%s [%d]: analytic %.6g, finite difference %.6g", label, i, a, fd)
					}
				}
			}
			check("input", X, dX)
			check("W", L.W, dW)
			check("B", L.B, dB)
		})
	}
}

func TestExpNeg(t *testing.T) {
	worst := 0.0
	for x := float32(-87); x <= 0; x += 0.001 {
		got, want := float64(expNeg(x)), math.Exp(float64(x))
		if rel := math.Abs(got-want) / want; rel > worst {
			worst = rel
		}
	}
	if worst > 1e-5 {
		t.Fatalf("worst relative error %g", worst)
	}
	if expNeg(-100) != 0 || expNeg(0) != 1 {
		t.Fatalf("expNeg(-100) = %v, expNeg(0) = %v", expNeg(-100), expNeg(0))
	}
}

// TestGradientsLowTemperature: at τ = 0.0045 the logits span 444, rows and
// columns of exp(logit − 1/τ) underflow to 0 and InfoNCE recomputes them
// shifted by their own maxima (the loss was −Inf and training "diverged");
// the gradient still matches finite differences.
func TestGradientsLowTemperature(t *testing.T) {
	o := smallOpts()
	o.Temperature, o.Conv, o.Heads = 0.0045, ConvGCN, 0
	tr := jointTrainer(t, o)
	gradCheck(t, tr)
	if tr.stableBatches == 0 {
		t.Fatal("no InfoNCE batch took the shifted path: the test checks nothing new")
	}
}
