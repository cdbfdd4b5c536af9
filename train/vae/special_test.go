package vae

import (
	"math"
	"math/rand/v2"
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

func TestFastExpLog(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for range 200000 {
		x := (rng.Float64()*2 - 1) * 80
		if got, want := fastExp(x), math.Exp(x); math.Abs(got-want) > 2e-7*want {
			t.Fatalf("fastExp(%g) = %g, want %g", x, got, want)
		}
		y := math.Exp((rng.Float64()*2 - 1) * 50)
		if got, want := fastLog(y), math.Log(y); math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Fatalf("fastLog(%g) = %.15g, want %.15g", y, got, want)
		}
	}
	for _, y := range []float64{1, 2, math.Sqrt2, 0.5, 1e-300, 1e300, 5e-324} {
		if got, want := fastLog(y), math.Log(y); math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("fastLog(%g) = %.15g, want %.15g", y, got, want)
		}
	}
	if fastExp(-1000) != fastExp(-700) || fastExp(0) != 1 {
		t.Errorf("fastExp clamps: %g %g", fastExp(-1000), fastExp(0))
	}
}

func BenchmarkFastExpLog(b *testing.B) {
	s := 0.0
	for i := 0; b.Loop(); i++ {
		x := float64(i%1000)*0.01 + 0.5
		s += fastExp(-x) + fastLog(x)
	}
	_ = s
}

func BenchmarkMathExpLog(b *testing.B) {
	s := 0.0
	for i := 0; b.Loop(); i++ {
		x := float64(i%1000)*0.01 + 0.5
		s += math.Exp(-x) + math.Log(x)
	}
	_ = s
}
