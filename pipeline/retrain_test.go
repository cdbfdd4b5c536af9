package pipeline

import (
	"context"
	"testing"

	"genestore/query/cluster"
	"genestore/query/eval"
	"genestore/store"
	"genestore/train/sim"
	"genestore/vocab"

	"genestore/internal/cputime"
)

// appendStats compares appending the last dataset of a simulation to a
// store trained on the others with retraining on all of them.
type appendStats struct {
	appendCPU, retrainCPU float64 // CPU-seconds of the append / of the full retrain (both models)
	ariAppend, ariRetrain float64 // module-recovery ARI of the new dataset's gene vectors
	f1Append, f1Retrain   float64 // label-transfer macro-F1 of the new dataset's cells from the others
}

func fullOptions() (GeneOptions, CellOptions) {
	g := DefaultGeneOptions()
	g.Model.Seed = 1
	c := DefaultCellOptions()
	c.Model.Seed = 1
	return g, c
}

func newDatasetScores(t testing.TB, db *store.DB, s *sim.Simulation) (ari, f1 float64) {
	ctx := context.Background()
	last := s.Datasets[len(s.Datasets)-1]
	err := db.View(func(tx *store.Tx) error {
		info, err := tx.DatasetByName(last.Name)
		if err != nil {
			return err
		}
		// Gene vectors of the new dataset against its (rewired) modules.
		ids, dim, vecs, err := tx.Embeddings(vocab.SpaceGenes, info.ID)
		if err != nil {
			return err
		}
		truth := map[string]int{}
		for i, m := range s.Truth.DatasetModule[last.Name] {
			if m >= 0 {
				truth[last.Genes[i]] = m
			}
		}
		gs := geneSet{dim: dim, vecs: vecs}
		for _, id := range ids {
			g, err := tx.Gene(id)
			if err != nil {
				return err
			}
			gs.genes = append(gs.genes, g.Symbol)
		}
		ari, _ = moduleARI(ctx, gs, truth, 1)
		// Cells: kNN transfer from the other datasets.
		var ref []float32
		var refLab []string
		for _, d := range s.Datasets[:len(s.Datasets)-1] {
			di, err := tx.DatasetByName(d.Name)
			if err != nil {
				return err
			}
			_, _, v, err := tx.Embeddings(vocab.SpaceCells, di.ID)
			if err != nil {
				return err
			}
			ref = append(ref, v...)
			refLab = append(refLab, d.CellTypes...)
		}
		_, cdim, q, err := tx.Embeddings(vocab.SpaceCells, info.ID)
		if err != nil {
			return err
		}
		pred, err := eval.KNNTransfer(ref, refLab, q, cdim, 15, cluster.Euclidean)
		if err != nil {
			return err
		}
		f1, err = eval.MacroF1(last.CellTypes, pred)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ari, f1
}

func measureAppendVsRetrain(t testing.TB, cfg sim.Config) appendStats {
	ctx := context.Background()
	s, err := sim.Generate(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := len(s.Datasets)
	build := func(k int) *store.DB {
		db := openAt(t, t.TempDir()+"/s.db")
		for _, d := range s.Datasets[:k] {
			if _, err := db.AddDataset(ctx, d.Name, simDataset(d), store.AddOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		return db
	}
	train := func(db *store.DB) {
		g, c := fullOptions()
		if _, err := TrainGenes(ctx, db, g, nil, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := TrainCells(ctx, db, c, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	var st appendStats
	db := build(n - 1)
	defer db.Close()
	train(db)
	c0 := cputime.Seconds()
	if _, err := Append(ctx, db, s.Datasets[n-1].Name, simDataset(s.Datasets[n-1]), AppendOptions{Seed: 1}, nil); err != nil {
		t.Fatal(err)
	}
	st.appendCPU = cputime.Seconds() - c0
	st.ariAppend, st.f1Append = newDatasetScores(t, db, s)

	full := build(n)
	defer full.Close()
	c0 = cputime.Seconds()
	train(full)
	st.retrainCPU = cputime.Seconds() - c0
	st.ariRetrain, st.f1Retrain = newDatasetScores(t, full, s)
	return st
}

// TestAppendQualityMatchesRetrain is issue 7's acceptance check on the
// simulator (3 datasets trained, a fourth appended): the appended dataset's
// module ARI and label-transfer macro-F1 are within 0.05 of a full retrain
// on all four, at a fraction of its cost. It trains four models: -long only.
func TestAppendQualityMatchesRetrain(t *testing.T) {
	if !*long {
		t.Skip("trains two full models; run with -long")
	}
	cfg := sim.DefaultConfig()
	cfg.Datasets = 4
	st := measureAppendVsRetrain(t, cfg)
	t.Logf("append %.1f CPU-s vs retrain %.1f CPU-s (%.1f%%); module ARI %.3f vs %.3f; macro-F1 %.3f vs %.3f",
		st.appendCPU, st.retrainCPU, 100*st.appendCPU/st.retrainCPU, st.ariAppend, st.ariRetrain, st.f1Append, st.f1Retrain)
	if st.ariAppend < st.ariRetrain-0.05 {
		t.Errorf("module ARI after append %.3f, retrain %.3f", st.ariAppend, st.ariRetrain)
	}
	if st.f1Append < st.f1Retrain-0.05 {
		t.Errorf("macro-F1 after append %.3f, retrain %.3f", st.f1Append, st.f1Retrain)
	}
}

// BenchmarkAppendVsRetrain reports the cost of an append against a full
// retrain (CPU-seconds, both models) and the appended dataset's quality.
func BenchmarkAppendVsRetrain(b *testing.B) {
	cfg := sim.DefaultConfig()
	cfg.Datasets = 4
	if !*long {
		cfg.Cells, cfg.Genes = 500, 600
	}
	for range b.N {
		st := measureAppendVsRetrain(b, cfg)
		b.ReportMetric(st.appendCPU, "append_cpu_s")
		b.ReportMetric(st.retrainCPU, "retrain_cpu_s")
		b.ReportMetric(st.appendCPU/st.retrainCPU, "append/retrain")
		b.ReportMetric(st.ariAppend, "ari_append")
		b.ReportMetric(st.ariRetrain, "ari_retrain")
		b.ReportMetric(st.f1Append, "f1_append")
		b.ReportMetric(st.f1Retrain, "f1_retrain")
	}
}
