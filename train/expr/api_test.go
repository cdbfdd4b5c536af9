package expr

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestOptionsValidate(t *testing.T) {
	if err := (Options{}).Validate(); err != nil {
		t.Fatalf("zero options: %v", err)
	}
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	bad := Options{Hidden: []int{1, 2, 3, 4}, Dropout: 1, ValFraction: 1, KNNKs: []int{0}, RidgeAlphas: []float64{-1}}
	err := bad.Validate()
	if !errors.Is(err, ErrOptions) {
		t.Fatalf("got %v", err)
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 5 {
		t.Fatalf("%d problems reported, want 5: %v", n, err)
	}
	if _, err := Fit(context.Background(), nil, bad); !errors.Is(err, ErrOptions) {
		t.Fatalf("Fit accepted bad options: %v", err)
	}
}

func TestFitInputErrors(t *testing.T) {
	ctx := context.Background()
	good := simData(1, 1, 40, 12, 4, 3)
	cases := []struct {
		name string
		data []Dataset
		o    Options
		want error
	}{
		{"no datasets", nil, Options{}, ErrInput},
		{"ragged", []Dataset{{Name: "x", Genes: []string{"a", "b"}, X: []float32{1, 2, 3}}}, Options{}, ErrInput},
		{"groups", []Dataset{{Name: "x", Genes: []string{"a"}, X: []float32{1, 2}, Groups: []string{"g"}}}, Options{}, ErrInput},
		{"few landmarks", good, Options{Landmarks: []string{"L000", "L001"}}, ErrLandmarks},
		{"no targets", good, Options{Landmarks: simLandmarks(12), Targets: []string{"nope"}}, ErrInput},
	}
	for _, c := range cases {
		if _, err := Fit(ctx, c.data, c.o); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

// TestAutoLandmarksLeaveTargets fits with every default on data of fewer
// genes than the default 1,000 auto landmarks: half the shared genes must
// be left as targets (before the cap every gene became a landmark and Fit
// failed with "no target gene").
func TestAutoLandmarksLeaveTargets(t *testing.T) {
	data := simData(1, 1, 40, 24, 6, 3)
	m, err := Fit(context.Background(), data, Options{NoMLP: true})
	if err != nil {
		t.Fatal(err)
	}
	if l, tg := len(m.Landmarks()), len(m.Targets()); l != 15 || tg != 15 {
		t.Fatalf("%d landmarks, %d targets of 30 genes; want 15 and 15", l, tg)
	}
}

// TestMissingLandmarks drops landmarks from a query: Predict fills them and
// reports how many; below 10 present it refuses with the count.
func TestMissingLandmarks(t *testing.T) {
	m := smallModel(t)
	q := simData(8, 1, 30, 12, 5, 3)[0]
	full := predictAll(t, m, &q, Chosen)
	drop := func(keep int) Dataset {
		// keep the first keep landmarks and every target
		var cols []int
		for j, g := range q.Genes {
			if g[0] != 'L' || j < keep {
				cols = append(cols, j)
			}
		}
		d := Dataset{Name: "q"}
		for _, c := range cols {
			d.Genes = append(d.Genes, q.Genes[c])
		}
		for r := range q.Rows() {
			for _, c := range cols {
				d.X = append(d.X, q.X[r*len(q.Genes)+c])
			}
		}
		return d
	}
	d := drop(10)
	var got []float32
	info, err := m.Predict(context.Background(), &d, PredictOptions{}, func(_, _ int, v []float32) error {
		got = append(got, v...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(info.MissingLandmarks) != 2 || !slices.Equal(info.MissingLandmarks, []string{"L010", "L011"}) {
		t.Fatalf("missing %v", info.MissingLandmarks)
	}
	var diff, scale float64
	for i := range full {
		diff += abs64(float64(got[i] - full[i]))
		scale += abs64(float64(full[i]))
	}
	if diff/scale > 0.2 {
		t.Errorf("filled predictions differ by %.1f%% from the full ones", 100*diff/scale)
	}
	d = drop(9)
	_, err = m.Predict(context.Background(), &d, PredictOptions{}, func(_, _ int, _ []float32) error { return nil })
	if !errors.Is(err, ErrLandmarks) || err.Error() != `expr: too few landmarks: query "q" has 9 of the model's 12 landmarks, need 10` {
		t.Fatalf("got %v", err)
	}
}

func abs64(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestPredictBlocks checks that blocks cover every row once, in order,
// whatever the block size, and that a callback error stops Predict.
func TestPredictBlocks(t *testing.T) {
	m := smallModel(t)
	q := simData(8, 1, 23, 12, 5, 3)[0]
	ref := predictAll(t, m, &q, Chosen)
	for _, bs := range []int{1, 5, 23, 100} {
		next := 0
		var got []float32
		_, err := m.Predict(context.Background(), &q, PredictOptions{BlockRows: bs}, func(first, rows int, v []float32) error {
			if first != next || rows > bs || len(v) != rows*5 {
				return fmt.Errorf("block at %d (want %d), %d rows, %d values", first, next, rows, len(v))
			}
			next += rows
			got = append(got, v...)
			return nil
		})
		if err != nil || next != 23 {
			t.Fatalf("block size %d: %v, %d rows", bs, err, next)
		}
		if !slices.Equal(got, ref) {
			t.Fatalf("block size %d changed the predictions", bs)
		}
	}
	stop := errors.New("stop")
	if _, err := m.Predict(context.Background(), &q, PredictOptions{BlockRows: 4}, func(int, int, []float32) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Predict(ctx, &q, PredictOptions{}, func(int, int, []float32) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// TestSelectLandmarks: on data where genes come in groups of copies of a
// few programs, the greedy choice covers every program before it takes a
// second gene of any, and is deterministic.
func TestSelectLandmarks(t *testing.T) {
	const P, copies, N = 6, 5, 400
	rng := newRand(5)
	genes := make([]string, P*copies)
	for j := range genes {
		genes[j] = fmt.Sprintf("P%d_%d", j%P, j/P)
	}
	x := make([]float32, N*len(genes))
	for r := range N {
		var z [P]float64
		for p := range z {
			z[p] = rng.NormFloat64()
		}
		for j := range genes {
			x[r*len(genes)+j] = float32(z[j%P] + 0.1*rng.NormFloat64())
		}
	}
	data := []Dataset{{Name: "a", Genes: genes, X: x}}
	got, err := SelectLandmarks(context.Background(), data, P)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[byte]bool{}
	for _, g := range got {
		seen[g[1]] = true
	}
	if len(got) != P || len(seen) != P {
		t.Fatalf("picked %v: want one gene of each of %d programs", got, P)
	}
	again, _ := SelectLandmarks(context.Background(), data, P)
	if !slices.Equal(got, again) {
		t.Fatalf("not deterministic: %v then %v", got, again)
	}
}

// TestFitDeterministic: equal seeds give equal bytes.
func TestFitDeterministic(t *testing.T) {
	a, _ := smallModel(t).MarshalBinary()
	b, _ := smallModel(t).MarshalBinary()
	if !slices.Equal(a, b) {
		t.Fatal("two fits with one seed differ")
	}
}

func TestFitCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := Options{Landmarks: simLandmarks(12), Hidden: []int{4}}
	if _, err := Fit(ctx, simData(1, 1, 40, 12, 4, 3), o); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

// TestPredictConcurrent: a Model serves several Predict calls at once.
func TestPredictConcurrent(t *testing.T) {
	m := smallModel(t)
	q := simData(8, 1, 40, 12, 5, 3)[0]
	ref := predictAll(t, m, &q, Chosen)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			var got []float32
			_, err := m.Predict(context.Background(), &q, PredictOptions{BlockRows: 7}, func(_, _ int, v []float32) error {
				got = append(got, v...)
				return nil
			})
			if err == nil && !slices.Equal(got, ref) {
				err = errors.New("concurrent predictions differ")
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestTinyQueryUsesTrainingMeans: a one-row query centred on its own means
// has all-zero landmarks, so every such query got the same prediction;
// below MinOwnMeanRows rows the training means centre it.
func TestTinyQueryUsesTrainingMeans(t *testing.T) {
	m := smallModel(t)
	q := simData(8, 1, 30, 12, 5, 3)[0]
	one := func(r int) []float32 {
		d := Dataset{Name: "one", Genes: q.Genes, X: q.X[r*len(q.Genes) : (r+1)*len(q.Genes)]}
		return predictAll(t, m, &d, Chosen)
	}
	a, b := one(0), one(1)
	if slices.Equal(a, b) {
		t.Fatalf("two different cells, one prediction: %v", a)
	}
	// the same as asking for the training centre explicitly
	d := Dataset{Name: "one", Genes: q.Genes, X: q.X[:len(q.Genes)]}
	var got []float32
	if _, err := m.Predict(context.Background(), &d, PredictOptions{TrainingCentre: true}, func(_, _ int, v []float32) error {
		got = append(got, v...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, a) {
		t.Errorf("one row: %v, with TrainingCentre %v", a, got)
	}
}

func TestMarshalUnfittedModel(t *testing.T) {
	if _, err := new(Model).MarshalBinary(); !errors.Is(err, ErrFormat) {
		t.Errorf("zero Model: %v, want ErrFormat", err)
	}
}

// TestSplitKeepsNearTheShare: groups of 90 and 10 rows at a 20% share
// hold out the 10-row group, never the 90-row one (which, drawn first,
// once left a tenth of the data to train on); single rows hold out the
// share exactly.
func TestSplitKeepsNearTheShare(t *testing.T) {
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = "big"
		if i >= 90 {
			keys[i] = "small"
		}
	}
	for seed := range uint64(20) {
		tr, va, held := split(keys, 0.2, rand.New(rand.NewPCG(seed, 1)))
		if len(va) != 10 || len(tr) != 90 || !slices.Equal(held, []string{"small"}) {
			t.Fatalf("seed %d: %d held (%v), %d trained", seed, len(va), held, len(tr))
		}
	}
	tr, va, _ := split(make([]string, 100), 0.2, rand.New(rand.NewPCG(1, 1)))
	if len(va) != 20 || len(tr) != 80 {
		t.Errorf("single rows: %d held, %d trained", len(va), len(tr))
	}
}
