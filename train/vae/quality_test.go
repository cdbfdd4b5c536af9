package vae

import (
	"context"
	"testing"
	"time"

	"genestore/train/baseline"
	"genestore/train/sim"
)

// TestIntegrationOnSimulation trains on 3 simulated batches × 8 cell types
// with a strong batch effect and checks the acceptance figures: NMI
// ≥ 0.8, batch ASW ≥ 0.85, and better batch mixing than PCA.
func TestIntegrationOnSimulation(t *testing.T) {
	cfg := sim.DefaultConfig()
	cfg.Cells, cfg.Genes = 500, 1000
	nHVG, epochs := 600, 60
	if *long {
		cfg.Cells, cfg.Genes = 2000, 2000
		nHVG, epochs = 2000, 0
	}
	in, types := simInput(t, cfg, nHVG)
	t0 := time.Now()
	o := DefaultOptions()
	o.Epochs, o.Seed = epochs, 1
	m, rep, err := Train(context.Background(), in, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("trained %d × %d in %v: %d epochs (best %d), %.0f cells/s, held-out loss %.1f",
		in.X.Rows, in.X.Cols, time.Since(t0).Round(time.Millisecond), rep.Epochs, rep.BestEpoch,
		rep.CellsPerSec, rep.HeldOutLoss[len(rep.HeldOutLoss)-1])
	emb, err := m.Embed(context.Background(), in.X, in.Batch)
	if err != nil {
		t.Fatal(err)
	}
	vs := integration(t, emb, m.Latent(), types, in.Batch, len(in.BatchNames))
	pca, err := baseline.PCA(context.Background(), logNorm(in.X), 32, 1)
	if err != nil {
		t.Fatal(err)
	}
	ps := integration(t, pca.CellScores, 32, types, in.Batch, len(in.BatchNames))
	t.Logf("vae: NMI %.3f ARI %.3f label ASW %.3f batch ASW %.3f iLISI %.3f", vs.NMI, vs.ARI, vs.LabelASW, vs.BatchASW, vs.ILISI)
	t.Logf("pca: NMI %.3f ARI %.3f label ASW %.3f batch ASW %.3f iLISI %.3f", ps.NMI, ps.ARI, ps.LabelASW, ps.BatchASW, ps.ILISI)
	if vs.NMI < 0.8 {
		t.Errorf("NMI %.3f < 0.8", vs.NMI)
	}
	if vs.BatchASW < 0.85 {
		t.Errorf("batch ASW %.3f < 0.85", vs.BatchASW)
	}
	if vs.ILISI <= ps.ILISI || vs.BatchASW <= ps.BatchASW {
		t.Errorf("batch mixing not better than PCA: iLISI %.3f vs %.3f, batch ASW %.3f vs %.3f", vs.ILISI, ps.ILISI, vs.BatchASW, ps.BatchASW)
	}
}
