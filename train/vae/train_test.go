package vae

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"genestore/internal/sparse"
	"genestore/vocab"
)

func toyInput(cells int, seed uint64) Input {
	ds := simulate(cells, 40, 3, 2, 0.5, seed)
	return Input{X: ds.X, Batch: ds.Batch, BatchNames: ds.Names, Values: vocab.Counts}
}

// prepared resolves in and prepares it for an NB loss.
func prepared(t *testing.T, in Input) (*data, []string, vocab.ValueType) {
	t.Helper()
	batch, names, values, err := in.resolve()
	if err != nil {
		t.Fatal(err)
	}
	d, err := prepare(in.X, batch, values, NB, in.X.Cols, true)
	if err != nil {
		t.Fatal(err)
	}
	return d, names, values
}

func smallOptions() Options {
	o := DefaultOptions()
	o.Latent, o.Hidden, o.Epochs, o.BatchSize, o.Seed = 4, 16, 3, 10, 7
	return o
}

// TestEveryCellTrained: 103 cells in batches of 10 — the short last batch
// is trained, every cell exactly once per epoch.
func TestEveryCellTrained(t *testing.T) {
	in := toyInput(103, 1)
	o := smallOptions()
	o.HoldOut = -1
	d, names, values := prepared(t, in)
	rng := rand.New(rand.NewPCG(o.Seed, 1))
	m := newModel(hyper{Genes: in.X.Cols, Latent: 4, Hidden: 16, Likelihood: NB, Values: values, BatchNames: names}, rng)
	seen := make([]int, in.X.Rows)
	steps := 0
	rep, err := fit(context.Background(), m, d, o.withDefaults(in.X.Rows), rng, m.params(), nil, func(rows []int) {
		steps++
		for _, r := range rows {
			seen[r]++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for r, c := range seen {
		if c != o.Epochs {
			t.Fatalf("cell %d trained %d times in %d epochs", r, c, o.Epochs)
		}
	}
	if want := o.Epochs * 11; steps != want {
		t.Errorf("%d steps, want %d", steps, want)
	}
	if rep.TrainCells != 103 || rep.HeldOutCells != 0 {
		t.Errorf("report: %d train, %d held out", rep.TrainCells, rep.HeldOutCells)
	}
}

func TestTrainReproducibleAndRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		lin    bool
		values vocab.ValueType
		lik    Likelihood // asked for; "" is the default
		want   Likelihood
	}{
		{"nb", false, vocab.Counts, "", NB},
		{"nb linear", true, vocab.Counts, "", NB},
		{"zinb", false, vocab.Counts, ZINB, ZINB},
		{"gaussian", false, vocab.Normalized, "", Gaussian},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := toyInput(60, 2)
			in.Values = tc.values
			o := smallOptions()
			o.LinearDecoder = tc.lin
			o.Likelihood = tc.lik
			var calls int
			m1, rep, err := Train(context.Background(), in, o, func(Progress) { calls++ })
			if err != nil {
				t.Fatal(err)
			}
			if calls != rep.Epochs {
				t.Errorf("progress called %d times for %d epochs", calls, rep.Epochs)
			}
			m2, _, err := Train(context.Background(), in, o, nil)
			if err != nil {
				t.Fatal(err)
			}
			b1, _ := m1.MarshalBinary()
			b2, _ := m2.MarshalBinary()
			if !bytes.Equal(b1, b2) {
				t.Fatal("two runs with the same seed differ")
			}
			o.Seed++
			m3, _, err := Train(context.Background(), in, o, nil)
			if err != nil {
				t.Fatal(err)
			}
			if b3, _ := m3.MarshalBinary(); bytes.Equal(b1, b3) {
				t.Fatal("a different seed gave the same model")
			}
			var back Model
			if err := back.UnmarshalBinary(b1); err != nil {
				t.Fatal(err)
			}
			e1, err := m1.Embed(context.Background(), in.X, in.Batch)
			if err != nil {
				t.Fatal(err)
			}
			e2, err := back.Embed(context.Background(), in.X, in.Batch)
			if err != nil {
				t.Fatal(err)
			}
			for i := range e1 {
				if e1[i] != e2[i] || math.IsNaN(float64(e1[i])) {
					t.Fatalf("embedding %d: %v after round trip, %v before", i, e2[i], e1[i])
				}
			}
			// A subset embeds exactly as it does inside the whole.
			sub := in.X.SelectRows([]int{5, 1})
			es, err := back.Embed(context.Background(), sub, []int{in.Batch[5], in.Batch[1]})
			if err != nil {
				t.Fatal(err)
			}
			L := back.Latent()
			for k := range L {
				if es[k] != e1[5*L+k] || es[L+k] != e1[1*L+k] {
					t.Fatal("embedding depends on the other cells in the call")
				}
			}
			if back.Likelihood() != rep.Likelihood || back.Likelihood() != tc.want {
				t.Errorf("likelihood %q, report %q, values %q", back.Likelihood(), rep.Likelihood, tc.values)
			}
			dim, vecs, ok := back.GeneLoadings()
			if ok != tc.lin || (ok && (dim != L || len(vecs) != in.X.Cols*L)) {
				t.Errorf("GeneLoadings: dim %d, %d values, ok %v", dim, len(vecs), ok)
			}
		})
	}
}

func TestUnmarshalRejectsDamage(t *testing.T) {
	m, _, err := Train(context.Background(), toyInput(30, 3), smallOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := m.MarshalBinary()
	flip := append([]byte(nil), good...)
	flip[len(flip)/2] ^= 1
	newer := append([]byte(nil), good...)
	newer[8] = 2
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"magic", append([]byte("XXXXXXXX"), good[8:]...)},
		{"flipped bit", flip},
		{"truncated", good[:len(good)-9]},
		{"newer version", newer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var back Model
			if err := back.UnmarshalBinary(tc.b); !errors.Is(err, ErrFormat) {
				t.Fatalf("err = %v, want ErrFormat", err)
			}
		})
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	hp := hyper{Genes: 3, Latent: 2, Hidden: 2, Likelihood: NB, Values: vocab.Counts, BatchNames: []string{"a"}}
	m := newModel(hp, rand.New(rand.NewPCG(1, 1)))
	b, _ := m.MarshalBinary()
	f.Add(b)
	hp.Likelihood = ZINB
	b, _ = newModel(hp, rand.New(rand.NewPCG(1, 1))).MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		var back Model
		if err := back.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := back.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decode→encode changed %d bytes into %d (err %v)", len(b), len(again), err)
		}
	})
}

func TestTrainErrors(t *testing.T) {
	in := toyInput(30, 4)
	neg := toyInput(30, 4)
	neg.X.Data[0] = -1
	tests := []struct {
		name string
		in   Input
		o    Options
		want error
	}{
		{"bad options", in, Options{Latent: -1, LR: math.NaN()}, ErrOptions},
		{"nil matrix", Input{}, Options{}, ErrInput},
		{"default batch name", Input{X: in.X, Batch: make([]int, 30)}, Options{}, nil},
		{"batch out of range", Input{X: in.X, Batch: append(make([]int, 29), 2), BatchNames: []string{"a", "b"}}, Options{}, ErrInput},
		{"short batch", Input{X: in.X, Batch: []int{0}}, Options{}, ErrInput},
		{"negative counts", neg, Options{}, ErrInput},
		{"nb on tpm", Input{X: in.X, Values: vocab.Normalized}, Options{Likelihood: NB}, ErrInput},
		{"zinb on tpm", Input{X: in.X, Values: vocab.Normalized}, Options{Likelihood: ZINB}, ErrInput},
		{"zinb linear", in, Options{Likelihood: ZINB, LinearDecoder: true}, ErrOptions},
		{"duplicate names", Input{X: in.X, BatchNames: []string{"a", "a"}}, Options{}, ErrInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Epochs = 1
			_, _, err := Train(context.Background(), tc.in, tc.o, nil)
			if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Train(ctx, in, smallOptions(), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v", err)
	}
	m, _, err := Train(context.Background(), in, smallOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Embed(context.Background(), in.X, make([]int, 29)); !errors.Is(err, ErrInput) {
		t.Errorf("Embed with 29 labels: %v", err)
	}
	if _, err := m.Embed(context.Background(), &sparse.CSR{Rows: 1, Cols: 3, Indptr: []int64{0, 0}}, nil); !errors.Is(err, ErrInput) {
		t.Errorf("Embed with wrong genes: %v", err)
	}
}

// TestEarlyStopping: a small data set overfits; training stops Patience
// epochs after the best held-out loss and keeps that epoch's weights.
func TestEarlyStopping(t *testing.T) {
	in := toyInput(80, 5)
	o := smallOptions()
	o.Epochs, o.Patience, o.KLWarmup, o.HoldOut, o.LR = 400, 3, -1, 0.25, 1e-2
	m, rep, err := Train(context.Background(), in, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.StoppedEarly {
		t.Fatalf("ran all %d epochs without stopping (held-out %v)", rep.Epochs, rep.HeldOutLoss)
	}
	if rep.Epochs != rep.BestEpoch+o.Patience {
		t.Errorf("stopped at epoch %d, best %d, patience %d", rep.Epochs, rep.BestEpoch, o.Patience)
	}
	best := rep.HeldOutLoss[rep.BestEpoch-1]
	for e, l := range rep.HeldOutLoss {
		if l < best {
			t.Errorf("epoch %d held-out %.4f beats the kept epoch %d (%.4f)", e+1, l, rep.BestEpoch, best)
		}
	}
	if _, err := m.Embed(context.Background(), in.X, in.Batch); err != nil {
		t.Fatal(err)
	}
}

// TestCancelDuringLastEval: a context cancelled while the last epoch's
// held-out loss is computed is an error, not success with a NaN loss.
func TestCancelDuringLastEval(t *testing.T) {
	in := toyInput(100, 1)
	d, names, values := prepared(t, in)
	o := smallOptions()
	o.Epochs = 2
	o = o.withDefaults(in.X.Rows)
	rng := rand.New(rand.NewPCG(o.Seed, 1))
	m := newModel(hyper{Genes: in.X.Cols, Latent: 4, Hidden: 16, Likelihood: NB, Values: values, BatchNames: names}, rng)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	steps := 0
	perEpoch := (90 + o.BatchSize - 1) / o.BatchSize
	_, err := fit(ctx, m, d, o, rng, m.params(), nil, func([]int) {
		if steps++; steps == 2*perEpoch {
			cancel() // after the last training step, before the held-out loss
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled during the last evaluation: %v, want context.Canceled", err)
	}
}

// TestBatchNamesChecked: a batch name no cell uses (its weights would never
// train, and AddBatches of that name would use them) and a name that is
// not UTF-8 (the model's header could not give it back) are refused.
func TestBatchNamesChecked(t *testing.T) {
	in := toyInput(40, 1)
	in.BatchNames = append(in.BatchNames, "ghost")
	if _, _, err := Train(context.Background(), in, smallOptions(), nil); !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), `"ghost" has no cells`) {
		t.Errorf("unused batch name: %v", err)
	}
	in = toyInput(40, 1)
	in.BatchNames[0] = "a\xff"
	if _, _, err := Train(context.Background(), in, smallOptions(), nil); !errors.Is(err, ErrInput) {
		t.Errorf("batch name not UTF-8: %v", err)
	}
}
