package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genestore/index"
	"genestore/query/cluster"
	"genestore/query/eval"
	"genestore/store"
	"genestore/train/sim"
	"genestore/vocab"
)

// TestAppendFillMissingLabelTransfer trains the cell and expression models
// on two simulated datasets, removes half of the third dataset's genes,
// and appends it twice — zero-filling the missing genes and predicting
// them — measuring label-transfer macro-F1 from the first two datasets'
// cells to the appended ones.
func TestAppendFillMissingLabelTransfer(t *testing.T) {
	ctx := context.Background()
	cfg := smallSim()
	s, err := sim.Generate(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "base.db")
	db := openAt(t, base)
	for _, d := range s.Datasets[:2] {
		if _, err := db.AddDataset(ctx, d.Name, simDataset(d), store.AddOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	co := DefaultCellOptions()
	co.Model.Epochs, co.Model.Latent, co.Model.Hidden, co.Model.Seed = 40, 8, 64, 1
	if _, err := TrainCells(ctx, db, co, nil, nil); err != nil {
		t.Fatal(err)
	}
	eo := DefaultExprOptions()
	eo.AutoLandmarks = 60
	eo.Model.Hidden, eo.Model.Epochs, eo.Model.Threads = []int{64}, 60, 2
	er, err := TrainExpr(ctx, db, eo, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	// The third dataset without a random half of its genes, three draws.
	last := s.Datasets[2]
	f1 := map[string]float64{}
	const draws = 3
	for seed := range uint64(draws) {
		ds := simDataset(last)
		rng := rand.New(rand.NewPCG(seed, 5))
		var keep []int
		for j := range ds.Genes {
			if rng.IntN(2) == 0 {
				keep = append(keep, j)
			}
		}
		genes := ds.Genes
		ds.Genes = nil
		for _, j := range keep {
			ds.Genes = append(ds.Genes, genes[j])
		}
		ds.X = ds.X.SelectCols(keep)
		for _, mode := range []string{FillZero, FillPredict} {
			path := filepath.Join(dir, fmt.Sprint(mode, seed, ".db"))
			copyFile(t, base, path)
			db := openAt(t, path)
			var log bytes.Buffer
			res, err := Append(ctx, db, last.Name, ds, AppendOptions{Seed: 3, Index: index.DefaultOptions(), FillMissing: mode}, &log)
			if err != nil {
				db.Close()
				t.Fatal(err)
			}
			if (mode == FillPredict) != (res.FilledGenes > 0) {
				t.Errorf("%s: %d genes filled\n%s", mode, res.FilledGenes, log.String())
			}
			if mode == FillPredict && !strings.Contains(log.String(), "missing genes of the cell model predicted by "+er.ModelVersion) {
				t.Errorf("log does not report the fill:\n%s", log.String())
			}
			f := transferF1(t, db, s, vocab.SpaceCells)
			f1[mode] += f / draws
			t.Logf("draw %d, %d of %d genes removed, %s: %d genes predicted; label-transfer macro-F1 %.3f", seed, len(genes)-len(keep), len(genes), mode, res.FilledGenes, f)
			db.Close()
		}
	}
	t.Logf("half the genes removed, mean of %d draws: macro-F1 zero-fill %.3f, predicted %.3f", draws, f1[FillZero], f1[FillPredict])
	if f1[FillPredict] < f1[FillZero]-0.02 {
		t.Errorf("predicting the missing genes lowered macro-F1: %.3f vs zero-fill %.3f", f1[FillPredict], f1[FillZero])
	}
}

// transferF1 is the kNN label-transfer macro-F1 from all datasets but the
// last to the last, over a cell space (Euclidean, 15 neighbours).
func transferF1(t *testing.T, db *store.DB, s *sim.Simulation, space string) float64 {
	t.Helper()
	var ref, q []float32
	var refLab []string
	var dim int
	err := db.View(func(tx *store.Tx) error {
		for i, d := range s.Datasets {
			info, err := tx.DatasetByName(d.Name)
			if err != nil {
				return err
			}
			_, dd, v, err := tx.Embeddings(space, info.ID)
			if err != nil {
				return err
			}
			dim = dd
			if i == len(s.Datasets)-1 {
				q = v
			} else {
				ref = append(ref, v...)
				refLab = append(refLab, d.CellTypes...)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pred, err := eval.KNNTransfer(ref, refLab, q, dim, 15, cluster.Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	f, err := eval.MacroF1(s.Datasets[len(s.Datasets)-1].CellTypes, pred)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
