package prauc

import (
	"math"
	"testing"
)

func TestAveragePrecision(t *testing.T) {
	for _, c := range []struct {
		name     string
		pos, neg []float64
		want     float64
	}{
		{"perfect", []float64{3, 2}, []float64{1, 0}, 1},
		{"worst", []float64{0}, []float64{2, 1}, 1.0 / 3},
		{"interleaved", []float64{3, 1}, []float64{2, 0}, (1 + 2.0/3) / 2},
		{"tie counts the negative first", []float64{1}, []float64{1}, 0.5},
		{"no positives", nil, []float64{1}, 0},
	} {
		if got := AveragePrecision(c.pos, c.neg); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
