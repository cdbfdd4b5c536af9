package vae

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"genestore/query/cluster"
	"genestore/query/eval"
	"genestore/train/sim"
)

// TestAddBatches trains on two simulated batches, adds the third by surgery
// and checks that the old cells' embeddings are bit-identical and that the
// new batch's cells land with their cell types (kNN label transfer).
func TestAddBatches(t *testing.T) {
	ctx := context.Background()
	cfg := sim.DefaultConfig()
	cfg.Cells, cfg.Genes = 400, 1000
	epochs := 60
	if *long {
		cfg.Cells, cfg.Genes, epochs = 2000, 2000, 0
	}
	all, types := simInput(t, cfg, 600)
	var refRows, newRows []int
	for i, b := range all.Batch {
		if b < 2 {
			refRows = append(refRows, i)
		} else {
			newRows = append(newRows, i)
		}
	}
	ref := Input{X: all.X.SelectRows(refRows), BatchNames: all.BatchNames[:2], Values: all.Values}
	for _, i := range refRows {
		ref.Batch = append(ref.Batch, all.Batch[i])
	}
	query := Input{X: all.X.SelectRows(newRows), Batch: make([]int, len(newRows)), BatchNames: all.BatchNames[2:], Values: all.Values}

	o := DefaultOptions()
	o.Epochs, o.Seed = epochs, 3
	m, _, err := Train(ctx, ref, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	before, err := m.Embed(ctx, ref.X, ref.Batch)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.AddBatches(ctx, Input{X: ref.X, Batch: ref.Batch, BatchNames: ref.BatchNames}, o); !errors.Is(err, ErrInput) {
		t.Fatalf("AddBatches with only known batches: %v", err)
	}
	so := DefaultSurgeryOptions()
	so.Seed = o.Seed
	if !*long {
		so.Epochs = 30
	}
	rep, err := m.AddBatches(ctx, query, so)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.BatchNames(); !slices.Equal(got, all.BatchNames) {
		t.Fatalf("batch names %v, want %v", got, all.BatchNames)
	}
	after, err := m.Embed(ctx, ref.X, ref.Batch)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, after) {
		t.Fatal("embeddings of existing batches changed")
	}
	newB := make([]int, len(newRows))
	for i := range newB {
		newB[i] = 2
	}
	qe, err := m.Embed(ctx, query.X, newB)
	if err != nil {
		t.Fatal(err)
	}
	var refTypes, newTypes []string
	for _, i := range refRows {
		refTypes = append(refTypes, types[i])
	}
	for _, i := range newRows {
		newTypes = append(newTypes, types[i])
	}
	acc, f1 := transfer(t, before, refTypes, qe, newTypes, m.Latent())
	t.Logf("surgery: %d epochs on %d new cells in %v (%.0f cells/s); label transfer accuracy %.3f, macro-F1 %.3f",
		rep.Epochs, len(newRows), rep.TrainDuration.Round(time.Millisecond), rep.CellsPerSec, acc, f1)

	// Issue 7's yardstick: a full retrain on all three batches.
	full, frep, err := Train(ctx, all, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	fe, err := full.Embed(ctx, all.X, all.Batch)
	if err != nil {
		t.Fatal(err)
	}
	L := full.Latent()
	var fRef, fNew []float32
	for _, i := range refRows {
		fRef = append(fRef, fe[i*L:(i+1)*L]...)
	}
	for _, i := range newRows {
		fNew = append(fNew, fe[i*L:(i+1)*L]...)
	}
	facc, ff1 := transfer(t, fRef, refTypes, fNew, newTypes, L)
	t.Logf("full retrain: %d epochs on %d cells in %v; label transfer accuracy %.3f, macro-F1 %.3f; surgery/retrain time %.2f",
		frep.Epochs, all.X.Rows, frep.TrainDuration.Round(time.Millisecond), facc, ff1,
		rep.TrainDuration.Seconds()/frep.TrainDuration.Seconds())
	if f1 < ff1-0.05 {
		t.Errorf("surgery macro-F1 %.3f more than 0.05 below a full retrain's %.3f", f1, ff1)
	}
	if f1 < 0.8 {
		t.Errorf("label-transfer macro-F1 %.3f < 0.8", f1)
	}
}

// transfer labels each query cell by the majority type of its 15 nearest
// reference cells and returns accuracy and macro-F1.
func transfer(t *testing.T, ref []float32, refTypes []string, qry []float32, qryTypes []string, dim int) (acc, f1 float64) {
	t.Helper()
	nr, nq := len(refTypes), len(qryTypes)
	joint := append(append([]float32(nil), ref...), qry...)
	ids, _, err := cluster.KNN(context.Background(), joint, nr+nq, dim, 15+nq, cluster.Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	var pred []string
	for q := range nq {
		votes := map[string]int{}
		n := 0
		for _, j := range ids[nr+q] {
			if int(j) < nr && n < 15 {
				votes[refTypes[j]]++
				n++
			}
		}
		best, bc := "", -1
		for lab, c := range votes {
			if c > bc || (c == bc && lab < best) {
				best, bc = lab, c
			}
		}
		pred = append(pred, best)
	}
	if f1, err = eval.MacroF1(qryTypes, pred); err != nil {
		t.Fatal(err)
	}
	acc, _ = eval.Accuracy(qryTypes, pred)
	return acc, f1
}

// TestAddBatchesFreezes checks, for both decoders, that surgery changes
// only the new batch's rows, keeps the old rows and weights bit-identical,
// and that a failing call leaves the model untouched.
func TestAddBatchesFreezes(t *testing.T) {
	for _, tc := range []struct {
		lin bool
		lik Likelihood
	}{{false, ""}, {true, ""}, {false, ZINB}} {
		lin := tc.lin
		ctx := context.Background()
		ds := simulate(90, 30, 3, 3, 0.5, 8)
		var ref, qry []int
		for i, b := range ds.Batch {
			if b < 2 {
				ref = append(ref, i)
			} else {
				qry = append(qry, i)
			}
		}
		refIn := Input{X: ds.X.SelectRows(ref), BatchNames: ds.Names[:2]}
		for _, i := range ref {
			refIn.Batch = append(refIn.Batch, ds.Batch[i])
		}
		o := smallOptions()
		o.LinearDecoder = lin
		o.Likelihood = tc.lik
		m, _, err := Train(ctx, refIn, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		before := m.clone()
		bad := Input{X: ds.X.SelectRows(qry), Batch: make([]int, len(qry)), BatchNames: []string{"new"}, Values: "log"}
		if _, err := m.AddBatches(ctx, bad, o); !errors.Is(err, ErrInput) {
			t.Fatalf("value-type mismatch: %v", err)
		}
		qIn := Input{X: ds.X.SelectRows(qry), Batch: make([]int, len(qry)), BatchNames: []string{"new"}}
		if _, err := m.AddBatches(ctx, qIn, o); err != nil {
			t.Fatal(err)
		}
		bp := before.params()
		for i, p := range m.params() {
			old := bp[i]
			if !slices.Equal(p.W[:len(old.W)], old.W) {
				t.Errorf("linear %v: %s: existing weights changed", lin, p.name)
			}
			if p.rows != old.rows && p.rows != old.rows+1 {
				t.Errorf("linear %v: %s grew from %d to %d rows", lin, p.name, old.rows, p.rows)
			}
		}
		if !slices.Equal(m.BatchNames(), []string{"b0", "b1", "new"}) {
			t.Errorf("batch names %v", m.BatchNames())
		}
		b, _ := m.MarshalBinary()
		var back Model
		if err := back.UnmarshalBinary(b); err != nil || len(back.BatchNames()) != 3 {
			t.Fatalf("round trip after surgery: %v", err)
		}
	}
}
