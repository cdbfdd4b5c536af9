package pipeline

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"genestore/index"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/train/fromgenes"
	"genestore/vecindex"
	"genestore/vocab"
)

// TestCellsFromGenes: every cell of every dataset gets a vector in the
// gene space's dimension, the index holds them, and they carry the cell
// types: labels transferred from D1 and D2 to D3 by 15 nearest neighbours.
// A run naming one dataset embeds the held ones again; a refused run leaves
// the store unchanged.
func TestCellsFromGenes(t *testing.T) {
	ctx := context.Background()
	db, s := simStore(t, smallSim())
	trainSmallGenes(t, db, 30)
	if _, err := CellsFromGenes(ctx, db, CellsFromGenesOptions{Weight: "mean"}, nil); err == nil {
		t.Fatal("unknown weight accepted")
	}
	res, err := CellsFromGenes(ctx, db, CellsFromGenesOptions{Index: index.DefaultOptions()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Weight != fromgenes.Scaled || res.Dim != 8 || len(res.Datasets) != 3 || res.SharedGenes < 100 || res.SharedGenes > 300 {
		t.Fatalf("result %+v", res)
	}
	for _, d := range res.Datasets {
		if d.Embedded != d.Cells || d.Genes < 100 {
			t.Errorf("%s: %d of %d cells, %d genes", d.Name, d.Embedded, d.Cells, d.Genes)
		}
	}
	var log logBuf
	ix, err := vecindex.Load(ctx, db, vocab.SpaceCellsFromGenes, index.DefaultOptions(), &log)
	if err != nil {
		t.Fatal(err)
	}
	if log.n != 0 || ix.Len() != 1200 {
		t.Fatalf("index: %d vectors, rebuilt on load %v", ix.Len(), log.n != 0)
	}

	// Label transfer D1+D2 → D3 (the stored vectors have unit length).
	f1 := transferF1(t, db, s, vocab.SpaceCellsFromGenes)
	t.Logf("transfer macro-F1 D1,D2 → D3: %.3f", f1)
	if f1 < 0.8 {
		t.Errorf("transfer macro-F1 %.3f, want ≥ 0.8", f1)
	}

	// One dataset named: the datasets the space holds are embedded again
	// with the same consensus, so their vectors do not change.
	before := setVectors(t, db, "D1")
	res, err = CellsFromGenes(ctx, db, CellsFromGenesOptions{Datasets: []string{"D3"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Datasets) != 3 || res.Datasets[0].Name != "D3" {
		t.Fatalf("datasets %+v", res.Datasets)
	}
	if !slices.Equal(before, setVectors(t, db, "D1")) {
		t.Fatal("D1's vectors changed")
	}
	if ix, err = vecindex.Load(ctx, db, vocab.SpaceCellsFromGenes, index.DefaultOptions(), &log); err != nil || ix.Len() != 1200 || log.n != 0 {
		t.Fatalf("index after a one-dataset run: %v, %v", ix, err)
	}

	// Refused: the store is unchanged.
	d0, err := db.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CellsFromGenes(ctx, db, CellsFromGenesOptions{Datasets: []string{"D3", "nope"}}, nil); err == nil {
		t.Fatal("unknown dataset accepted")
	}
	if d1, err := db.Digest(); err != nil || d1 != d0 {
		t.Fatalf("store changed by a refused run (%v)", err)
	}

	// Another weight: every set is written again under the new version.
	res, err = CellsFromGenes(ctx, db, CellsFromGenesOptions{Datasets: []string{"D3"}, Weight: fromgenes.Expression}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *store.Tx) error {
		sp, err := tx.Space(vocab.SpaceCellsFromGenes)
		if err != nil {
			return err
		}
		if len(sp.Sets) != 3 {
			t.Errorf("%d sets, want 3", len(sp.Sets))
		}
		for _, set := range sp.Sets {
			if set.Provenance.ModelVersion != res.ModelVersion {
				t.Errorf("set of %d: version %q, want %q", set.Dataset, set.Provenance.ModelVersion, res.ModelVersion)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCellsFromGenesNeedsGenes: without a gene model there is nothing to
// embed from.
func TestCellsFromGenesNeedsGenes(t *testing.T) {
	db, _ := simStore(t, smallSim(), 1)
	if _, err := CellsFromGenes(context.Background(), db, CellsFromGenesOptions{}, nil); !errors.Is(err, ErrNoData) {
		t.Fatalf("err = %v, want ErrNoData", err)
	}
}

func setVectors(t *testing.T, db *store.DB, name string) []float32 {
	t.Helper()
	var v []float32
	err := db.View(func(tx *store.Tx) error {
		info, err := tx.DatasetByName(name)
		if err != nil {
			return err
		}
		_, _, v, err = tx.Embeddings(vocab.SpaceCellsFromGenes, info.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCellsFromGenesSharedGenes: a dataset measuring half the genes makes
// every dataset's cells be built on that half, so its cells find
// neighbours of their own type in the other datasets (with each dataset's
// own genes they would sit apart).
func TestCellsFromGenesSharedGenes(t *testing.T) {
	ctx := context.Background()
	db, s := simStore(t, smallSim(), 2)
	trainSmallGenes(t, db, 30)
	d3 := s.Datasets[2]
	half := make([]int, 0, len(d3.Genes)/2)
	for j := 0; j < len(d3.Genes); j += 2 {
		half = append(half, j)
	}
	ds := simDataset(d3)
	ds.X = d3.X.SelectCols(half)
	ds.Genes = nil
	for _, j := range half {
		ds.Genes = append(ds.Genes, ingest.Gene{ID: d3.Genes[j], Symbol: d3.Genes[j]})
	}
	full, err := CellsFromGenes(ctx, db, CellsFromGenesOptions{Datasets: []string{"D1", "D2"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Appended to the gene model; the append says how to embed it here.
	var log strings.Builder
	if _, err := Append(ctx, db, "D3", ds, AppendOptions{}, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "genestore train cells-from-genes --datasets D3") {
		t.Errorf("append log lacks the cells-from-genes hint:\n%s", log.String())
	}
	res, err := CellsFromGenes(ctx, db, CellsFromGenesOptions{Datasets: []string{"D3"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Datasets) != 3 || res.SharedGenes >= full.SharedGenes || res.SharedGenes > len(half) {
		t.Fatalf("shared genes %d (D1, D2 alone: %d; D3 measures %d)", res.SharedGenes, full.SharedGenes, len(half))
	}
	f1 := transferF1(t, db, s, vocab.SpaceCellsFromGenes)
	t.Logf("shared genes %d; transfer macro-F1 D1,D2 → D3 (half the genes): %.3f", res.SharedGenes, f1)
	if f1 < 0.8 {
		t.Errorf("transfer macro-F1 %.3f, want ≥ 0.8", f1)
	}
}

// TestCellsFromGenesUnitLength: the stored vectors have unit length.
func TestCellsFromGenesUnitLength(t *testing.T) {
	ctx := context.Background()
	db, _ := simStore(t, smallSim(), 2)
	trainSmallGenes(t, db, 5)
	for _, w := range fromgenes.Weights() {
		if _, err := CellsFromGenes(ctx, db, CellsFromGenesOptions{Weight: w}, nil); err != nil {
			t.Fatal(err)
		}
		for _, v := range [][]float32{setVectors(t, db, "D1"), setVectors(t, db, "D2")} {
			for i := 0; i < len(v); i += 8 {
				n := 0.0
				for _, x := range v[i : i+8] {
					n += float64(x) * float64(x)
				}
				if math.Abs(n-1) > 1e-5 {
					t.Fatalf("%s: vector %d has squared norm %g", w, i/8, n)
				}
			}
		}
	}
}
