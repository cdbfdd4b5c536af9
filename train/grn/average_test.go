package grn

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// TestWeightAverage checks the moving average's arithmetic: the warm-up
// decay for the first steps, then the set decay, applied to every tensor.
func TestWeightAverage(t *testing.T) {
	hp := hyper{Bins: 8, Conv1: 2, Conv2: 4, Hidden: 8, Embed: 4, Head: 4, Views: 2, Genes: 5, Evidence: 3}
	m := newModel(hp, rand.New(rand.NewPCG(1, 2)))
	a := newWeightAverage(m, 0.5)
	want := make([][]float64, len(m.params()))
	for i, p := range m.params() {
		for _, x := range p.W {
			want[i] = append(want[i], float64(x))
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for step := 1; step <= 4; step++ {
		d := min(0.5, float64(1+step)/float64(10+step)) // 2/11, 3/12, 0.5, 0.5
		for i, p := range m.params() {
			for j := range p.W {
				p.W[j] = float32(rng.NormFloat64())
				want[i][j] = d*want[i][j] + (1-d)*float64(p.W[j])
			}
		}
		a.update(m.params())
	}
	for i, p := range a.m.params() {
		for j, x := range p.W {
			if math.Abs(float64(x)-want[i][j]) > 1e-5 {
				t.Fatalf("tensor %d element %d: average %v, want %v", i, j, x, want[i][j])
			}
		}
	}
}

// TestTrainAverage trains with the weight average on and off: both are
// reproducible, the averaged run keeps other weights than the raw one,
// and it still ranks the unseen regulator's true targets first.
func TestTrainAverage(t *testing.T) {
	s := simulateNet(5, 20, 6, 3, []int{80, 60}, 0.1, 0)
	views, known := s.views, s.truth
	var trainK []Known
	for _, k := range known {
		if k.Regulator != 5 {
			trainK = append(trainK, k)
		}
	}
	ev := truthEvidence(views, known, 1)
	ctx := context.Background()
	train := func(avg float64) *Model {
		o := tinyOptions()
		o.Evidence, o.Epochs, o.Regulators, o.Average = ev, 10, []int{0, 1, 2, 3, 4}, avg
		m, _, err := Train(ctx, views, trainK, o)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	raw, av, av2 := train(0), train(0.9), train(0.9)
	same := func(a, b *Model) bool {
		for i, p := range a.params() {
			for j, x := range p.W {
				if b.params()[i].W[j] != x {
					return false
				}
			}
		}
		return true
	}
	if !same(av, av2) {
		t.Fatal("averaged training not reproducible")
	}
	if same(raw, av) {
		t.Fatal("the averaged run kept the raw weights")
	}
	scores := map[int64]float64{}
	if err := av.Score(ctx, views, ev, []int{5}, nil, func(e Edge) error {
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
	if ap < 0.9 {
		t.Errorf("AUPRC %.3f on the unseen regulator < 0.9 with the weight average", ap)
	}
	if err := (Options{Average: 1}).Validate(); err == nil {
		t.Error("Average 1 validated")
	}
	if err := (Options{Average: -0.1}).Validate(); err == nil {
		t.Error("Average -0.1 validated")
	}
}
