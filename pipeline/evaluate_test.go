package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sync/atomic"
	"testing"

	"genestore/internal/sparse"
	"genestore/store"
	"genestore/train/gnn"
	"genestore/train/sim"
)

// TestEvalGenesConsensus checks that the model and both baselines report the
// consensus metrics on a small simulation, and that the baselines' joint
// representations recover the modules as the per-dataset ones do.
func TestEvalGenesConsensus(t *testing.T) {
	ctx := context.Background()
	db, _ := simStore(t, smallSim())
	o := DefaultGeneOptions()
	o.Model.Epochs, o.Model.Dim, o.Model.Hidden, o.Model.Seed = 30, 8, 32, 1
	o.HVG = 200
	if _, err := TrainGenes(ctx, db, o, nil, nil); err != nil {
		t.Fatal(err)
	}
	// the truth files `genestore simulate` writes for the same simulation
	dir := t.TempDir()
	if err := sim.WriteDir(ctx, smallSim(), dir, nil); err != nil {
		t.Fatal(err)
	}
	truth, gmt := filepath.Join(dir, "truth", "gene_modules.tsv"), filepath.Join(dir, "truth", "gene_sets.gmt")
	ev, err := EvalGenes(ctx, db, GeneEvalOptions{GMT: gmt, Truth: truth, Seed: 1, ConsensusOn: "D1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := EvalGenes(ctx, db, GeneEvalOptions{GMT: gmt, ConsensusOn: "nope"}, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("consensus on an unknown dataset: %v", err)
	}
	reps := map[string]Metrics{"model": ev.Model, "pca": ev.Baselines["pca"], "pearson": ev.Baselines["pearson"]}
	for name, m := range reps {
		for _, k := range []string{"go_auroc_consensus", "knn_go_auroc_consensus", "module_ari_consensus",
			"go_auroc", "knn_go_auroc", "module_ari", "go_auroc_consensus_on", "knn_go_auroc_consensus_on"} {
			v, ok := m[k]
			if !ok {
				t.Errorf("%s lacks %s: %v", name, k, m)
				continue
			}
			if math.IsNaN(v) || v < -1 || v > 1 {
				t.Errorf("%s %s = %v", name, k, v)
			}
		}
		t.Logf("%-8s go_auroc %.3f (consensus %.3f)  knn_go_auroc %.3f (%.3f)  module_ari %.3f (%.3f)", name,
			m["go_auroc"], m["go_auroc_consensus"], m["knn_go_auroc"], m["knn_go_auroc_consensus"],
			m["module_ari"], m["module_ari_consensus"])
	}
	// The simulated modules are easy: every baseline finds them per dataset,
	// and a sound consensus of the same data must find them too.
	for _, name := range []string{"pca", "pearson"} {
		m := reps[name]
		if m["module_ari_consensus"] < 0.8 || m["go_auroc_consensus"] < 0.8 {
			t.Errorf("%s consensus: module ARI %.3f, GO AUROC %.3f; want ≥ 0.8 (per dataset %.3f, %.3f)", name,
				m["module_ari_consensus"], m["go_auroc_consensus"], m["module_ari"], m["go_auroc"])
		}
	}
}

// geneInput builds a GeneInput with gene ids ids and expression x (cells ×
// genes, dense, row-major).
func geneInput(ids []uint32, cells int, x []float32) GeneInput {
	m := &sparse.CSR{Rows: cells, Cols: len(ids), Indptr: []int64{0}}
	for r := range cells {
		for c := range ids {
			if v := x[r*len(ids)+c]; v != 0 {
				m.Indices = append(m.Indices, int32(c))
				m.Data = append(m.Data, v)
			}
		}
		m.Indptr = append(m.Indptr, int64(len(m.Data)))
	}
	return GeneInput{Info: store.DatasetInfo{Name: fmt.Sprint(ids)}, Input: gnn.DatasetInput{Genes: ids, X: m}}
}

func TestPearsonConsensus(t *testing.T) {
	// Dataset A has genes 30, 10, 20 (not in id order); B has 20, 40, 30.
	a := geneInput([]uint32{30, 10, 20}, 4, make([]float32, 12))
	b := geneInput([]uint32{20, 40, 30}, 4, make([]float32, 12))
	rowsA := []float32{
		1, 0.5, -0.2,
		0.5, 1, 0.3,
		-0.2, 0.3, 1,
	}
	rowsB := []float32{
		1, 0.1, 0.6,
		0.1, 1, float32(math.NaN()),
		0.6, float32(math.NaN()), 1,
	}
	ids, vecs, err := pearsonConsensus(context.Background(), []GeneInput{a, b}, [][]float32{rowsA, rowsB})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids) != "[10 20 30 40]" {
		t.Fatalf("ids %v, want the sorted union [10 20 30 40]", ids)
	}
	z := func(r float64) float64 { return math.Atanh(r) }
	zmax := math.Atanh(maxFisherR) // the diagonal, clipped
	m23 := (z(-0.2) + z(0.6)) / 2  // 20–30: both datasets, mean of z
	want := []float64{
		// 10     20      30      40
		zmax, z(0.3), z(0.5), 0, // 10: A only; 10–40 in no dataset
		z(0.3), zmax, m23, z(0.1), // 20: 20–40 B only
		z(0.5), m23, zmax, 0, // 30: B's 30–40 is NaN, skipped
		0, z(0.1), 0, zmax, // 40
	}
	for i := range want {
		if math.Abs(float64(vecs[i])-want[i]) > 1e-5 {
			t.Errorf("entry (%d, %d) = %.6f, want %.6f", ids[i/4], ids[i%4], vecs[i], want[i])
		}
	}
}

func TestStackStandardised(t *testing.T) {
	// A: genes 30, 10 over 3 cells; gene 10 is constant and left out.
	a := geneInput([]uint32{30, 10}, 3, []float32{
		1, 2,
		2, 2,
		6, 2,
	})
	// B: genes 20, 30 over 2 cells.
	b := geneInput([]uint32{20, 30}, 2, []float32{
		0, 4,
		2, 8,
	})
	X, ids := stackStandardised([]GeneInput{a, b}, 1000, 1)
	if err := X.Validate(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids) != "[10 20 30]" || X.Rows != 5 || X.Cols != 3 {
		t.Fatalf("ids %v, %d × %d", ids, X.Rows, X.Cols)
	}
	dense := make([]float64, 15)
	for r := range X.Rows {
		idx, val := X.Row(r)
		for k, c := range idx {
			dense[r*3+int(c)] = float64(val[k])
		}
	}
	// A's gene 30: 1, 2, 6 → mean 3, sd √7; B's gene 20: 0, 2 → mean 1, sd √2;
	// B's gene 30: 4, 8 → mean 6, sd 2√2.
	s7, s2 := math.Sqrt(7), math.Sqrt(2)
	want := []float64{
		0, 0, -2 / s7,
		0, 0, -1 / s7,
		0, 0, 3 / s7,
		0, -1 / s2, -2 / (2 * s2),
		0, 1 / s2, 2 / (2 * s2),
	}
	for i := range want {
		if math.Abs(dense[i]-want[i]) > 1e-5 {
			t.Fatalf("stacked matrix\n%v\nwant\n%v", dense, want)
		}
	}
	// Above maxCells each dataset keeps its share of cells.
	X, _ = stackStandardised([]GeneInput{a, b}, 3, 1)
	if X.Rows != 3 {
		t.Errorf("maxCells 3: %d rows", X.Rows)
	}
}

// TestScIBComponents pins the scIB baseline's dimension: 50 components,
// fewer only when the matrix has fewer.
func TestScIBComponents(t *testing.T) {
	for _, c := range []struct{ rows, cols, want int }{
		{2860, 2000, 50}, {51, 2000, 50}, {30, 2000, 29}, {2860, 20, 19}, {2, 2, 1}, {1, 1, 1},
	} {
		if got := scibComponents(c.rows, c.cols); got != c.want {
			t.Errorf("scibComponents(%d, %d) = %d, want %d", c.rows, c.cols, got, c.want)
		}
	}
}

// cancelAt is a context whose Err reports Canceled from its at-th call on.
type cancelAt struct {
	context.Context
	at    int64
	calls atomic.Int64
}

func (c *cancelAt) Err() error {
	if c.calls.Add(1) >= c.at {
		return context.Canceled
	}
	return nil
}

func (c *cancelAt) Done() <-chan struct{} { return nil }

// TestEvalCancelledIsNotSuccess: the metrics drop their own errors (a
// metric that cannot be computed is left out), so a cancellation inside one
// returned success with the metric missing. Wherever the cancellation
// lands, the evaluation must fail.
func TestEvalCancelledIsNotSuccess(t *testing.T) {
	ctx := context.Background()
	db, _ := simStore(t, smallSim())
	c := DefaultCellOptions()
	c.Model.Epochs, c.Model.Latent, c.Model.Hidden, c.Model.Seed = 3, 4, 16, 1
	if _, err := TrainCells(ctx, db, c, nil, nil); err != nil {
		t.Fatal(err)
	}
	o := CellEvalOptions{Label: "cell_type", Seed: 1}
	count := &cancelAt{Context: ctx, at: math.MaxInt64}
	if _, err := EvalCells(count, db, o, nil); err != nil {
		t.Fatal(err)
	}
	total := count.calls.Load()
	for _, at := range []int64{1, total / 4, total / 2, 3 * total / 4, total - 1, total} {
		cx := &cancelAt{Context: ctx, at: max(at, 1)}
		ev, err := EvalCells(cx, db, o, nil)
		if err == nil && cx.calls.Load() >= cx.at {
			t.Errorf("cancelled at check %d of %d: success with %d model metrics", at, total, len(ev.Model))
		}
	}
}
