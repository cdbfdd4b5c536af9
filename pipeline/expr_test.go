package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"genestore/internal/sparse"
	"genestore/internal/testutil/crash"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/train/expr"
	"genestore/vocab"
)

// exprSim generates log-expression datasets whose genes are driven by P
// shared latent programs: landmarks are noisy, mildly nonlinear mixtures
// of the programs; targets are nonlinear functions of program pairs
// (products, rectified sums, saturations), so a linear map from the
// landmarks misses part of each target. Every dataset adds its own per-gene
// offset (a batch effect). Symbols are upper case, LM00…, TG000….
type exprSim struct {
	L, T, P int
	names   []string
	data    [][]float32 // per dataset, cells × (L+T)
	cells   int
}

func newExprSim(seed uint64, datasets, cells, L, T, P int) *exprSim {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := &exprSim{L: L, T: T, P: P, cells: cells}
	wl := make([]float64, L*P)
	for i := range wl {
		wl[i] = rng.NormFloat64() / math.Sqrt(float64(P))
	}
	type tgt struct {
		a, b, kind int
		amp        float64
	}
	ts := make([]tgt, T)
	for t := range ts {
		x := tgt{a: rng.IntN(P), b: rng.IntN(P), kind: t % 3, amp: 0.5 + rng.Float64()}
		for x.b == x.a {
			x.b = rng.IntN(P)
		}
		ts[t] = x
	}
	for j := range L {
		s.names = append(s.names, fmt.Sprintf("LM%02d", j))
	}
	for t := range T {
		s.names = append(s.names, fmt.Sprintf("TG%03d", t))
	}
	z := make([]float64, P)
	for range datasets {
		off := make([]float64, L+T)
		for j := range off {
			off[j] = 0.5 * rng.NormFloat64()
		}
		x := make([]float32, cells*(L+T))
		for c := range cells {
			for p := range z {
				z[p] = rng.NormFloat64()
			}
			row := x[c*(L+T) : (c+1)*(L+T)]
			for j := range L {
				var v float64
				for p := range P {
					v += wl[j*P+p] * z[p]
				}
				row[j] = float32(3 + off[j] + math.Tanh(v) + 0.1*rng.NormFloat64())
			}
			for t, g := range ts {
				za, zb := z[g.a], z[g.b]
				var v float64
				switch g.kind {
				case 0:
					v = 0.6 * za * zb
				case 1:
					v = math.Max(0, za+zb) - 0.6
				default:
					v = math.Tanh(2*za) * math.Tanh(2*zb)
				}
				row[L+t] = float32(3 + off[L+t] + g.amp*v + 0.1*rng.NormFloat64())
			}
		}
		s.data = append(s.data, x)
	}
	return s
}

// dataset returns dataset d as an ingest.Dataset of log values, without
// the columns named in drop, with symbols passed through rename.
func (s *exprSim) dataset(d int, values vocab.ValueType, drop map[string]bool, rename func(string) string) *ingest.Dataset {
	var keep []int
	for j, n := range s.names {
		if !drop[n] {
			keep = append(keep, j)
		}
	}
	G := s.L + s.T
	x := &sparse.CSR{Rows: s.cells, Cols: len(keep), Indptr: make([]int64, s.cells+1)}
	for c := range s.cells {
		for k, j := range keep {
			x.Indices = append(x.Indices, int32(k))
			x.Data = append(x.Data, s.data[d][c*G+j])
		}
		x.Indptr[c+1] = int64(len(x.Data))
	}
	ds := &ingest.Dataset{Format: "sim", Source: "sim", SHA256: fmt.Sprintf("%064x", d+1), Values: values, X: x}
	for _, j := range keep {
		sym := s.names[j]
		if rename != nil {
			sym = rename(sym)
		}
		ds.Genes = append(ds.Genes, ingest.Gene{ID: "ID" + sym, Symbol: sym})
	}
	for c := range s.cells {
		ds.Barcodes = append(ds.Barcodes, fmt.Sprintf("D%d-C%05d", d+1, c))
	}
	return ds
}

func (s *exprSim) landmarks() []string { return slices.Clone(s.names[:s.L]) }

// exprStore ingests datasets D1..Dn of s into a store at path.
func exprStore(t testing.TB, path string, s *exprSim, n int) *store.DB {
	t.Helper()
	db := openAt(t, path)
	for d := range n {
		if _, err := db.AddDataset(context.Background(), fmt.Sprintf("D%d", d+1), s.dataset(d, vocab.Log, nil, nil), store.AddOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// smallExprOptions are fast model settings for the tests.
func smallExprOptions(landmarks []string, datasets ...string) ExprOptions {
	o := DefaultExprOptions()
	o.Datasets, o.Landmarks = datasets, landmarks
	o.Model.Hidden, o.Model.Epochs, o.Model.Patience, o.Model.Threads = []int{64}, 80, 8, 2
	return o
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestTrainExprAndPredict trains on two datasets, predicts the third (with
// four landmarks removed), and checks the stored model record, the layer,
// its provenance and that its values track the third dataset's measured
// targets better than least squares does.
func TestTrainExprAndPredict(t *testing.T) {
	ctx := context.Background()
	s := newExprSim(1, 3, 600, 30, 40, 4)
	path := filepath.Join(t.TempDir(), "s.db")
	db := exprStore(t, path, s, 2)
	defer db.Close()
	drop := map[string]bool{"LM00": true, "LM01": true, "LM02": true, "LM03": true}
	if _, err := db.AddDataset(ctx, "D3", s.dataset(2, vocab.Log, drop, nil), store.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	lm := slices.Concat(s.landmarks(), []string{"NOTAGENE", "ALSONOT"})
	res, err := TrainExpr(ctx, db, smallExprOptions(lm, "D1", "D2"), &log)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Landmarks) != s.L || len(res.SkippedLandmarks) != 2 || res.Targets != s.T || res.Cells != 1200 {
		t.Fatalf("result: %d landmarks, skipped %v, %d targets, %d cells", len(res.Landmarks), res.SkippedLandmarks, res.Targets, res.Cells)
	}
	if !strings.Contains(log.String(), "2 of 32 landmarks not measured in every dataset, skipped: NOTAGENE, ALSONOT") {
		t.Errorf("log does not list the skipped landmarks:\n%s", log.String())
	}
	for _, k := range []string{"chosen", "mlp", "ridge", "knn", "lstsq"} {
		if _, ok := res.Validation.MeanMAE[k]; !ok {
			t.Errorf("validation has no %s score: %v", k, res.Validation.MeanMAE)
		}
	}
	t.Logf("validation MAE %v, blend %v", res.Validation.MeanMAE, res.Validation.Blend)

	log.Reset()
	pr, err := Predict(ctx, db, PredictOptions{Dataset: "D3"}, &log)
	if err != nil {
		t.Fatal(err)
	}
	if pr.LandmarksPresent != 26 || len(pr.MissingLandmarks) != 4 || pr.Genes != s.T || pr.Cells != 600 || pr.QueryMeans != s.T {
		t.Fatalf("predict: %+v", pr)
	}
	if !strings.Contains(log.String(), `lacks 4 of 30 landmarks, filled from the others`) {
		t.Errorf("log does not report the filled landmarks:\n%s", log.String())
	}
	if err := db.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	// The layer against the measured targets, and against least squares.
	var predMAE float64
	err = db.View(func(tx *store.Tx) error {
		l, err := tx.Layer(pr.Layer.Dataset, vocab.LayerPredicted)
		if err != nil {
			return err
		}
		if l.Values != vocab.Predicted || l.Provenance.ModelVersion != res.ModelVersion ||
			!strings.Contains(string(l.Provenance.Params), `"landmarks_missing":4`) {
			t.Errorf("layer %+v", l)
		}
		G := s.L + s.T
		for t0 := range s.T {
			gs, err := tx.GenesBySymbol(fmt.Sprintf("TG%03d", t0))
			if err != nil || len(gs) != 1 {
				return fmt.Errorf("gene TG%03d: %v", t0, err)
			}
			values, err := tx.LayerGene(l.Dataset, vocab.LayerPredicted, gs[0].ID)
			if err != nil {
				return err
			}
			for c, v := range values {
				if v < 0 {
					return fmt.Errorf("TG%03d cell %d: predicted log1p %g < 0", t0, c, v)
				}
				predMAE += math.Abs(float64(v) - float64(s.data[2][c*G+s.L+t0]))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	predMAE /= float64(s.T * 600)
	var m *expr.Model
	_ = db.View(func(tx *store.Tx) (err error) { m, _, _, err = loadExprModel(tx); return err })
	q := expr.Dataset{Name: "D3", Genes: s.names, X: s.data[2]}
	ev, err := m.Evaluate(ctx, &q, expr.PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("D3 (4 landmarks missing in the layer): layer MAE %.4f; all landmarks: chosen %.4f ridge %.4f lstsq %.4f",
		predMAE, ev.MeanMAE[expr.Chosen], ev.MeanMAE[expr.Ridge], ev.MeanMAE[expr.LeastSquares])
	if predMAE > 0.9*ev.MeanMAE[expr.LeastSquares] {
		t.Errorf("layer MAE %.4f not ≤ 0.9 × least squares %.4f", predMAE, ev.MeanMAE[expr.LeastSquares])
	}
	// A subset layer holds just the genes asked for.
	pr2, err := Predict(ctx, db, PredictOptions{Dataset: "D1", Genes: []string{"TG007", "TG001"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(pr2.Layer.Genes) != 2 {
		t.Errorf("subset layer genes %v", pr2.Layer.Genes)
	}
}

// TestEvalExprBeatsLinear holds out a fifth of each dataset's cells and
// checks the chosen model against ridge and least squares on them.
func TestEvalExprBeatsLinear(t *testing.T) {
	s := newExprSim(2, 2, 700, 30, 40, 4)
	db := exprStore(t, filepath.Join(t.TempDir(), "s.db"), s, 2)
	defer db.Close()
	ev, err := EvalExpr(context.Background(), db, EvalExprOptions{Train: smallExprOptions(s.landmarks()), Holdout: 0.2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.HeldCells != 280 || ev.TrainCells != 1120 || ev.Targets != s.T || len(ev.Genes) != s.T {
		t.Fatalf("evaluation: %d held, %d train, %d targets, %d genes", ev.HeldCells, ev.TrainCells, ev.Targets, len(ev.Genes))
	}
	for _, k := range []string{"chosen", "mlp", "ridge", "knn", "lstsq"} {
		sc := ev.Models[k]
		t.Logf("%-6s MAE %.4f r %.3f beats linear %.1f%%", k, sc.MeanMAE, sc.MeanR, 100*sc.BeatsLinear)
	}
	c, r, l := ev.Models["chosen"], ev.Models["ridge"], ev.Models["lstsq"]
	if c.MeanMAE > r.MeanMAE || c.MeanMAE > 0.9*l.MeanMAE {
		t.Errorf("chosen MAE %.4f, ridge %.4f, least squares %.4f: want chosen ≤ ridge and ≤ 0.9 × least squares", c.MeanMAE, r.MeanMAE, l.MeanMAE)
	}
}

// TestExprBadInput checks every refusal names the problem and leaves the
// store file byte-identical.
func TestExprBadInput(t *testing.T) {
	ctx := context.Background()
	s := newExprSim(3, 1, 120, 12, 8, 3)
	path := filepath.Join(t.TempDir(), "s.db")
	db := exprStore(t, path, s, 1)
	defer db.Close()
	if _, err := Predict(ctx, db, PredictOptions{Dataset: "D1"}, nil); !errors.Is(err, ErrNoExprModel) {
		t.Fatalf("predict without a model: %v", err)
	}
	before := fileSum(t, path)
	few := slices.Concat(s.landmarks()[:7], []string{"X1", "X2", "X3", "X4"})
	_, err := TrainExpr(ctx, db, smallExprOptions(few), nil)
	if !errors.Is(err, expr.ErrLandmarks) || !strings.Contains(err.Error(), "7 of the 11 landmarks are measured in every dataset, need at least 10") {
		t.Fatalf("too few landmarks: %v", err)
	}
	if fileSum(t, path) != before {
		t.Fatal("a refused training changed the store file")
	}
	o := smallExprOptions(s.landmarks())
	o.Model.NoMLP = true
	if _, err := TrainExpr(ctx, db, o, nil); err != nil {
		t.Fatal(err)
	}
	// Datasets the model must refuse.
	mouse := func(sym string) string { return sym[:1] + strings.ToLower(sym[1:]) }
	if _, err := db.AddDataset(ctx, "mouse", s.dataset(0, vocab.Log, nil, mouse), store.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddDataset(ctx, "norm", s.dataset(0, vocab.Normalized, nil, nil), store.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	drop := map[string]bool{}
	for _, n := range s.landmarks()[:3] {
		drop[n] = true
	}
	if _, err := db.AddDataset(ctx, "sparse", s.dataset(0, vocab.Log, drop, nil), store.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	before = fileSum(t, path)
	tests := []struct {
		name string
		o    PredictOptions
		is   error
		want string
	}{
		{"species", PredictOptions{Dataset: "mouse"}, ErrExprMismatch, `dataset "mouse" looks like another species: its gene symbols are title case, the model's upper case`},
		{"value type", PredictOptions{Dataset: "norm"}, ErrExprMismatch, `dataset "norm" holds normalized values, the model was trained on [log]`},
		{"landmarks", PredictOptions{Dataset: "sparse"}, expr.ErrLandmarks, `dataset "sparse" measures 9 of the model's 12 landmarks, need at least 10`},
		{"gene", PredictOptions{Dataset: "D1", Genes: []string{"TG001", "LM00", "NOPE"}}, nil, "does not predict LM00, NOPE"},
		{"dataset", PredictOptions{Dataset: "none"}, store.ErrNotFound, `dataset "none"`},
	}
	for _, tt := range tests {
		_, err := Predict(ctx, db, tt.o, nil)
		if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %v containing %q", tt.name, err, tt.is, tt.want)
		}
		if fileSum(t, path) != before {
			t.Fatalf("%s: a refused predict changed the store file", tt.name)
		}
	}
}

// TestCrashTrainExpr kills a process in the middle of train expr (read,
// fit, one commit): the store must reopen exactly as before or with the
// whole model.
func TestCrashTrainExpr(t *testing.T) {
	s := newExprSim(4, 2, 300, 20, 30, 3)
	rep := crash.Run(t, crash.Config{Trials: crashTrials(), Seed: 11,
		Prepare: func(dir string) error {
			exprStore(t, filepath.Join(dir, "s.db"), s, 2).Close()
			return nil
		},
		Digest: storeDigest,
	}, func(dir string, ready func()) error {
		db, err := store.Open(filepath.Join(dir, "s.db"), &store.Options{Clock: fixedClock})
		if err != nil {
			return err
		}
		defer db.Close()
		ready()
		o := smallExprOptions(s.landmarks())
		o.Model.Patience = 40
		_, err = TrainExpr(context.Background(), db, o, nil)
		return err
	})
	if rep.Child {
		return
	}
	t.Logf("expr crash trials: %d (before %d, after %d, finished before the kill %d; run %v)",
		rep.Trials, rep.Before, rep.After, rep.Finished, rep.OpTime)
}

// TestCrashPredict kills a process in the middle of predict (the layer is
// written chunk by chunk inside one transaction): the store must reopen
// without the layer or with all of it.
func TestCrashPredict(t *testing.T) {
	s := newExprSim(5, 2, 2500, 20, 60, 3)
	rep := crash.Run(t, crash.Config{Trials: crashTrials(), Seed: 13,
		Prepare: func(dir string) error {
			db := exprStore(t, filepath.Join(dir, "s.db"), s, 2)
			defer db.Close()
			o := smallExprOptions(s.landmarks(), "D1")
			o.Model.NoMLP = true
			_, err := TrainExpr(context.Background(), db, o, nil)
			return err
		},
		Digest: storeDigest,
	}, func(dir string, ready func()) error {
		db, err := store.Open(filepath.Join(dir, "s.db"), &store.Options{Clock: fixedClock})
		if err != nil {
			return err
		}
		defer db.Close()
		ready()
		_, err = Predict(context.Background(), db, PredictOptions{Dataset: "D2"}, nil)
		return err
	})
	if rep.Child {
		return
	}
	t.Logf("predict crash trials: %d (before %d, after %d, finished before the kill %d; run %v)",
		rep.Trials, rep.Before, rep.After, rep.Finished, rep.OpTime)
}

// TestEvalExprChoosesGenesOnTrainingCells: a gene constant in every
// training cell and varying only in the cells EvalExpr holds out is not a
// target (the choice by variance once read the held-out cells; the split
// here reproduces EvalExpr's).
func TestEvalExprChoosesGenesOnTrainingCells(t *testing.T) {
	const cells = 200
	s := newExprSim(2, 2, cells, 30, 40, 4)
	G := s.L + s.T
	leak := G - 1 // TG039
	rng := rand.New(rand.NewPCG(1, 0x686f6c64))
	nh := int(math.Round(0.2 * cells))
	for d := range 2 {
		perm := rng.Perm(cells)
		held := map[int]bool{}
		for _, r := range perm[:nh] {
			held[r] = true
		}
		for c := range cells {
			v := float32(3)
			if held[c] {
				v = float32(3 + 5*((c%2)*2-1))
			}
			s.data[d][c*G+leak] = v
		}
	}
	db := exprStore(t, filepath.Join(t.TempDir(), "s.db"), s, 2)
	defer db.Close()
	o := smallExprOptions(s.landmarks())
	o.MaxTargets = 5
	o.Model.NoMLP = true
	ev, err := EvalExpr(context.Background(), db, EvalExprOptions{Train: o, Holdout: 0.2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range ev.Genes {
		if g.Gene == s.names[leak] {
			t.Errorf("target %s (constant in every training cell) selected from held-out variance; held-out MAE %v", g.Gene, g.MAE)
		}
	}
	// A stored model chose its targets on every cell, the gene included;
	// evaluating it (the CLI's way) chooses them again on the training cells.
	o.Model.Seed = 1
	if _, err := TrainExpr(context.Background(), db, o, nil); err != nil {
		t.Fatal(err)
	}
	ev, err = EvalExpr(context.Background(), db, EvalExprOptions{Train: DefaultExprOptions(), UseStored: true, Holdout: 0.2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Targets != 5 {
		t.Errorf("stored model's evaluation: %d targets, want its 5", ev.Targets)
	}
	for _, g := range ev.Genes {
		if g.Gene == s.names[leak] {
			t.Errorf("stored model's evaluation scored %s, chosen on the held-out cells", g.Gene)
		}
	}
}

// TestTrainExprAutoLandmarksCapsTargets: with landmarks chosen from the
// data and no target list, MaxTargets caps the targets (the landmark
// candidates the pipeline also reads used to become targets beyond it).
func TestTrainExprAutoLandmarksCapsTargets(t *testing.T) {
	ctx := context.Background()
	s := newExprSim(2, 2, 300, 30, 40, 4)
	db := exprStore(t, filepath.Join(t.TempDir(), "s.db"), s, 2)
	defer db.Close()
	o := smallExprOptions(nil, "D1", "D2")
	o.AutoLandmarks, o.MaxTargets = 10, 7
	o.Model.NoMLP = true
	res, err := TrainExpr(ctx, db, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Targets != 7 || len(res.Landmarks) != 10 {
		t.Fatalf("%d targets, %d landmarks; want 7 and 10", res.Targets, len(res.Landmarks))
	}
}
