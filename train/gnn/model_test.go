package gnn

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"

	"genestore/train/sim"
)

func smallSim(t *testing.T, datasets int) simData {
	cfg := sim.DefaultConfig()
	cfg.Datasets, cfg.Genes, cfg.Cells, cfg.Modules = datasets, 300, 200, 6
	return prepareSim(t, cfg)
}

func quickOpts() Options {
	o := DefaultOptions()
	o.Epochs, o.Dim, o.Hidden = 40, 16, 32
	o.Seed = 9
	return o
}

func TestReproducibleAndRoundTrip(t *testing.T) {
	d := smallSim(t, 2)
	forConvs(t, modelConvs, quickOpts, func(t *testing.T, o Options) { testReproducibleAndRoundTrip(t, d, o) })
}

func testReproducibleAndRoundTrip(t *testing.T, d simData, opts Options) {
	ctx := context.Background()
	m1, r1, err := Train(ctx, d.inputs, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := m1.Options().Conv; got != opts.Conv {
		t.Fatalf("model conv %q, want %q", got, opts.Conv)
	}
	// parallel kernels must not make results depend on the worker count
	procs := runtime.GOMAXPROCS(1)
	m2, _, err := Train(ctx, d.inputs, opts, nil)
	runtime.GOMAXPROCS(procs)
	if err != nil {
		t.Fatal(err)
	}
	b1, err := m1.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := m2.MarshalBinary()
	if !bytes.Equal(b1, b2) {
		t.Fatal("same seed (GOMAXPROCS 1 and default) gave different models")
	}
	o := opts
	o.Seed++
	m3, _, _ := Train(ctx, d.inputs, o, nil)
	b3, _ := m3.MarshalBinary()
	if bytes.Equal(b1, b3) {
		t.Fatal("different seeds gave the same model")
	}
	var back Model
	if err := back.UnmarshalBinary(b1); err != nil {
		t.Fatal(err)
	}
	bb, _ := back.MarshalBinary()
	if !bytes.Equal(b1, bb) {
		t.Fatal("decode→encode changed the bytes")
	}
	e, ok := back.Embedding(d.inputs[0].Name)
	if !ok || !slices.Equal(e.Vecs, r1.PerDataset[0].Vecs) {
		t.Fatal("decoded vectors differ")
	}
	if c := back.Consensus(nil); !slices.Equal(c.Vecs, r1.Consensus.Vecs) {
		t.Fatal("decoded consensus differs")
	}
	// corruption is detected
	for _, bad := range [][]byte{b1[:len(b1)-1], flip(b1, 30), flip(b1, len(b1)/2), []byte("junk")} {
		var m Model
		if err := m.UnmarshalBinary(bad); !errors.Is(err, ErrFormat) {
			t.Fatalf("corrupt model: got %v", err)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x10
	return c
}

func TestAddDatasetKeepsOldVectors(t *testing.T) {
	d := smallSim(t, 3)
	forConvs(t, modelConvs, quickOpts, func(t *testing.T, o Options) { testAddDatasetKeepsOldVectors(t, d, o) })
}

func testAddDatasetKeepsOldVectors(t *testing.T, d simData, opts Options) {
	ctx := context.Background()
	m, res, err := Train(ctx, d.inputs[:2], opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := m.MarshalBinary()
	var reloaded Model
	if err := reloaded.UnmarshalBinary(before); err != nil {
		t.Fatal(err)
	}
	add := quickOpts() // the model's architecture wins over these
	emb, err := reloaded.AddDataset(ctx, d.inputs[2], add, nil)
	if err != nil {
		t.Fatal(err)
	}
	if emb.Dataset != d.inputs[2].Name || len(emb.Vecs) != len(d.inputs[2].Genes)*16 {
		t.Fatalf("new embedding %s with %d values", emb.Dataset, len(emb.Vecs))
	}
	for i, name := range []string{d.inputs[0].Name, d.inputs[1].Name} {
		e, _ := reloaded.Embedding(name)
		if !slices.Equal(e.Vecs, res.PerDataset[i].Vecs) {
			t.Fatalf("dataset %s vectors changed", name)
		}
	}
	for l := range m.shared {
		if !slices.Equal(m.shared[l].W, reloaded.shared[l].W) {
			t.Fatal("shared layer changed")
		}
	}
	// consensus of genes the new dataset lacks is unchanged
	has := map[uint32]bool{}
	for _, g := range emb.Genes {
		has[g] = true
	}
	after := reloaded.Consensus(nil)
	old := map[uint32][]float32{}
	for i, g := range res.Consensus.Genes {
		old[g] = res.Consensus.Vecs[i*16 : (i+1)*16]
	}
	changed := 0
	for i, g := range after.Genes {
		v := after.Vecs[i*16 : (i+1)*16]
		if has[g] {
			if o, ok := old[g]; ok && !slices.Equal(o, v) {
				changed++
			}
			continue
		}
		if !slices.Equal(old[g], v) {
			t.Fatalf("consensus of untouched gene %d changed", g)
		}
	}
	if changed == 0 {
		t.Fatal("no touched consensus vector changed")
	}
	if reloaded.Options().Conv != opts.Conv {
		t.Fatalf("conv %q after append, want %q", reloaded.Options().Conv, opts.Conv)
	}
	if _, err := reloaded.AddDataset(ctx, d.inputs[2], add, nil); !errors.Is(err, ErrDatasetExists) {
		t.Fatalf("second add: %v", err)
	}
	// appended genes land near their module: ARI of the new dataset's vectors
	if ari := moduleARI(t, emb.Vecs, 16, d.module[2]); ari < 0.8 {
		t.Errorf("appended dataset module ARI %.3f", ari)
	}
}

func TestCancelAndValidate(t *testing.T) {
	d := smallSim(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Train(ctx, d.inputs, quickOpts(), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	o := quickOpts()
	o.Dim, o.Temperature, o.Conv, o.Heads = 0, 0, "gat", -1
	o.ContrastGenes = MaxContrastGenes + 1 // a matrix that would exhaust memory
	verr := o.Validate()
	if _, _, terr := Train(context.Background(), d.inputs, o, nil); !errors.Is(terr, ErrOptions) {
		t.Fatalf("bad options: %v", terr)
	}
	for _, f := range []string{"Dim", "Temperature", "Conv", "Heads", "ContrastGenes"} {
		if !strings.Contains(verr.Error(), f) {
			t.Errorf("Validate does not report %s: %v", f, verr)
		}
	}
	bad := d.inputs[0]
	bad.Genes = bad.Genes[1:]
	if _, _, err := Train(context.Background(), []DatasetInput{bad}, quickOpts(), nil); !errors.Is(err, ErrInput) {
		t.Fatalf("bad input: %v", err)
	}
	calls := 0
	_, res, err := Train(context.Background(), d.inputs, quickOpts(), func(e, total int, loss float64) { calls++ })
	if err != nil || calls != len(res.Log) {
		t.Fatalf("progress called %d times for %d epochs (%v)", calls, len(res.Log), err)
	}
}
