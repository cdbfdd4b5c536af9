package grn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFitBlend recovers a known logistic blend from labels drawn from it,
// and falls back to the identity without both classes.
func TestFitBlend(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	want := [3]float64{0.5, 3, -2}
	n := 20000
	z, e, y := make([]float64, n), make([]float64, n), make([]bool, n)
	for i := range n {
		z[i], e[i] = rng.NormFloat64()*2, rng.Float64()
		y[i] = rng.Float64() < sigmoid(want[0]*z[i]+want[1]*e[i]+want[2])
	}
	got := fitBlend(z, e, y)
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 0.15 {
			t.Fatalf("blend %v, want about %v", got, want)
		}
	}
	if b := fitBlend(z[:10], e[:10], make([]bool, 10)); b != blendIdentity {
		t.Fatalf("no positives: blend %v", b)
	}
	// Separable data stays finite (the ridge).
	for i := range n {
		y[i] = z[i] > 0
	}
	for _, x := range fitBlend(z, e, y) {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			t.Fatal("separable data: non-finite blend")
		}
	}
}
