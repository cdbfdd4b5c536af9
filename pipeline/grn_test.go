package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"genestore/internal/prauc"
	"genestore/internal/testutil/crash"
	"genestore/query/eval"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/train/grn"
	"genestore/train/grn/classic"
	"genestore/train/prep"
	"genestore/train/sim"
	"genestore/vocab"
)

// grnStore simulates a planted regulatory network (views D1…) and ingests
// every view, with obs column time_point.
func grnStore(t *testing.T, cfg sim.GRNConfig) (*store.DB, *sim.GRNSimulation, string) {
	t.Helper()
	s, err := sim.GenerateGRN(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "g.db")
	db := openAt(t, path)
	t.Cleanup(func() { db.Close() })
	for _, v := range s.Views {
		tp := make([]string, len(v.TimePoint))
		for i, p := range v.TimePoint {
			tp[i] = fmt.Sprint(p)
		}
		ds := &ingest.Dataset{Format: "sim", Source: "sim", Values: vocab.Counts, X: v.X, Barcodes: v.Barcodes,
			Obs: []ingest.ObsColumn{{Name: "time_point", Categorical: true, Values: tp}}}
		for _, g := range s.Genes {
			ds.Genes = append(ds.Genes, ingest.Gene{ID: g, Symbol: g})
		}
		if _, err := db.AddDataset(context.Background(), v.Name, ds, store.AddOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return db, s, path
}

func smallGRN() sim.GRNConfig {
	c := sim.DefaultGRNConfig()
	c.Cells, c.Genes, c.Regulators = 400, 60, 8
	return c
}

// TestTrainGRNRecoversPlantedNetwork trains the unsupervised default on a
// simulated network and checks the stored edges against the truth with
// BEELINE's AUPRC ratio, and its provenance.
func TestTrainGRNRecoversPlantedNetwork(t *testing.T) {
	db, s, _ := grnStore(t, smallGRN())
	var regs []string
	for _, r := range s.Regulators {
		regs = append(regs, s.Genes[r])
	}
	o := DefaultGRNOptions()
	o.Regulators = append(regs, "NOPE1", "NOPE2")
	o.Genes = len(s.Genes)
	var log bytes.Buffer
	res, err := TrainGRN(context.Background(), db, o, &log)
	if err != nil {
		t.Fatal(err)
	}
	if res.Network.Regulators != len(regs) || len(res.SkippedRegulators) != 2 || !strings.Contains(log.String(), "2 regulators not in every view") {
		t.Fatalf("result %+v, log %q", res, log.String())
	}
	// provenance says which methods the ensemble ranked (rspcor: a regulator list)
	// and how the views were combined (the median of their ranks by default)
	p := string(res.Network.Provenance.Params)
	for _, want := range []string{`"ensemble_of":["genie3","spcor","rspcor"]`, `"aggregate":"median"`, `"combination":"median normalised rank"`} {
		if !strings.Contains(p, want) {
			t.Errorf("provenance params %s lack %s", p, want)
		}
	}
	if v := res.Network.Provenance.ModelVersion; v != "classic-ensemble-v2" {
		t.Errorf("model version %q", v)
	}
	idx := map[string]int{}
	for i, g := range s.Genes {
		idx[g] = i
	}
	var truth, pred []eval.RegPair
	for _, e := range s.Edges {
		truth = append(truth, eval.RegPair{Regulator: e.Regulator, Target: e.Target, Sign: e.Sign})
	}
	err = db.View(func(tx *store.Tx) error {
		return tx.EachRegEdge("default", func(e store.RegEdge) error {
			a, _ := tx.Gene(e.Regulator)
			b, _ := tx.Gene(e.Target)
			pred = append(pred, eval.RegPair{Regulator: idx[a.Symbol], Target: idx[b.Symbol], Score: float64(e.Score), Sign: e.Sign})
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := eval.GRN(len(s.Genes), truth, pred, eval.GRNOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("AUPRC ratio %.2f, EPR %.2f, AUROC %.3f over %d edges", sc.AUPRCRatio, sc.EPR, sc.AUROC, len(pred))
	if sc.AUPRCRatio < 2 {
		t.Errorf("AUPRC ratio %.2f: the planted network is not recovered", sc.AUPRCRatio)
	}
	if err := db.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestTrainGRNViewsByColumn splits one dataset by an obs column; the
// dataset named twice is still one dataset.
func TestTrainGRNViewsByColumn(t *testing.T) {
	db, _, _ := grnStore(t, smallGRN())
	for _, names := range [][]string{{"D1"}, {"D1", "D1"}} {
		o := DefaultGRNOptions()
		o.Datasets, o.ViewsBy, o.Name, o.Method = names, "time_point", "by-time", "pearson"
		res, err := TrainGRN(context.Background(), db, o, nil)
		if err != nil {
			t.Fatalf("%v: %v", names, err)
		}
		want := []string{"D1:time_point=0", "D1:time_point=1", "D1:time_point=2", "D1:time_point=3"}
		if strings.Join(res.Network.Views, ",") != strings.Join(want, ",") {
			t.Fatalf("%v: views %v, want %v", names, res.Network.Views, want)
		}
	}
	// A store of one dataset needs no --datasets.
	cfg := smallGRN()
	cfg.Views = 1
	one, _, _ := grnStore(t, cfg)
	o := DefaultGRNOptions()
	o.ViewsBy, o.Method = "time_point", "pearson"
	res, err := TrainGRN(context.Background(), one, o, nil)
	if err != nil || len(res.Network.Views) != 4 {
		t.Fatalf("one-dataset store: %v, %v", res, err)
	}
}

// TestTrainGRNBadInput checks each refusal and that a refused run leaves the
// store byte-identical.
func TestTrainGRNBadInput(t *testing.T) {
	db, _, path := grnStore(t, smallGRN())
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    func(o *GRNOptions)
		want string
	}{
		{"unknown regulators", func(o *GRNOptions) { o.Regulators = []string{"X1", "X2"} }, "none of the 2 regulators"},
		{"known edges miss the data", func(o *GRNOptions) { o.Known = []KnownEdge{{Regulator: "A", Target: "B"}} }, "none of the 1 known edges"},
		{"small view", func(o *GRNOptions) { o.MinCells = 1000 }, `view "D1" has 400 cells`},
		{"views by without one dataset", func(o *GRNOptions) { o.ViewsBy = "time_point" }, "exactly one dataset, and the store has 3: name one with --datasets"},
		{"views by two datasets", func(o *GRNOptions) { o.ViewsBy, o.Datasets = "time_point", []string{"D1", "D2", "D1"} }, "got 2 (D1, D2, D1)"},
		{"unknown dataset", func(o *GRNOptions) { o.Datasets = []string{"nope"} }, `dataset "nope"`},
	}
	for _, tt := range tests {
		o := DefaultGRNOptions()
		tt.o(&o)
		_, err := TrainGRN(context.Background(), db, o, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("a refused run changed the store file")
	}
}

// TestCrashTrainGRN kills a process in the middle of train grn (read,
// score, one commit): the store must reopen exactly as before or with the
// whole network.
func TestCrashTrainGRN(t *testing.T) {
	cfg := smallGRN()
	cfg.Cells, cfg.Genes, cfg.Regulators = 300, 40, 6
	rep := crash.Run(t, crash.Config{Trials: crashTrials(), Seed: 7,
		Prepare: func(dir string) error {
			s, err := sim.GenerateGRN(context.Background(), cfg)
			if err != nil {
				return err
			}
			db := openAt(t, filepath.Join(dir, "s.db"))
			defer db.Close()
			for _, v := range s.Views {
				ds := &ingest.Dataset{Format: "sim", Source: "sim", Values: vocab.Counts, X: v.X, Barcodes: v.Barcodes}
				for _, g := range s.Genes {
					ds.Genes = append(ds.Genes, ingest.Gene{ID: g, Symbol: g})
				}
				if _, err := db.AddDataset(context.Background(), v.Name, ds, store.AddOptions{}); err != nil {
					return err
				}
			}
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
		o := DefaultGRNOptions()
		o.Genes = cfg.Genes
		_, err = TrainGRN(context.Background(), db, o, nil)
		return err
	})
	if rep.Child {
		return
	}
	t.Logf("grn crash trials: %d (before %d, after %d, finished before the kill %d; run %v)",
		rep.Trials, rep.Before, rep.After, rep.Finished, rep.OpTime)
}

// smallDeepMCL is a small simulated GRN store (300 cells, 40 genes, 6
// regulators) and the options that train the tests' small DeepMCL shape on
// it for epochs epochs: every simulated regulator a candidate, the known
// edges of the regulators keep accepts (nil: all).
func smallDeepMCL(t *testing.T, epochs int, keep func(regulator int) bool) (*store.DB, *sim.GRNSimulation, GRNOptions) {
	t.Helper()
	cfg := smallGRN()
	cfg.Cells, cfg.Genes, cfg.Regulators = 300, 40, 6
	db, s, _ := grnStore(t, cfg)
	o := DefaultGRNOptions()
	o.Genes = cfg.Genes
	o.Model = grn.Options{Bins: 16, Conv1: 8, Conv2: 8, Hidden: 32, Embed: 16, Head: 16, Epochs: epochs}
	for _, r := range s.Regulators {
		o.Regulators = append(o.Regulators, s.Genes[r])
	}
	for _, e := range s.Edges {
		if keep == nil || keep(e.Regulator) {
			o.Known = append(o.Known, KnownEdge{Regulator: s.Genes[e.Regulator], Target: s.Genes[e.Target], Sign: e.Sign})
		}
	}
	return db, s, o
}

// TestTrainGRNSupervised trains the DeepMCL model on the known edges of half
// the regulators and checks that the network, its per-view attention and the
// model weights are stored.
func TestTrainGRNSupervised(t *testing.T) {
	db, s, o := smallDeepMCL(t, 3, func(regulator int) bool { return regulator%2 == 0 })
	var log strings.Builder
	res, err := TrainGRN(context.Background(), db, o, &log)
	if err != nil {
		t.Fatal(err)
	}
	if few := len(o.Known) < fewKnownEdges; few != strings.Contains(log.String(), "compare both with eval grn --known") {
		t.Errorf("%d known edges: the few-edges warning printed %v:\n%s", len(o.Known), !few, log.String())
	}
	n := res.Network
	if n.Method != MethodDeepMCL || !strings.HasPrefix(n.Provenance.ModelVersion, "deepmcl:") || n.Regulators != len(s.Regulators) {
		t.Fatalf("network %+v", n)
	}
	var p struct{ Fusion string }
	if err := json.Unmarshal(n.Provenance.Params, &p); err != nil || !strings.Contains(p.Fusion, "ensemble (median normalised rank)") {
		t.Errorf("provenance fusion %q (%v)", p.Fusion, err)
	}
	// Fused scores are mean ranks of two rankings of the same pairs: in
	// (0, 1], and their mean is (1 + 1/pairs)/2.
	var sum float64
	var pairs int
	err = db.View(func(tx *store.Tx) error {
		if _, err := tx.Blob(vocab.BlobModel, GRNModelBlob("default")); err != nil {
			return err
		}
		return tx.EachRegEdge("default", func(e store.RegEdge) error {
			if len(e.Support) != len(s.Views) {
				return fmt.Errorf("edge %d→%d has %d support values", e.Regulator, e.Target, len(e.Support))
			}
			if !(e.Score > 0 && e.Score <= 1) {
				return fmt.Errorf("edge %d→%d: fused score %v outside (0, 1]", e.Regulator, e.Target, e.Score)
			}
			sum += float64(e.Score)
			pairs++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (1 + 1/float64(pairs)) / 2; math.Abs(sum/float64(pairs)-want) > 1e-4 {
		t.Errorf("mean fused score %v over %d pairs, want %v", sum/float64(pairs), pairs, want)
	}
	// NoFusion stores the network's own scores (its probabilities, not ranks).
	o.NoFusion, o.Name = true, "raw"
	res, err = TrainGRN(context.Background(), db, o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	p.Fusion = "unset"
	if err := json.Unmarshal(res.Network.Provenance.Params, &p); err != nil || p.Fusion != "" {
		t.Errorf("NoFusion: provenance fusion %q (%v)", p.Fusion, err)
	}
}

// TestTrainGRNFewCellsUnfused: views under the unsupervised ensemble's 20
// cells (allowed through the API when DeepMCL reads no evidence) leave the
// network's scores unfused instead of failing after training.
func TestTrainGRNFewCellsUnfused(t *testing.T) {
	cfg := smallGRN()
	cfg.Cells, cfg.Genes, cfg.Regulators = 15, 30, 4
	db, s, _ := grnStore(t, cfg)
	o := DefaultGRNOptions()
	o.Genes, o.MinCells, o.NoEvidence = cfg.Genes, 10, true
	o.Model = grn.Options{Bins: 8, Conv1: 4, Conv2: 4, Hidden: 8, Embed: 8, Head: 8, Epochs: 1}
	for _, e := range s.Edges {
		o.Known = append(o.Known, KnownEdge{Regulator: s.Genes[e.Regulator], Target: s.Genes[e.Target], Sign: e.Sign})
	}
	var log strings.Builder
	res, err := TrainGRN(context.Background(), db, o, &log)
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ Fusion *string }
	if err := json.Unmarshal(res.Network.Provenance.Params, &p); err != nil || p.Fusion == nil || *p.Fusion != "" {
		t.Errorf("provenance fusion %v (%v), want \"\"", p.Fusion, err)
	}
	if !strings.Contains(log.String(), "scores not fused") {
		t.Errorf("log does not say the scores were left unfused:\n%s", log.String())
	}
}

// heldOutFigures trains DeepMCL (mo, with or without evidence) on the
// simulated network's edges of the even-numbered regulators and scores it
// with EvalGRN on the odd ones' edges, beside the baselines of the same
// run (|Pearson|, the unsupervised ensemble, single-view DeepMCL), and
// the number of known edges.
func heldOutFigures(t *testing.T, cfg sim.GRNConfig, mo grn.Options, noEvidence bool) (*GRNEvalReport, int) {
	t.Helper()
	db, s, _ := grnStore(t, cfg)
	o := DefaultGRNOptions()
	o.Genes, o.Seed, o.Model, o.NoEvidence = len(s.Genes), cfg.Seed, mo, noEvidence
	for _, r := range s.Regulators {
		o.Regulators = append(o.Regulators, s.Genes[r])
	}
	var truth []KnownEdge
	for _, e := range s.Edges {
		k := KnownEdge{Regulator: s.Genes[e.Regulator], Target: s.Genes[e.Target], Sign: e.Sign}
		truth = append(truth, k)
		if e.Regulator%2 == 0 {
			o.Known = append(o.Known, k)
		}
	}
	ctx := context.Background()
	var log strings.Builder
	if _, err := TrainGRN(ctx, db, o, &log); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(log.String(), "\n") {
		if strings.Contains(l, "fused") {
			t.Logf("seed %d: %s", cfg.Seed, l)
		}
	}
	rep, err := EvalGRN(ctx, db, o.Name, truth, o.Known, grn.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *long {
		m, e := heldRegulatorsAUPRC(t, db, o, s)
		t.Logf("seed %d, held-out regulators' pairs only: AUPRC model %.3f, ensemble %.3f", cfg.Seed, m, e)
	}
	return rep, len(o.Known)
}

// heldRegulatorsAUPRC is the AUPRC of the stored network o.Name and of
// the unsupervised ensemble over the pairs of the held-out (odd-numbered)
// regulators only: the protocol of the GSD test, in which no pair the
// network was trained on (as a positive or a sampled negative) is scored.
func heldRegulatorsAUPRC(t *testing.T, db *store.DB, o GRNOptions, s *sim.GRNSimulation) (model, ensemble float64) {
	t.Helper()
	ctx := context.Background()
	held := map[string]bool{}
	for _, r := range s.Regulators {
		if r%2 == 1 {
			held[s.Genes[r]] = true
		}
	}
	edge := map[[2]string]bool{}
	for _, e := range s.Edges {
		edge[[2]string{s.Genes[e.Regulator], s.Genes[e.Target]}] = true
	}
	ap := func(es []NamedEdge) float64 {
		var pos, neg []float64
		for _, e := range es {
			if !held[e.Regulator] || e.Regulator == e.Target {
				continue
			}
			if edge[[2]string{e.Regulator, e.Target}] {
				pos = append(pos, float64(e.Score))
			} else {
				neg = append(neg, float64(e.Score))
			}
		}
		return prauc.AveragePrecision(pos, neg)
	}
	var net []NamedEdge
	if err := db.View(func(tx *store.Tx) error {
		var err error
		net, err = NetworkEdges(tx, o.Name, 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	in, err := PrepareGRN(ctx, db, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	var regs []int32
	for _, r := range in.Regulators {
		regs = append(regs, int32(r))
	}
	co := classic.DefaultOptions()
	co.Seed = o.Seed
	res, err := classic.Infer(ctx, in.Views, regs, co)
	if err != nil {
		t.Fatal(err)
	}
	ens := make([]NamedEdge, len(res.Edges))
	for i, e := range res.Edges {
		ens[i] = NamedEdge{Regulator: in.Symbols[e.Regulator], Target: in.Symbols[e.Target], Score: float32(e.Score)}
	}
	return ap(net), ap(ens)
}

// heldOutModel is the DeepMCL shape of the held-out tests: small enough to
// train in seconds on two shared cores.
func heldOutModel() grn.Options {
	return grn.Options{Bins: 16, Conv1: 8, Conv2: 16, Hidden: 64, Embed: 32, Head: 16, Neighbours: -1,
		Epochs: 8, EpochPairs: 1024, BatchSize: 16, NegRatio: 3, LR: 2e-3}
}

// TestGRNSupervisedHeldOut is issue 18's bar for the supervised model on
// the simulator: trained on half the regulators' known edges, scored on
// the other half's, against the baselines eval grn computes in the same
// run. The default run uses a small network (60 genes, 8 regulators, one
// seed); -long the default simulation (3 views × 2,000 cells, 200 genes,
// 20 regulators) over 5 seeds. Measured (mean held-out AUPRC, 21:42 UTC
// 2026-12-04): -long model 0.890, single-view 0.883, |Pearson| 0.384,
// ensemble 0.774 (model ≥ 1.15 × the best unsupervised baseline); default
// run model 0.776, single-view 0.753, |Pearson| 0.532, ensemble 0.724.
// Rerun with GOMAXPROCS=1 (16:00 UTC 2026-12-05): model 0.901, 0.880,
// 0.907, 0.921, 0.875 (mean 0.897, 1.16×), single-view 0.883.
// -long also logs the held-out regulators' pairs alone (no pair the
// network was trained on, as positive or sampled negative, is scored):
// model 0.942, 0.920, 0.939, 0.946, 0.904 (mean 0.930), ensemble 0.882,
// 0.826, 0.862, 0.838, 0.837 (mean 0.849): 1.10×. eval grn's figures
// keep the known regulators' non-edges as negatives, pairs the model saw
// labelled 0, which favours it over the unsupervised baselines.
// Rerun unchanged at 23:00 UTC 2026-12-05: the same figures, 105 s wall
// for the 5 seeds. With the three-way ensemble (rspcor, 16:40 UTC
// 2026-12-06) the model's figures are the same and the ensemble's rise to
// 0.831, 0.756, 0.827, 0.735, 0.790 (mean 0.788): the model is 1.14× it;
// held-out regulators' pairs alone 0.930 against 0.860 (1.08×). What else was tried against issue 18's 1.2× (more
// negatives, hard negatives, view dropout, weight averaging, an edge
// split for early stopping) is in train/grn's package doc, Caveats.
// The default run's ensemble rose from 0.724 to 0.759 with rspcor (the
// model stays 0.776). Since 2026-12-07 the ensemble combines the views by
// their median rank (classic.MedianRank) instead of the mean, and rose to
// 0.887, 0.865, 0.923, 0.868, 0.900 (mean 0.888) with -long, 0.772 in the
// default run; the model's figures are unchanged (it reads per-view
// evidence, not the combined ranking), so it is 1.01× the ensemble there.
// Since the same day train grn stores the network's scores fused with
// the ensemble's (the mean of the two normalised ranks, fuseWithEnsemble;
// the single-view baseline is fused the same way): -long model 0.911,
// 0.895, 0.935, 0.925, 0.911 (mean 0.916, 1.03× the ensemble),
// single-view 0.904; default run model 0.821, single-view 0.780,
// ensemble 0.772. Asserted: the model at least the best unsupervised
// baseline and at least the single-view model; the ensemble at least
// |Pearson|.
func TestGRNSupervisedHeldOut(t *testing.T) {
	cfg := smallGRN()
	seeds := []uint64{1}
	if *long {
		cfg = sim.DefaultGRNConfig()
		seeds = []uint64{1, 2, 3, 4, 5}
	}
	var sum [4]float64
	for _, seed := range seeds {
		cfg.Seed = seed
		rep, known := heldOutFigures(t, cfg, heldOutModel(), false)
		m, sv := rep.Model.AUPRC, rep.Baselines["deepmcl-single-view"].AUPRC
		p, ens := rep.Baselines["pearson"].AUPRC, rep.Baselines["ensemble"].AUPRC
		t.Logf("seed %d: held-out AUPRC model %.3f (ratio %.2f), single-view %.3f, |Pearson| %.3f, ensemble %.3f; density %.4f, %d held-out edges, %d known",
			seed, m, rep.Model.AUPRCRatio, sv, p, ens, rep.Model.Density, rep.TrueEdges, known)
		for i, x := range []float64{m, sv, p, ens} {
			sum[i] += x
		}
	}
	n := float64(len(seeds))
	m, sv, p, ens := sum[0]/n, sum[1]/n, sum[2]/n, sum[3]/n
	t.Logf("mean of %d: model %.3f, single-view %.3f, |Pearson| %.3f, ensemble %.3f", len(seeds), m, sv, p, ens)
	// the small network: model 0.821, ensemble 0.772; -long 0.916, 0.888
	if best := max(p, ens); m < best {
		t.Errorf("model AUPRC %.3f < the best unsupervised baseline %.3f", m, best)
	}
	if m < sv {
		t.Errorf("model AUPRC %.3f < single-view %.3f", m, sv)
	}
	if ens < p {
		t.Errorf("ensemble AUPRC %.3f < |Pearson| %.3f", ens, p)
	}
}

// TestPrepareGRNRegulatorPool: listed regulators enter the network when they
// rank among the RegulatorPool most variable genes (2 × Genes by default),
// the others are counted as unvaried (a genome-wide TF list used to pull
// every listed TF in, whatever --genes said); symbols match ignoring case
// when that names one gene.
func TestPrepareGRNRegulatorPool(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	const cells, genes = 80, 40
	ds := denseDataset(cells, genes, vocab.Log, func(c, g int) float32 {
		return float32(rng.Float64() * float64(g+1) / 10)
	})
	ds.Genes[38].Symbol, ds.Genes[39].Symbol = "Dup", "DUP" // "dup" names two genes
	db := openAt(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	if _, err := db.AddDataset(ctx, "D", ds, store.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	o := DefaultGRNOptions()
	o.Genes, o.MinCells = 4, 2
	top, err := prep.HVG(ds.X, vocab.Log, 2*o.Genes)
	if err != nil {
		t.Fatal(err)
	}
	inTop := map[string]bool{}
	for _, c := range top {
		inTop[ds.Genes[c].Symbol] = true
	}
	var in, out []string // regulators inside and outside the pool
	for _, g := range ds.Genes[:38] {
		switch {
		case inTop[g.Symbol] && len(in) < 3:
			in = append(in, g.Symbol)
		case !inTop[g.Symbol] && len(out) < 2:
			out = append(out, g.Symbol)
		}
	}
	lower := func(ss []string) (l []string) {
		for _, s := range ss {
			l = append(l, strings.ToLower(s))
		}
		return l
	}
	o.Regulators = slices.Concat(lower(in), out, []string{"dup", "NOPE"})
	got, err := PrepareGRN(ctx, db, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	var regs []string
	for _, r := range got.Regulators {
		regs = append(regs, got.Symbols[r])
	}
	slices.Sort(regs)
	slices.Sort(in)
	if !slices.Equal(regs, in) || !slices.Equal(got.UnvariedRegulators, out) || !slices.Equal(got.SkippedRegulators, []string{"dup", "NOPE"}) {
		t.Errorf("regulators %v (want %v), unvaried %v (want %v), skipped %v", regs, in, got.UnvariedRegulators, out, got.SkippedRegulators)
	}
	if len(got.Symbols) != max(o.Genes, len(in)) {
		t.Errorf("%d genes, want %d", len(got.Symbols), max(o.Genes, len(in)))
	}
	o.RegulatorPool = -1 // every listed regulator in the data
	got, err = PrepareGRN(ctx, db, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Regulators) != len(in)+len(out) || len(got.UnvariedRegulators) != 0 {
		t.Errorf("pool -1: %d regulators, unvaried %v", len(got.Regulators), got.UnvariedRegulators)
	}
	// a listed regulator with known edges enters whatever its rank
	o.RegulatorPool = 0
	o.Known = []KnownEdge{{Regulator: out[0], Target: in[0]}}
	if got, err = PrepareGRN(ctx, db, o, nil); err != nil {
		t.Fatal(err)
	}
	if len(got.Regulators) != len(in)+1 || !slices.Equal(got.UnvariedRegulators, out[1:]) {
		t.Errorf("with a known edge of %s: %d regulators, unvaried %v", out[0], len(got.Regulators), got.UnvariedRegulators)
	}
	o.Known = nil
	o.RegulatorPool, o.Regulators = 0, out // none varies enough: refused, saying why
	if _, err := PrepareGRN(ctx, db, o, nil); !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), "most variable") {
		t.Errorf("only unvaried regulators: %v", err)
	}
}
