package layout

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPowAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	worst := 0.0
	for i := 0; i < 200000; i++ {
		x := math.Exp(r.Float64()*60 - 40) // 4e-18 .. 1e9
		y := r.Float64()*3 - 1
		got, want := pow(x, y), math.Pow(x, y)
		if rel := math.Abs(got-want) / want; rel > worst {
			worst = rel
		}
	}
	if worst > 1e-7 {
		t.Errorf("worst relative error %g", worst)
	}
	for _, c := range [][3]float64{{1, 0.9, 1}, {4, 0.5, 2}, {0.25, 0.5, 0.5}, {2, 10, 1024}} {
		if got := pow(c[0], c[1]); math.Abs(got-c[2]) > 1e-9*c[2] {
			t.Errorf("pow(%v, %v) = %v, want %v", c[0], c[1], got, c[2])
		}
	}
}

func BenchmarkPow(b *testing.B) {
	var s float64
	for i := 0; i < b.N; i++ {
		s += pow(float64(i%1000)+0.5, 0.895)
	}
	_ = s
}

func BenchmarkPowStdlib(b *testing.B) {
	var s float64
	for i := 0; i < b.N; i++ {
		s += math.Exp(0.895 * math.Log(float64(i%1000)+0.5))
	}
	_ = s
}
