package grn

import (
	"context"
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

// TestTrainFusion trains with late fusion: the model records a blend
// fitted on the hold-out (not the identity, since the evidence's feature 0
// marks the true edges), keeps it through encoding, and still ranks the
// unseen regulator's true targets first.
func TestTrainFusion(t *testing.T) {
	s := simulateNet(5, 20, 6, 3, []int{80, 60}, 0.1, 0)
	views, known := s.views, s.truth
	var trainK []Known
	for _, k := range known {
		if k.Regulator != 5 {
			trainK = append(trainK, k)
		}
	}
	ev := truthEvidence(views, known, 1)
	o := tinyOptions()
	o.Evidence, o.Epochs, o.Regulators, o.Fusion = ev, 10, []int{0, 1, 2, 3, 4}, true
	ctx := context.Background()
	m, rep, err := Train(ctx, views, trainK, o)
	if err != nil {
		t.Fatal(err)
	}
	if !m.hp.Blend || m.blend == blendIdentity || rep.Blend == [3]float64{} {
		t.Fatalf("no blend fitted: header %v, model %v, report %v", m.hp.Blend, m.blend, rep.Blend)
	}
	b, _ := m.MarshalBinary()
	var d Model
	if err := d.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if d.blend != m.blend {
		t.Fatalf("decoded blend %v, want %v", d.blend, m.blend)
	}
	scores := map[int64]float64{}
	if err := d.Score(ctx, views, ev, []int{5}, nil, func(e Edge) error {
		scores[pairKey(int(e.Regulator), int(e.Target))] = e.Score
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	truth := map[int64]bool{}
	for _, k := range known {
		truth[pairKey(int(k.Regulator), int(k.Target))] = true
	}
	ap := evalAUPRC(truth, []int{5}, views[0].Genes, func(r, t int) float64 { return scores[pairKey(r, t)] })
	t.Logf("blend %v, held-out regulator AUPRC %.3f", m.blend, ap)
	if ap < 0.9 {
		t.Errorf("AUPRC %.3f on the unseen regulator < 0.9 with the blend", ap)
	}
}
