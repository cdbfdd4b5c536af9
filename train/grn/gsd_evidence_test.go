package grn_test

import (
	"context"
	"testing"

	"genestore/internal/testutil/shareddata"
	"genestore/train/grn"
	"genestore/train/grn/classic"
)

// TestBEELINE trains DeepMCL as train grn does (evidence from grn/classic,
// negatives from the regulators with known edges) on each BEELINE family
// it finds (shareddata.BeelineGroups: GSD in ../shared/data/grn_dev, more
// in GENESTORE_BEELINE), the clean runs of a family as views (at least
// two; GSD: GSD_2000_{0..4}), with half the reference regulators' edges
// known, and reports AUPRC on the other half's edges beside the baselines
// eval grn computes: |Pearson|, the unsupervised ensemble, and the
// single-view model (-long).
func TestBEELINE(t *testing.T) {
	if !*grn.Long {
		t.Skip("-long")
	}
	for _, g := range shareddata.BeelineGroups(t) {
		if g.Dropout != "" || len(g.Runs) < 2 {
			continue
		}
		t.Run(g.Name, func(t *testing.T) {
			views, truth, edges, regs := grn.LoadFamily(t, g.Runs)
			supervisedFamily(t, g.Name, views, truth, edges, regs)
		})
	}
}

// supervisedFamily trains on half the reference regulators' edges (5
// splits) and reports held-out AUPRC ratios of the model, the single-view
// model, |Pearson| and the ensemble; it fails if the model's mean is below
// |Pearson|'s.
func supervisedFamily(t *testing.T, name string, views []grn.View, truth map[int64]bool, edges []grn.Known, regs []int) {
	ctx := context.Background()
	G := views[0].Genes
	density := float64(len(truth)) / float64(G*(G-1))
	regs32 := make([]int32, len(regs))
	for i, r := range regs {
		regs32[i] = int32(r)
	}
	co := classic.DefaultOptions()
	ev, err := classic.Evidence(ctx, views, regs32, co)
	if err != nil {
		t.Fatal(err)
	}
	evPooled, err := classic.PooledEvidence(ctx, views, regs32, co)
	if err != nil {
		t.Fatal(err)
	}
	ens, err := classic.Infer(ctx, views, regs32, co)
	if err != nil {
		t.Fatal(err)
	}
	ensScore := map[int64]float64{}
	for _, e := range ens.Edges {
		ensScore[grn.PairKey(int(e.Regulator), int(e.Target))] = e.Score
	}
	seeds := []uint64{1, 2, 3, 4, 5}
	var sum [6]float64
	for _, seed := range seeds {
		trainR, testR, known := grn.GSDSplit(seed, regs, edges)
		// train grn's choice with under 160 known edges: the pooled
		// evidence (the same for the single-view baseline, as one view),
		// and, to compare, each view's evidence beside the pooled.
		var ap [3]float64
		var fused func(r, t int) float64
		// as train grn stores it: the model's and the ensemble's ranks
		// over every candidate pair, averaged (pipeline's fuseWithEnsemble)
		fuse := func(t *testing.T, m *grn.Model, ev *grn.Evidence) func(r, t int) float64 {
			var keys []int64
			var a, b []float64
			if err := m.Score(ctx, views, ev, regs, nil, func(e grn.Edge) error {
				k := grn.PairKey(int(e.Regulator), int(e.Target))
				keys, a, b = append(keys, k), append(a, e.Score), append(b, ensScore[k])
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			f := map[int64]float64{}
			for i, x := range classic.RankMean(a, b) {
				f[keys[i]] = x
			}
			return func(r, t int) float64 { return f[grn.PairKey(r, t)] }
		}
		for i, c := range []struct {
			single bool
			ev     *grn.Evidence
		}{{false, evPooled}, {true, &grn.Evidence{Genes: G, Features: evPooled.Features, Regulators: evPooled.Regulators, X: evPooled.X[:1]}}, {false, ev}} {
			o := grn.SimOptions()
			o.Seed, o.Regulators, o.SingleView, o.Evidence = seed, trainR, c.single, c.ev
			m, _, err := grn.Train(ctx, views, known, o)
			if err != nil {
				t.Fatal(err)
			}
			ap[i] = grn.ScoreAUPRC(t, m, views, o.Evidence, truth, testR)
			if i == 0 {
				fused = fuse(t, m, o.Evidence)
			}
		}
		pear := grn.EvalAUPRC(truth, testR, G, grn.PearsonScore(views))
		en := grn.EvalAUPRC(truth, testR, G, func(r, t int) float64 { return ensScore[grn.PairKey(r, t)] })
		fu := grn.EvalAUPRC(truth, testR, G, fused)
		t.Logf("%s seed %d: AUPRC ratio model %.2f, single-view %.2f, |Pearson| %.2f, ensemble %.2f; per-view evidence %.2f; model fused with the ensemble %.2f (density %.3f, %d known edges)",
			name, seed, ap[0]/density, ap[1]/density, pear/density, en/density, ap[2]/density, fu/density, density, len(known))
		for i, x := range []float64{ap[0], ap[1], pear, en, ap[2], fu} {
			sum[i] += x / density / float64(len(seeds))
		}
	}
	t.Logf("%s: mean AUPRC ratio of %d splits: model %.2f, single-view %.2f, |Pearson| %.2f, ensemble %.2f; per-view evidence %.2f; model fused with the ensemble (as train grn stores it) %.2f",
		name, len(seeds), sum[0], sum[1], sum[2], sum[3], sum[4], sum[5])
	if sum[0] < sum[2] {
		t.Errorf("%s: model AUPRC ratio %.2f < |Pearson| %.2f", name, sum[0], sum[2])
	}
}
