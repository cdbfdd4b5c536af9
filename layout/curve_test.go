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
