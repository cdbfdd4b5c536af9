package classic

import (
	"context"
	"testing"

	"genestore/train/grn"
	"genestore/train/sim"
)

// benchInfer runs Infer with DefaultOptions (and method m) on one simulated
// view of cells × genes with regs candidate regulators and reports
// regulator → target pairs scored per second.
func benchInfer(b *testing.B, m Method, cells, genes, regs int) {
	c := sim.DefaultGRNConfig()
	c.Views, c.Cells, c.Genes, c.Regulators = 1, cells, genes, min(regs, genes-1)
	views, _, _ := simViews(b, c)
	cand := make([]int32, regs)
	for i := range cand {
		cand[i] = int32(i)
	}
	o := DefaultOptions()
	o.Method = m
	b.ResetTimer()
	for b.Loop() {
		if _, err := Infer(context.Background(), []grn.View{views[0]}, cand, o); err != nil {
			b.Fatal(err)
		}
	}
	pairs := float64(regs * (genes - 1))
	b.ReportMetric(pairs*float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
}

// BenchmarkInfer: the default (ensemble) and its parts (GENIE3, rspcor,
// spcor) on 2,000 cells × 200 genes × 20 regulators.
func BenchmarkInfer(b *testing.B) {
	b.Run("ensemble/2000x200x20", func(b *testing.B) { benchInfer(b, Ensemble, 2000, 200, 20) })
	b.Run("genie3/2000x200x20", func(b *testing.B) { benchInfer(b, GENIE3, 2000, 200, 20) })
	b.Run("rspcor/2000x200x20", func(b *testing.B) { benchInfer(b, RegulatorPartial, 2000, 200, 20) })
	b.Run("spcor/2000x200x20", func(b *testing.B) { benchInfer(b, SpearmanPartial, 2000, 200, 20) })
	b.Run("pearson/2000x200x20", func(b *testing.B) { benchInfer(b, Pearson, 2000, 200, 20) })
}

// BenchmarkInferLarge: the default on 2,000 cells × 2,000 genes × 1,000
// regulators (minutes; run with -long).
func BenchmarkInferLarge(b *testing.B) {
	if !*long {
		b.Skip("long benchmark: -long")
	}
	benchInfer(b, Ensemble, 2000, 2000, 1000)
}

// BenchmarkInferAfterEvidence times the ensemble Infer that pipeline's
// fusion runs after Evidence on the same 3 simulated views (2,000 cells ×
// 200 genes × 20 regulators each), without a Memo and with one that
// Evidence filled (GENIE3 and spcor of every view then come from it). It
// reports pairs scored per second.
func BenchmarkInferAfterEvidence(b *testing.B) {
	c := sim.DefaultGRNConfig()
	views, _, _ := simViews(b, c)
	cand := make([]int32, c.Regulators)
	for i := range cand {
		cand[i] = int32(i)
	}
	for _, memo := range []bool{false, true} {
		b.Run(map[bool]string{false: "memo=off", true: "memo=on"}[memo], func(b *testing.B) {
			o := DefaultOptions()
			o.Signs = false
			if memo {
				o.Memo = NewMemo()
				if _, err := Evidence(context.Background(), views, cand, o); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				if _, err := Infer(context.Background(), views, cand, o); err != nil {
					b.Fatal(err)
				}
			}
			pairs := float64(c.Regulators * (c.Genes - 1))
			b.ReportMetric(pairs*float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
		})
	}
}
