package grn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Finite-difference checks of every layer's backward pass and of the whole
// model's gradient. Losses are linear functionals Σ r·out of a layer's
// output (r random), computed in float64 over float32 activations.

func randSlice(rng *rand.Rand, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64() * scale)
	}
	return s
}

func dot64(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// checkGrad compares analytic gradient g of f at x with central
// differences on up to n coordinates.
func checkGrad(t *testing.T, name string, x []float32, g []float32, f func() float64, n int, rng *rand.Rand) {
	t.Helper()
	const eps = 1e-3
	bad := 0
	for _, i := range rng.Perm(len(x))[:min(n, len(x))] {
		old := x[i]
		x[i] = old + eps
		fp := f()
		x[i] = old - eps
		fm := f()
		x[i] = old
		num := (fp - fm) / (2 * eps)
		if d := math.Abs(num - float64(g[i])); d > 2e-3+0.03*math.Abs(num) {
			bad++
			t.Logf("%s[%d]: analytic %.6g, numeric %.6g", name, i, g[i], num)
		}
	}
	// A kink of ReLU or max pooling inside ±eps can spoil one coordinate.
	if bad > 1 {
		t.Errorf("%s: %d coordinates disagree", name, bad)
	}
}

func TestConvGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const g, h, w, cin, cout = 2, 4, 6, 3, 5
	l := conv{cin: cin, cout: cout, w: randSlice(rng, 9*cin*cout, 0.5), b: randSlice(rng, cout, 0.5)}
	in := randSlice(rng, g*h*w*cin, 1)
	r := randSlice(rng, g*h*w*cout, 1)
	out := make([]float32, g*h*w*cout)
	col, dcol := make([]float32, g*h*w*9*cin), make([]float32, g*h*w*9*cin)
	f := func() float64 { l.forward(out, in, col, g, h, w, false); return dot64(out, r) }
	dIn, dw, db := make([]float32, len(in)), make([]float32, len(l.w)), make([]float32, cout)
	l.backward(dIn, r, in, col, dcol, dw, db, g, h, w)
	checkGrad(t, "in", in, dIn, f, 40, rng)
	checkGrad(t, "W", l.w, dw, f, 40, rng)
	checkGrad(t, "b", l.b, db, f, 5, rng)
}

func TestReluPoolGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const g, h, w, c = 2, 4, 6, 3
	in := randSlice(rng, g*h*w*c, 1)
	r := randSlice(rng, g*h*w*c/4, 1)
	out, arg := make([]float32, len(r)), make([]uint8, len(r))
	f := func() float64 { reluPool(out, arg, in, g, h, w, c); return dot64(out, r) }
	f()
	dIn := make([]float32, len(in))
	reluPoolBackward(dIn, r, out, arg, g, h, w, c)
	checkGrad(t, "in", in, dIn, f, len(in), rng)
}

func TestNTXentGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, V := range []int{2, 3} {
		const pairs, E = 4, 6
		u := randSlice(rng, pairs*V*E, 1)
		du := make([]float32, len(u))
		f := func() float64 { return ntXent(nil, u, pairs*V, V, E, 0.5, false) }
		ntXent(du, u, pairs*V, V, E, 0.5, true)
		checkGrad(t, "u", u, du, f, len(u), rng)
	}
}

// smallHyper is a model shape small enough for finite differences.
func smallHyper(views int, single bool) hyper {
	return hyper{Bins: 8, Conv1: 3, Conv2: 4, Hidden: 6, Embed: 5, Head: 4, Neighbours: 2, Views: views, Genes: 10, SingleView: single}
}

func TestModelGrad(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hp     hyper
		weight float64
	}{
		{"multi-view", smallHyper(3, false), 0.7},
		{"single-view", smallHyper(3, true), 0},
		{"multi-view with evidence", func() hyper { h := smallHyper(3, false); h.Evidence = 3; return h }(), 0.7},
		{"single-view with evidence", func() hyper { h := smallHyper(3, true); h.Evidence = 2; return h }(), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			m := newModel(tc.hp, rng)
			for _, p := range m.params() { // biases and queries away from zero
				for i := range p.W {
					p.W[i] += float32(rng.NormFloat64() * 0.1)
				}
			}
			const n = 4
			w := newWork(tc.hp, n, 2)
			copy(w.x, randSlice(rng, len(w.x), 1))
			for i := range w.x {
				w.x[i] = float32(math.Abs(float64(w.x[i])))
			}
			for i := range w.f {
				w.f[i] = rng.Float32()
			}
			y := []float32{1, 0, 1, 0}
			f := func() float64 {
				w.forward(m, n)
				l, c := w.loss(m, n, y, tc.weight, 0.5, false)
				return l + tc.weight*c
			}
			w.forward(m, n)
			w.loss(m, n, y, tc.weight, 0.5, true)
			shapes := tc.hp.paramShapes()
			for i, p := range m.params() {
				g := append([]float32(nil), p.G...)
				if tc.hp.SingleView && (shapes[i].name == "q.img" || shapes[i].name == "q.view") {
					continue // unused
				}
				checkGrad(t, shapes[i].name, p.W, g, f, 12, rng)
			}
		})
	}
}

func TestIm2colAdjoint(t *testing.T) {
	// <im2col(x), y> = <x, col2im(y)>.
	rng := rand.New(rand.NewPCG(9, 10))
	const g, h, w, c = 2, 3, 5, 2
	x := randSlice(rng, g*h*w*c, 1)
	y := randSlice(rng, g*h*w*9*c, 1)
	col := make([]float32, len(y))
	im2col(col, x, g, h, w, c)
	back := make([]float32, len(x))
	col2im(back, y, g, h, w, c)
	if a, b := dot64(col, y), dot64(x, back); math.Abs(a-b) > 1e-4*math.Abs(a) {
		t.Fatalf("adjoint mismatch: %v vs %v", a, b)
	}
}
