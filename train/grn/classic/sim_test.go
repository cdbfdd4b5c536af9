package classic

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"genestore/query/eval"
	"genestore/train/grn"
	"genestore/train/sim"
)

// simViews simulates c and returns its views (log-normalised), the base
// network as truth and the TF indices.
func simViews(t testing.TB, c sim.GRNConfig) ([]grn.View, []eval.RegPair, []int32) {
	t.Helper()
	s, err := sim.GenerateGRN(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	var views []grn.View
	for _, v := range s.Views {
		views = append(views, grn.View{Name: v.Name, Cells: c.Cells, Genes: c.Genes, X: v.LogNormalized()})
	}
	var truth []eval.RegPair
	for _, e := range s.Edges {
		truth = append(truth, eval.RegPair{Regulator: e.Regulator, Target: e.Target, Sign: e.Sign})
	}
	regs := make([]int32, len(s.Regulators))
	for i, r := range s.Regulators {
		regs[i] = int32(r)
	}
	return views, truth, regs
}

// TestSimulated scores every method on the GRN simulator (candidate
// regulators = the TFs; truth = the base network; views combined by
// DefaultOptions' median normalised rank; doc.go's main table is the mean's) and asserts the default is at least |Pearson|. Without
// -long it runs a smaller simulation.
func TestSimulated(t *testing.T) {
	c := sim.DefaultGRNConfig() // 3 views × 2,000 cells, 200 genes, 20 TFs
	if !*long {
		c.Cells, c.Genes, c.Regulators = 600, 80, 10
	}
	views, truth, regs := simViews(t, c)
	ratio := map[Method]float64{}
	for _, cand := range []string{"TFs", "all"} {
		for _, m := range Methods() {
			if !*long && m != Pearson && m != DefaultOptions().Method {
				continue
			}
			o := DefaultOptions()
			o.Method = m
			start := time.Now()
			candRegs := regs
			if cand == "all" {
				candRegs = nil
			}
			res, err := Infer(context.Background(), views, candRegs, o)
			if err != nil {
				t.Fatal(err)
			}
			el := time.Since(start)
			s := score(t, c.Genes, truth, res, false)
			signed := score(t, c.Genes, truth, res, true)
			var per strings.Builder
			for _, v := range views {
				if cand == "all" {
					break
				}
				r1, err := Infer(context.Background(), []grn.View{v}, regs, o)
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&per, " %.2f", score(t, c.Genes, truth, r1, false).AUPRCRatio)
			}
			if cand == "TFs" {
				ratio[m] = s.AUPRCRatio
			}
			t.Logf("sim %d views × %d cells, %d genes, %d TFs, candidates %s: %-8s AUPRC ratio %.2f (per view%s) EPR %.2f AUROC %.3f signed ratio %.2f [%v]",
				len(views), c.Cells, c.Genes, c.Regulators, cand, m, s.AUPRCRatio, per.String(), s.EPR, s.AUROC, signed.AUPRCRatio, el.Round(time.Millisecond))
		}
	}
	if d := DefaultOptions().Method; ratio[d] < ratio[Pearson] {
		t.Errorf("default %s: AUPRC ratio %.2f below |Pearson| %.2f", d, ratio[d], ratio[Pearson])
	}
}
