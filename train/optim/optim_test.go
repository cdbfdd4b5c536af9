package optim

import (
	"math"
	"testing"
)

// TestAdamMinimisesQuadratic checks that both ε placements drive a quadratic
// to its minimum and that a frozen range never moves.
func TestAdamMinimisesQuadratic(t *testing.T) {
	for _, epsHat := range []bool{false, true} {
		target := []float32{3, -2, 0.5, 7}
		p := NewParam(make([]float32, 4))
		p.Lo, p.Hi = 0, 3 // the last element is frozen
		a := NewAdam(0.05)
		a.EpsHat = epsHat
		a.ClearGrad = true
		for range 2000 {
			for i := range p.W {
				p.G[i] = 2 * (p.W[i] - target[i])
			}
			a.Step([]*Param{p})
		}
		for i := range 3 {
			if math.Abs(float64(p.W[i]-target[i])) > 1e-2 {
				t.Errorf("epsHat %v: w[%d] = %v, want %v", epsHat, i, p.W[i], target[i])
			}
		}
		if p.W[3] != 0 {
			t.Errorf("epsHat %v: frozen element moved to %v", epsHat, p.W[3])
		}
		if p.G[0] != 0 {
			t.Errorf("epsHat %v: ClearGrad left gradient %v", epsHat, p.G[0])
		}
		if a.Steps() != 2000 {
			t.Errorf("Steps() = %d", a.Steps())
		}
	}
}

// TestAdamFirstStep checks the first update against the closed form: with
// bias correction, Adam's first step moves every weight by lr·sign(g).
func TestAdamFirstStep(t *testing.T) {
	p := NewParam([]float32{1, 1})
	p.G[0], p.G[1] = 0.3, -4
	a := NewAdam(0.01)
	a.Step([]*Param{p})
	if math.Abs(float64(p.W[0])-0.99) > 1e-6 || math.Abs(float64(p.W[1])-1.01) > 1e-6 {
		t.Fatalf("after one step w = %v, want [0.99 1.01]", p.W)
	}
}
