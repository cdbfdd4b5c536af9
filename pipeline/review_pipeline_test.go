package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"genestore/internal/sparse"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/train/prep"
	"genestore/train/vae"
	"genestore/vocab"
)

// denseDataset builds an ingest.Dataset of values (cells × genes, row-major)
// with genes G0, G1, … and barcodes c0, c1, ….
func denseDataset(cells, genes int, values vocab.ValueType, at func(c, g int) float32) *ingest.Dataset {
	x := &sparse.CSR{Rows: cells, Cols: genes, Indptr: []int64{0}}
	ds := &ingest.Dataset{Format: "test", Source: "test", Values: values, X: x}
	for c := range cells {
		for g := range genes {
			if v := at(c, g); v != 0 {
				x.Indices = append(x.Indices, int32(g))
				x.Data = append(x.Data, v)
			}
		}
		x.Indptr = append(x.Indptr, int64(len(x.Data)))
		ds.Barcodes = append(ds.Barcodes, fmt.Sprintf("c%d", c))
	}
	for g := range genes {
		s := fmt.Sprintf("G%d", g)
		ds.Genes = append(ds.Genes, ingest.Gene{ID: s, Symbol: s})
	}
	return ds
}

// TestPrepareGRNRanksUndefinedDispersionLast: a gene whose dispersion is
// undefined (never expressed: HVGScores gives NaN) must rank last, not
// stop the genes after it from being ranked by their variability.
func TestPrepareGRNRanksUndefinedDispersionLast(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	const cells, genes, keep = 60, 30, 8
	ds := denseDataset(cells, genes, vocab.Log, func(c, g int) float32 {
		if g == 1 {
			return 0 // never expressed: NaN dispersion
		}
		return float32(rng.Float64() * float64(g+1) / 10)
	})
	db := openAt(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	if _, err := db.AddDataset(ctx, "D", ds, store.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	o := DefaultGRNOptions()
	o.Genes, o.MinCells = keep, 2
	in, err := PrepareGRN(ctx, db, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := prep.HVG(ds.X, vocab.Log, keep)
	if err != nil {
		t.Fatal(err)
	}
	var wantSyms []string
	for _, c := range want {
		wantSyms = append(wantSyms, ds.Genes[c].Symbol)
	}
	got := slices.Clone(in.Symbols)
	slices.Sort(got)
	slices.Sort(wantSyms)
	if !slices.Equal(got, wantSyms) {
		t.Errorf("grn genes %v, want the %d most variable %v", got, keep, wantSyms)
	}
}

// TestEvalAfterOnlyDatasetDropped: once the only dataset a model was
// trained on is dropped, its space holds no dataset's vectors; evaluating
// must say so, not evaluate (or index into) the datasets the store holds
// besides.
func TestEvalAfterOnlyDatasetDropped(t *testing.T) {
	ctx := context.Background()
	cfg := smallSim()
	cfg.Datasets, cfg.Cells = 2, 150
	db, _ := simStore(t, cfg)
	g := DefaultGeneOptions()
	g.Datasets = []string{"D1"}
	g.HVG, g.Model.Epochs, g.Model.Dim, g.Model.Hidden, g.Model.Seed = 100, 3, 8, 16, 1
	if _, err := TrainGenes(ctx, db, g, nil, nil); err != nil {
		t.Fatal(err)
	}
	c := DefaultCellOptions()
	c.Datasets = []string{"D1"}
	c.Model.Epochs, c.Model.Latent, c.Model.Hidden, c.Model.Seed = 3, 4, 16, 1
	if _, err := TrainCells(ctx, db, c, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Drop(ctx, db, "D1", DropOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	t.Run("genes", func(t *testing.T) {
		_, err := EvalGenes(ctx, db, GeneEvalOptions{Seed: 1}, nil)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("EvalGenes on a gene space without a dataset's vectors: %v, want ErrNotFound", err)
		}
	})
	t.Run("cells", func(t *testing.T) {
		_, err := EvalCells(ctx, db, CellEvalOptions{Label: "cell_type", Seed: 1}, nil)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("EvalCells on a cell space without a dataset's vectors: %v, want ErrNotFound", err)
		}
	})
}

// TestTrainCellsErrorNamesDataset: a dataset the highly-variable-gene
// ranking cannot score (one cell) must be named in the error.
func TestTrainCellsErrorNamesDataset(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, d := range []struct {
		name  string
		cells int
	}{{"big", 40}, {"single-cell", 1}} {
		ds := denseDataset(d.cells, 20, vocab.Counts, func(c, g int) float32 { return float32(rng.IntN(5)) })
		if _, err := db.AddDataset(ctx, d.name, ds, store.AddOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	o := DefaultCellOptions()
	o.HVG, o.Model.Epochs, o.Model.Latent, o.Model.Hidden = 10, 1, 2, 8
	_, err := TrainCells(ctx, db, o, nil, nil)
	if err == nil || !strings.Contains(err.Error(), `"single-cell"`) {
		t.Errorf("TrainCells with a one-cell dataset: error %v, want one naming it", err)
	}
}

// TestDropRenameTouchOnlyTheDatasetsBatches: dataset names may hold "/",
// so dataset "A/x" is not a batch of dataset "A": dropping or renaming "A"
// must leave the cell model's batch "A/x" alone.
func TestDropRenameTouchOnlyTheDatasetsBatches(t *testing.T) {
	for _, tc := range []struct {
		op       string
		batchKey string   // trained with
		want     []string // the cell model's batches after it
	}{
		{"drop", "", []string{"A/x"}},
		{"rename", "", []string{"B", "A/x"}},
		{"drop", "sub", []string{"A/x/0", "A/x/1"}},
		{"rename", "sub", []string{"B/0", "B/1", "A/x/0", "A/x/1"}},
	} {
		t.Run(tc.op+"/"+tc.batchKey, func(t *testing.T) {
			ctx := context.Background()
			db := openAt(t, filepath.Join(t.TempDir(), "s.db"))
			defer db.Close()
			rng := rand.New(rand.NewPCG(5, 6))
			for _, name := range []string{"A", "A/x"} {
				ds := denseDataset(40, 20, vocab.Counts, func(c, g int) float32 { return float32(rng.IntN(6)) })
				sub := make([]string, 40)
				for c := range sub {
					sub[c] = fmt.Sprint(c % 2)
				}
				ds.Obs = []ingest.ObsColumn{{Name: "sub", Categorical: true, Values: sub}}
				if _, err := db.AddDataset(ctx, name, ds, store.AddOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			o := DefaultCellOptions()
			o.BatchKey = tc.batchKey
			o.Model.Epochs, o.Model.Latent, o.Model.Hidden, o.Model.Seed = 2, 2, 8, 1
			if _, err := TrainCells(ctx, db, o, nil, nil); err != nil {
				t.Fatal(err)
			}
			var err error
			if tc.op == "drop" {
				_, err = Drop(ctx, db, "A", DropOptions{}, nil)
			} else {
				_, err = Rename(ctx, db, "A", "B")
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			err = db.View(func(tx *store.Tx) error {
				st, err := loadModel(tx, vocab.SpaceCells, vocab.ModelCells)
				if err != nil || st == nil {
					return fmt.Errorf("cell model: %v", err)
				}
				m := new(vae.Model)
				if err := m.UnmarshalBinary(st.weights); err != nil {
					return err
				}
				got = m.BatchNames()
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("after %s of A the cell model's batches are %q, want %q", tc.op, got, tc.want)
			}
		})
	}
}

// TestDropKeepsConsensusProvenance: dropping a dataset rewrites the
// consensus set; its provenance must stay the consensus's own (the
// training's params with the appended datasets), less the dropped
// dataset, not become the params of whichever dataset's set comes first.
func TestDropKeepsConsensusProvenance(t *testing.T) {
	ctx := context.Background()
	cfg := smallSim()
	cfg.Datasets, cfg.Cells = 4, 150
	db, s := simStore(t, cfg, 2)
	g := DefaultGeneOptions()
	g.HVG, g.Model.Epochs, g.Model.Dim, g.Model.Hidden, g.Model.Seed = 100, 3, 8, 16, 1
	if _, err := TrainGenes(ctx, db, g, nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{2, 3} {
		if _, err := Append(ctx, db, s.Datasets[i].Name, simDataset(s.Datasets[i]), AppendOptions{Seed: 3}, nil); err != nil {
			t.Fatal(err)
		}
	}
	consensus := func() (store.Provenance, map[string]any) {
		var prov store.Provenance
		err := db.View(func(tx *store.Tx) error {
			sp, err := tx.Space(vocab.SpaceGenes)
			if err != nil {
				return err
			}
			set, ok := sp.Set(vocab.Consensus)
			if !ok {
				return fmt.Errorf("no consensus set")
			}
			prov = set.Provenance
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if err := json.Unmarshal(prov.Params, &p); err != nil {
			t.Fatal(err)
		}
		return prov, p
	}
	_, before := consensus()
	for _, name := range []string{"D2", "D4"} { // a trained dataset, then an appended one
		if _, err := Drop(ctx, db, name, DropOptions{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	_, after := consensus()
	for k := range before {
		if _, ok := after[k]; !ok {
			t.Errorf("consensus params lost %q: %v", k, after)
		}
	}
	if a, _ := after["appended"].([]any); len(a) != 1 || a[0] != "D3" {
		t.Errorf("consensus params appended = %v, want [D3]", after["appended"])
	}
}
