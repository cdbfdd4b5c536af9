package pipeline

import (
	"context"
	"testing"

	"genestore/train/sim"
)

// TestEvalFill is issue 19's bar on the simulator: with half the query's
// genes removed, label transfer through "annotate cells --fill-missing
// predict" scores at least the macro-F1 of zero-filling.
func TestEvalFill(t *testing.T) {
	ctx := context.Background()
	s, err := sim.Generate(ctx, smallSim())
	if err != nil {
		t.Fatal(err)
	}
	var refs []NamedDataset
	for _, d := range s.Datasets[:2] {
		refs = append(refs, NamedDataset{d.Name, simDataset(d)})
	}
	last := s.Datasets[2]
	o := FillEvalOptions{Label: "cell_type", Draws: 2, Seed: 3, Cells: DefaultCellOptions(), Expr: DefaultExprOptions()}
	o.Cells.Model.Epochs, o.Cells.Model.Latent, o.Cells.Model.Hidden, o.Cells.Model.Seed = 40, 8, 64, 1
	o.Expr.AutoLandmarks = 60
	o.Expr.Model.Hidden, o.Expr.Model.Epochs, o.Expr.Model.Threads = []int{64}, 60, 2
	r, err := EvalFill(ctx, t.TempDir(), refs, NamedDataset{last.Name, simDataset(last)}, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range r.Draws {
		t.Logf("draw %d: %d of %d genes removed, macro-F1 zero-fill %.3f, predicted (%d genes) %.3f", i, d.Removed, r.Genes, d.Zero, d.Predicted, d.Predict)
		if d.Predicted == 0 {
			t.Errorf("draw %d: no gene predicted", i)
		}
	}
	t.Logf("simulator, half the query's genes removed: macro-F1 every gene %.3f, zero-fill %.3f, predicted %.3f", r.Full, r.Zero, r.Predict)
	if r.Predict < r.Zero {
		t.Errorf("predicted fill macro-F1 %.3f < zero fill %.3f", r.Predict, r.Zero)
	}
}
