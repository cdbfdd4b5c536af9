package expr

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMLPGradient checks the hand-written backward pass against central
// finite differences of the loss, for one to three hidden layers, with
// dropout (the same mask on every evaluation: the dropout generator is
// re-seeded).
func TestMLPGradient(t *testing.T) {
	for _, hidden := range [][]int{{7}, {6, 5}, {5, 4, 6}} {
		t.Run("", func(t *testing.T) {
			const L, T, B = 5, 4, 3
			rng := rand.New(rand.NewPCG(1, 2))
			net := newMLP(append(append([]int{L}, hidden...), T), rng)
			x, y := make([]float32, B*L), make([]float32, B*T)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			for i := range y {
				y[i] = float32(rng.NormFloat64())
			}
			w := net.work(B)
			loss := func() float64 {
				out := net.forward(x, B, w, rand.New(rand.NewPCG(9, 9)), 0.3, 1)
				var s float64
				for i, o := range out {
					d := float64(o) - float64(y[i])
					s += d * d
				}
				return s / float64(len(out))
			}
			loss()
			l0 := net.backward(x, y, B, w, 1)
			if d := math.Abs(l0 - loss()); d > 1e-6 {
				t.Fatalf("backward loss %v differs from forward %v", l0, loss())
			}
			const h = 1e-2
			checked := 0
			for pi, p := range net.params() {
				g := append([]float32(nil), p.G...)
				for i := range p.W {
					old := p.W[i]
					p.W[i] = old + h
					lp := loss()
					p.W[i] = old - h
					lm := loss()
					p.W[i] = old
					fd := (lp - lm) / (2 * h)
					if math.Abs(fd-float64(g[i])) > 2e-3+2e-2*math.Abs(fd) {
						t.Errorf("param %d[%d]: backward %.6f, finite difference %.6f", pi, i, g[i], fd)
					}
					checked++
				}
			}
			if checked == 0 {
				t.Fatal("nothing checked")
			}
		})
	}
}
