package layout

import (
	"math"
	"testing"
)

// umap-learn 0.5's find_ab_params values (scipy curve_fit).
func TestFitABMatchesUMAPLearn(t *testing.T) {
	for _, c := range []struct{ spread, minDist, a, b float64 }{
		{1, 0.1, 1.5769434601962196, 0.8950608779914887},
		{1, 0.5, 0.5830300205483709, 1.334166992455648},
		{1, 0.001, 1.9293002000853026, 0.7915211434013848},
		// scipy 1.10's curve_fit on the same curve at other spreads
		{2, 0.5, 0.25887874119038884, 1.057499699581397},
		{5, 1, 0.04999630781468772, 1.0030054319312143},
		{1, 0.9, 0.16490388505700118, 1.8030384659594323},
		{3, 0.3, 0.22065361241906323, 0.8950608158047152},
	} {
		a, b, err := FitAB(c.spread, c.minDist)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(a-c.a) > 2e-3*c.a || math.Abs(b-c.b) > 2e-3*c.b {
			t.Errorf("spread %v min_dist %v: a %.4f b %.4f, umap-learn a %.4f b %.4f", c.spread, c.minDist, a, b, c.a, c.b)
		}
	}
	if _, _, err := FitAB(1, 2); err == nil {
		t.Error("min_dist above spread accepted")
	}
	if _, _, err := FitAB(0, 0.1); err == nil {
		t.Error("spread 0 accepted")
	}
}

// TestFitABSmallSpreads: spreads where curve_fit from (1, 1) diverges to a
// negative b (scipy gives a −17.0, b −10.9 for spread 0.1, min_dist 0.05)
// fit by rescaling the spread-1 curve: b is that of (1, min_dist/spread)
// and a·spread^2b its a.
func TestFitABSmallSpreads(t *testing.T) {
	for _, c := range []struct{ spread, minDist float64 }{{0.1, 0.05}, {0.2, 0.01}, {0.05, 0}, {10, 9}, {1e-3, 1e-4}} {
		a, b, err := FitAB(c.spread, c.minDist)
		if err != nil {
			t.Errorf("spread %v min_dist %v: %v", c.spread, c.minDist, err)
			continue
		}
		a1, b1, err := FitAB(1, c.minDist/c.spread)
		if err != nil {
			t.Fatal(err)
		}
		if b != b1 || math.Abs(a*math.Pow(c.spread, 2*b)-a1) > 1e-9*a1 {
			t.Errorf("spread %v min_dist %v: a %v b %v, want b %v and a·spread^2b = %v", c.spread, c.minDist, a, b, b1, a1)
		}
	}
}
