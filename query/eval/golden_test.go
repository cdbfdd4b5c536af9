package eval

import (
	"encoding/json"
	"os"
	"testing"

	"genestore/query/cluster"
)

// TestSklearnGolden compares with scikit-learn's values on random inputs
// (testdata/sklearn_golden.json, written by testdata/gen_sklearn_golden.py).
func TestSklearnGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/sklearn_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Partitions []struct {
			A, B     []int
			ARI, NMI float64
		}
		Silhouette []struct {
			Dim       int
			X         []float64
			Labels    []int
			Euclidean []float64
			Cosine    []float64
		}
		AUROC []struct {
			Scores    []float64
			Positives []bool
			AUROC     float64
		}
		F1 []struct {
			Truth, Pred []string
			MacroF1     float64 `json:"macro_f1"`
			Accuracy    float64
		}
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	for i, c := range g.Partitions {
		ari, _ := ARI(c.A, c.B)
		nmi, _ := NMI(c.A, c.B)
		if !near(ari, c.ARI, 1e-12) || !near(nmi, c.NMI, 1e-12) {
			t.Errorf("partition %d: ARI %v NMI %v, sklearn %v %v", i, ari, nmi, c.ARI, c.NMI)
		}
	}
	for i, c := range g.Silhouette {
		x := make([]float32, len(c.X))
		for j, v := range c.X {
			x[j] = float32(v)
		}
		n := len(c.Labels)
		for _, m := range []struct {
			metric cluster.Metric
			want   []float64
		}{{cluster.Euclidean, c.Euclidean}, {cluster.Cosine, c.Cosine}} {
			s, err := SilhouetteSamples(x, n, c.Dim, c.Labels, m.metric)
			if err != nil {
				t.Fatal(err)
			}
			for j := range s {
				if !near(s[j], m.want[j], 2e-5) {
					t.Fatalf("silhouette %d %v item %d: %v, sklearn %v", i, m.metric, j, s[j], m.want[j])
				}
			}
		}
	}
	for i, c := range g.AUROC {
		a, err := AUROC(c.Scores, c.Positives)
		if err != nil || !near(a, c.AUROC, 1e-12) {
			t.Errorf("AUROC %d: %v (%v), sklearn %v", i, a, err, c.AUROC)
		}
	}
	for i, c := range g.F1 {
		f, _ := MacroF1(c.Truth, c.Pred)
		a, _ := Accuracy(c.Truth, c.Pred)
		if !near(f, c.MacroF1, 1e-12) || !near(a, c.Accuracy, 1e-12) {
			t.Errorf("F1 %d: macro-F1 %v accuracy %v, sklearn %v %v", i, f, a, c.MacroF1, c.Accuracy)
		}
	}
}
