package sim_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"genestore/query/eval"
	"genestore/train/grn"
	"genestore/train/grn/classic"
	"genestore/train/sim"
)

// smallGRN is a quick configuration for tests.
func smallGRN() sim.GRNConfig {
	c := sim.DefaultGRNConfig()
	c.Views, c.Cells, c.Genes, c.Regulators = 2, 600, 60, 8
	return c
}

func TestWriteGRNDirReproducible(t *testing.T) {
	ctx := context.Background()
	c := smallGRN()
	a, b, d := t.TempDir(), t.TempDir(), t.TempDir()
	if err := sim.WriteGRNDir(ctx, c, a); err != nil {
		t.Fatal(err)
	}
	if err := sim.WriteGRNDir(ctx, c, b); err != nil {
		t.Fatal(err)
	}
	c.Seed++
	if err := sim.WriteGRNDir(ctx, c, d); err != nil {
		t.Fatal(err)
	}
	fa, fb, fd := sim.DirBytes(t, a), sim.DirBytes(t, b), sim.DirBytes(t, d)
	for _, want := range []string{"D1/matrix.mtx.gz", "D1/features.tsv.gz", "D1/barcodes.tsv.gz", "D1/obs.csv",
		"D2/obs.csv", "truth/regulation.tsv", "truth/D1_regulation.tsv", "truth/D2_rewired.tsv",
		"truth/regulators.tsv", "truth/grn_config.json"} {
		if _, ok := fa[want]; !ok {
			t.Errorf("%s not written", want)
		}
	}
	if len(fa) != len(fb) {
		t.Fatalf("%d files then %d", len(fa), len(fb))
	}
	for name, x := range fa {
		if !bytes.Equal(x, fb[name]) {
			t.Errorf("%s differs between two runs of one seed", name)
		}
	}
	if bytes.Equal(fa["D1/matrix.mtx.gz"], fd["D1/matrix.mtx.gz"]) {
		t.Error("another seed gave the same matrix")
	}
	if h := strings.SplitN(string(fa["truth/regulation.tsv"]), "\n", 2)[0]; h != "regulator\ttarget\tsign" {
		t.Errorf("regulation.tsv header %q", h)
	}
	if h := strings.SplitN(string(fa["D1/obs.csv"]), "\n", 2)[0]; h != "barcode,pseudotime,time_point,batch" {
		t.Errorf("obs.csv header %q", h)
	}
}

func TestGRNConfigValidate(t *testing.T) {
	c := sim.DefaultGRNConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Regulators, c.Rewire, c.Levels = 500, 2, 0
	err := c.Validate()
	if !errors.Is(err, sim.ErrInvalidConfig) || strings.Count(err.Error(), "\n") != 2 {
		t.Errorf("three problems, one error each: %v", err)
	}
	if _, err := sim.GenerateGRN(context.Background(), sim.GRNConfig{}); !errors.Is(err, sim.ErrInvalidConfig) {
		t.Errorf("zero config: %v", err)
	}
}

// TestGRNStructure: cascade levels, in-degrees and rewiring as configured.
func TestGRNStructure(t *testing.T) {
	c := smallGRN()
	s, err := sim.GenerateGRN(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	in := map[int]int{}
	for _, e := range s.Edges {
		in[e.Target]++
		if e.Regulator >= c.Regulators {
			t.Fatalf("edge from non-TF %d", e.Regulator)
		}
		if e.Target < c.Regulators && s.Level[e.Regulator] != s.Level[e.Target]-1 {
			t.Errorf("TF edge %d→%d skips levels %d→%d", e.Regulator, e.Target, s.Level[e.Regulator], s.Level[e.Target])
		}
	}
	for g := c.Regulators; g < c.Genes; g++ {
		if in[g] < 1 || in[g] > c.MaxInDegree {
			t.Errorf("gene %d has %d regulators", g, in[g])
		}
	}
	for _, v := range s.Views {
		if len(v.Removed) != len(v.Added) || len(v.Edges) != len(s.Edges) || len(v.Removed) == 0 {
			t.Errorf("%s: %d removed, %d added, %d edges of %d", v.Name, len(v.Removed), len(v.Added), len(v.Edges), len(s.Edges))
		}
		if v.X.Rows != c.Cells || v.X.Cols != c.Genes || v.X.Validate() != nil {
			t.Errorf("%s: %d × %d counts", v.Name, v.X.Rows, v.X.Cols)
		}
	}
}

// TestGRNRecoverable: the planted edges stand out under |partial
// correlation| (AUPRC ratio well above 1, the random figure) in each view,
// scored against that view's own network.
func TestGRNRecoverable(t *testing.T) {
	c := smallGRN()
	s, err := sim.GenerateGRN(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	o := classic.DefaultOptions()
	o.Method = classic.PartialCorrelation
	for _, v := range s.Views {
		res, err := classic.Infer(context.Background(), []grn.View{{Name: v.Name, Cells: c.Cells, Genes: c.Genes, X: v.LogNormalized()}}, nil, o)
		if err != nil {
			t.Fatal(err)
		}
		var truth, pred []eval.RegPair
		for _, e := range v.Edges {
			truth = append(truth, eval.RegPair{Regulator: e.Regulator, Target: e.Target, Sign: e.Sign})
		}
		for _, e := range res.Edges {
			pred = append(pred, eval.RegPair{Regulator: int(e.Regulator), Target: int(e.Target), Score: e.Score, Sign: e.Sign})
		}
		sc, err := eval.GRN(c.Genes, truth, pred, eval.GRNOptions{})
		if err != nil {
			t.Fatal(err)
		}
		signed, _ := eval.GRN(c.Genes, truth, pred, eval.GRNOptions{Signed: true})
		t.Logf("%s: |pcor| AUPRC ratio %.2f (density %.4f), AUROC %.3f, EPR %.2f; signed AUPRC ratio %.2f",
			v.Name, sc.AUPRCRatio, sc.Density, sc.AUROC, sc.EPR, signed.AUPRCRatio)
		if sc.AUPRCRatio < 3 {
			t.Errorf("%s: |pcor| AUPRC ratio %.2f, want ≥ 3", v.Name, sc.AUPRCRatio)
		}
	}
}

func TestGRNCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sim.GenerateGRN(ctx, smallGRN()); !errors.Is(err, context.Canceled) {
		t.Errorf("GenerateGRN: %v", err)
	}
	dir := t.TempDir()
	if err := sim.WriteGRNDir(ctx, smallGRN(), dir); !errors.Is(err, context.Canceled) {
		t.Errorf("WriteGRNDir: %v", err)
	}
	if files := sim.DirBytes(t, dir); len(files) != 0 {
		t.Errorf("cancelled write left %d files", len(files))
	}
}

func ExampleGenerateGRN() {
	c := sim.DefaultGRNConfig()
	c.Cells, c.Views = 100, 2
	s, err := sim.GenerateGRN(context.Background(), c)
	if err != nil {
		panic(err)
	}
	v := s.Views[1]
	fmt.Println(len(s.Genes), "genes,", len(s.Regulators), "TFs,", len(s.Views), "views of", v.X.Rows, "cells")
	fmt.Println(v.Name, "rewired", len(v.Removed), "of", len(s.Edges), "edges")
	// Output:
	// 200 genes, 20 TFs, 2 views of 100 cells
	// D2 rewired 40 of 386 edges
}

// errAfter is a context whose Err reports context.Canceled from its
// (n+1)-th call on: a cancellation that arrives while work is under way.
type errAfter struct {
	context.Context
	n int
}

func (c *errAfter) Err() error {
	if c.n <= 0 {
		return context.Canceled
	}
	c.n--
	return nil
}

// TestGRNCancelledDuringView: GenerateGRN notices a cancellation while it
// simulates a view's cells (it once checked only between views, so one
// large view ran to the end whatever the context said).
func TestGRNCancelledDuringView(t *testing.T) {
	c := smallGRN()
	c.Views, c.Cells = 1, 3000
	ctx := &errAfter{Context: context.Background(), n: 2}
	if _, err := sim.GenerateGRN(ctx, c); !errors.Is(err, context.Canceled) {
		t.Errorf("GenerateGRN cancelled during its only view: %v, want context.Canceled", err)
	}
}
