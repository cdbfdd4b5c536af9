package expr

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// noiseData is n rows of independent N(0, 1) values over genes G00….
func noiseData(seed uint64, name string, n, g int) Dataset {
	rng := rand.New(rand.NewPCG(seed, 9))
	genes := make([]string, g)
	for j := range genes {
		genes[j] = fmt.Sprintf("G%02d", j)
	}
	x := make([]float32, n*g)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return Dataset{Name: name, Genes: genes, X: x}
}

func firstGenes(n int) []string {
	var s []string
	for j := range n {
		s = append(s, fmt.Sprintf("G%02d", j))
	}
	return s
}

// TestSmallDataModelsDecode: on fewer samples than the largest k tried
// (default KNNKs reach 100; KNNMaxRef can cut the references too), the
// chosen k is at most the references, so every fitted model decodes. It
// used to keep k = 100 over 80 references, which UnmarshalBinary refuses.
func TestSmallDataModelsDecode(t *testing.T) {
	for _, c := range []struct {
		rows int
		o    Options
	}{
		{80, Options{Landmarks: firstGenes(12), NoMLP: true}},
		{1000, Options{Landmarks: firstGenes(12), NoMLP: true, KNNMaxRef: 40}},
		{80, Options{Landmarks: firstGenes(12), NoMLP: true, KNNKs: []int{100, 100, 5}}},
	} {
		for seed := range uint64(5) {
			m, err := Fit(context.Background(), []Dataset{noiseData(seed, "a", c.rows, 60)}, c.o)
			if err != nil {
				t.Fatal(err)
			}
			if k, refs := m.Validation().K, len(m.nn.refY)/m.nn.T; k > refs {
				t.Errorf("%d rows, seed %d: k %d over %d references", c.rows, seed, k, refs)
			}
			b, err := m.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var back Model
			if err := back.UnmarshalBinary(b); err != nil {
				t.Errorf("%d rows, seed %d: a fitted model does not decode: %v", c.rows, seed, err)
			}
		}
	}
}

// TestNamedTargetsNeverLandmarks: with landmarks chosen automatically, a
// gene named as a target stays a target (it used to be taken as a landmark
// and dropped from the targets without a word), unless the targets leave
// too few other genes.
func TestNamedTargetsNeverLandmarks(t *testing.T) {
	data := simData(1, 1, 200, 30, 30, 4)
	want := []string{"L000", "L001", "L002", "T0000", "T0001"}
	m, err := Fit(context.Background(), data, Options{Targets: want, AutoLandmarks: 20, NoMLP: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Targets(), want) {
		t.Errorf("targets %v, asked for %v", m.Targets(), want)
	}
	for _, g := range m.Landmarks() {
		if slices.Contains(want, g) {
			t.Errorf("named target %s chosen as a landmark", g)
		}
	}
	// Targets naming every shared gene (train expr --targets cells) leave
	// nothing else: the landmarks come from them, the rest are predicted.
	all := slices.Clone(data[0].Genes)
	m, err = Fit(context.Background(), data, Options{Targets: all, AutoLandmarks: 20, NoMLP: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Landmarks()) != 20 || len(m.Targets()) != len(all)-20 {
		t.Errorf("targets naming all %d genes: %d landmarks, %d targets", len(all), len(m.Landmarks()), len(m.Targets()))
	}
}

// TestDegenerateLandmarksFinite: landmarks that never vary, or datasets of
// one sample each (nothing varies once centred), give finite predictions
// from every model, not NaN (the ridge refit divided by a zero penalty).
func TestDegenerateLandmarksFinite(t *testing.T) {
	constant := noiseData(2, "a", 60, 16)
	for r := range 60 {
		for j := range 12 {
			constant.X[r*16+j] = 1
		}
	}
	var bulk []Dataset
	for i := range 8 {
		bulk = append(bulk, noiseData(uint64(i), fmt.Sprintf("bulk%d", i), 1, 16))
	}
	for name, data := range map[string][]Dataset{"constant": {constant}, "one row each": bulk} {
		m, err := Fit(context.Background(), data, Options{Landmarks: firstGenes(12), NoMLP: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		q := noiseData(3, "q", 5, 16)
		for _, k := range []Kind{Chosen, Ridge, LeastSquares, KNN} {
			_, err := m.Predict(context.Background(), &q, PredictOptions{Model: k}, func(_, _ int, v []float32) error {
				if i := slices.IndexFunc(v, func(x float32) bool { return math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) }); i >= 0 {
					return fmt.Errorf("value %d is %v", i, v[i])
				}
				return nil
			})
			if err != nil {
				t.Errorf("%s, %v: %v", name, k, err)
			}
		}
	}
}

// TestKNNDropsNullAxes: with fewer samples than landmarks (the dual form),
// centring leaves a null direction whose eigenvalue rounding keeps a hair
// above zero; the kNN projection leaves it out instead of scaling rounding
// noise up to a full axis (which cost held-out MAE 0.405 against 0.368).
func TestKNNDropsNullAxes(t *testing.T) {
	data := simData(1, 1, 40, 100, 6, 3)
	m, err := Fit(context.Background(), data, Options{Landmarks: simLandmarks(100), NoMLP: true})
	if err != nil {
		t.Fatal(err)
	}
	nn := m.nn
	live := 0
	for k := range nn.p {
		var s float64
		for i := range nn.L {
			s += float64(nn.proj[i*nn.p+k]) * float64(nn.proj[i*nn.p+k])
		}
		if s > 0 {
			live++
			if math.Abs(math.Sqrt(s)-1) > 1e-3 {
				t.Errorf("axis %d has norm %.3f, want 1", k, math.Sqrt(s))
			}
		}
	}
	if live != 39 {
		t.Errorf("%d live kNN axes over 40 centred samples, want 39", live)
	}
}

// TestEvaluateHugeBlockRows: Evaluate sizes its buffers by the rows it has,
// as Predict does, not by BlockRows (2^40 ran out of memory).
func TestEvaluateHugeBlockRows(t *testing.T) {
	m, err := Fit(context.Background(), simData(1, 1, 100, 12, 6, 3), Options{Landmarks: simLandmarks(12), NoMLP: true})
	if err != nil {
		t.Fatal(err)
	}
	q := simData(2, 1, 10, 12, 6, 3)[0]
	if _, err := m.Evaluate(context.Background(), &q, PredictOptions{BlockRows: 1 << 40}); err != nil {
		t.Fatal(err)
	}
}
