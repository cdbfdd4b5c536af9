package vae

import (
	"math"
	"testing"
)

func TestLgammaDigamma(t *testing.T) {
	for _, z := range []float64{1e-4, 0.01, 0.3, 0.5, 1, 1.5, 2, 3.7, 5.99, 6, 7.5, 10, 33.3, 100, 1e3, 1e5} {
		want, _ := math.Lgamma(z)
		if got := lgamma(z); math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("lgamma(%g) = %.15g, want %.15g", z, got, want)
		}
		h := 1e-5 * z
		lp, _ := math.Lgamma(z + h)
		lm, _ := math.Lgamma(z - h)
		fd := (lp - lm) / (2 * h)
		if got := digamma(z); math.Abs(got-fd) > 1e-5*math.Max(1, math.Abs(fd)) {
			t.Errorf("digamma(%g) = %.12g, finite difference %.12g", z, got, fd)
		}
	}
	// ψ(1) = −γ exactly.
	if got := digamma(1); math.Abs(got+0.57721566490153286) > 1e-10 {
		t.Errorf("digamma(1) = %.15g, want −γ", got)
	}
}

func BenchmarkLgamma(b *testing.B) {
	s := 0.0
	for i := 0; b.Loop(); i++ {
		s += lgamma(float64(i%50) + 0.7)
	}
	_ = s
}

func BenchmarkMathLgamma(b *testing.B) {
	s := 0.0
	for i := 0; b.Loop(); i++ {
		v, _ := math.Lgamma(float64(i%50) + 0.7)
		s += v
	}
	_ = s
}
