package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"genestore/index"
	"genestore/internal/pipeline"
	"genestore/internal/vecindex"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/train/sim"
)

type demoOptions struct {
	data  string // folder of the shipped sample data
	out   string // demo store path
	quick bool   // fewer epochs (tests)
}

func newDemoCommand(g *globalOptions) *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Build a store from the shipped sample data and print example queries",
		Long: `demo builds a store from the real sample data in testdata/sample (two PBMC
subsets of one 10x run and a mouse lung FPKM h5ad) plus two small simulated
datasets, trains the gene and cell models, and prints one example of each kind
of query. The store is kept (--out) so you can go on querying it:

  genestore --store genestore-demo.db neighbors --gene CD79A`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.data, "data", filepath.Join("testdata", "sample"), "sample data folder")
	f.StringVar(&o.out, "out", "genestore-demo.db", "demo store file (replaced if it is a genestore store)")
	f.BoolVar(&o.quick, "quick", false, "train briefly (for tests)")
	return cmd
}

func runDemo(ctx context.Context, w, log io.Writer, g *globalOptions, o *demoOptions) error {
	start := time.Now()
	if _, err := os.Stat(filepath.Join(o.data, "pbmc_small")); err != nil {
		return fmt.Errorf("demo: sample data not found under %s (run from the repository root or pass --data): %w", o.data, err)
	}
	if err := removeOldDemo(o.out); err != nil {
		return err
	}
	opts := store.DefaultOptions()
	db, err := store.Open(o.out, opts)
	if err != nil {
		return err
	}
	defer db.Close()

	section(w, "1. Ingest real sample data and a small simulation")
	simDir, err := os.MkdirTemp("", "genestore-demo-sim-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(simDir)
	cfg := sim.DefaultConfig()
	cfg.Datasets, cfg.Cells, cfg.Genes, cfg.Modules, cfg.CellTypes, cfg.Seed = 2, 300, 400, 8, 4, 1
	if err := sim.WriteDir(ctx, cfg, simDir, nil); err != nil {
		return err
	}
	inputs := []struct{ name, path string }{
		{"pbmc_small", filepath.Join(o.data, "pbmc_small")},
		{"pbmc3k_sct283", filepath.Join(o.data, "pbmc3k_sct283")},
		{"lung_mouse", filepath.Join(o.data, "lung_treutlein2014_mouse", "lung_treutlein2014_mouse.h5ad")},
		{"sim_D1", filepath.Join(simDir, "D1")},
		{"sim_D2", filepath.Join(simDir, "D2")},
	}
	for _, in := range inputs {
		ds, err := ingest.Read(ctx, in.path, ingest.DefaultOptions())
		if err != nil {
			return err
		}
		if _, err := db.AddDataset(ctx, in.name, ds, store.AddOptions{}); err != nil {
			return err
		}
	}
	list, err := db.Datasets()
	if err != nil {
		return err
	}
	for _, d := range list {
		fmt.Fprintf(w, "  %-14s %-5s %-10s %5d cells × %5d genes, %7d nonzeros\n", d.Name, d.Format, d.Values, d.Cells, d.Genes, d.NNZ)
	}

	section(w, "2. Train gene embeddings across the three real datasets (MuSe-GNN recipe)")
	gopts := pipeline.DefaultGeneOptions()
	gopts.Datasets = []string{"pbmc_small", "pbmc3k_sct283", "lung_mouse"}
	gopts.Model.Seed = 1
	if o.quick {
		gopts.Model.Epochs = 20
	}
	gres, err := pipeline.TrainGenes(ctx, db, gopts, nil, nil)
	if err != nil {
		return err
	}
	for _, d := range gres.Datasets {
		fmt.Fprintf(w, "  %-14s %4d genes embedded, %6d co-expression edges\n", d.Name, d.Genes, d.Edges)
	}
	fmt.Fprintf(w, "  model %s: %d epochs (best %d), %d consensus gene vectors\n",
		gres.ModelVersion, len(gres.Log), gres.BestEpoch, gres.Consensus)

	section(w, "3. Train batch-aware cell embeddings on the two PBMC datasets (conditional VAE)")
	copts := pipeline.DefaultCellOptions()
	copts.Datasets = []string{"pbmc_small", "pbmc3k_sct283"}
	copts.Model.Seed = 1
	if o.quick {
		copts.Model.Epochs = 10
	}
	cres, err := pipeline.TrainCells(ctx, db, copts, nil, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  model %s: %d cells, %d genes, %d batches, %s likelihood, %d epochs\n",
		cres.ModelVersion, cres.Cells, cres.Genes, len(cres.Batches), cres.Likelihood, cres.Report.Epochs)

	section(w, "4. Nearest genes (consensus vectors, cosine similarity)")
	for _, sym := range []string{"CD79A", "LYZ", "NKG7"} {
		if err := demoNearestGenes(ctx, w, db, sym, 6); err != nil {
			return err
		}
	}

	section(w, "5. Co-expression partners of CD79A in each dataset")
	if err := demoPartners(w, db, "CD79A", 5); err != nil {
		return err
	}

	section(w, "6. Nearest cells across the two PBMC datasets")
	if err := demoNearestCells(ctx, w, db, "pbmc_small", 0, 5); err != nil {
		return err
	}

	fmt.Fprintf(w, "\nDone in %.1fs. The store is %s; try:\n  go run ./cmd/genestore --store %s datasets\n",
		time.Since(start).Seconds(), o.out, o.out)
	return nil
}

func section(w io.Writer, title string) { fmt.Fprintf(w, "\n== %s\n", title) }

// removeOldDemo deletes path when it is a genestore store (a previous demo)
// and refuses to touch any other file.
func removeOldDemo(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	ro := store.DefaultOptions()
	ro.ReadOnly = true
	db, err := store.Open(path, ro)
	if err != nil {
		return fmt.Errorf("demo: %s exists and is not a genestore store I may replace: %w", path, err)
	}
	db.Close()
	return os.Remove(path)
}

func demoNearestGenes(ctx context.Context, w io.Writer, db *store.DB, symbol string, k int) error {
	ix, err := vecindex.Load(ctx, db, pipeline.SpaceGenes, index.DefaultOptions(), nil)
	if err != nil {
		return err
	}
	var q []float32
	var id uint32
	err = db.View(func(tx *store.Tx) error {
		gs, err := tx.GenesBySymbol(symbol)
		if err != nil || len(gs) == 0 {
			return fmt.Errorf("gene %s: not in the store", symbol)
		}
		id = gs[0].ID
		q, err = tx.Embedding(pipeline.SpaceGenes, store.Consensus, id)
		return err
	})
	if err != nil {
		fmt.Fprintf(w, "  %s: %v\n", symbol, err)
		return nil
	}
	res, err := ix.Search(ctx, q, k+1, index.SearchOptions{Filter: func(key uint64) bool {
		ds, _ := store.SplitEntityKey(key)
		return ds == store.Consensus
	}})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  %-6s →", symbol)
	return db.View(func(tx *store.Tx) error {
		for _, r := range res {
			_, gid := store.SplitEntityKey(r.Key)
			if gid == id {
				continue
			}
			gi, err := tx.Gene(gid)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, " %s %.2f", gi.Symbol, 1-r.Distance)
		}
		fmt.Fprintln(w)
		return nil
	})
}

func demoPartners(w io.Writer, db *store.DB, symbol string, k int) error {
	return db.View(func(tx *store.Tx) error {
		gs, err := tx.GenesBySymbol(symbol)
		if err != nil || len(gs) == 0 {
			return fmt.Errorf("gene %s: not in the store", symbol)
		}
		list, err := tx.Datasets()
		if err != nil {
			return err
		}
		for _, d := range list {
			edges, err := tx.Partners(d.ID, gs[0].ID)
			if err != nil || len(edges) == 0 {
				continue
			}
			sort.Slice(edges, func(i, j int) bool { return abs32(edges[i].Weight) > abs32(edges[j].Weight) })
			fmt.Fprintf(w, "  %-14s", d.Name)
			for _, e := range edges[:min(k, len(edges))] {
				gi, err := tx.Gene(e.B)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, " %s %+.2f", gi.Symbol, e.Weight)
			}
			fmt.Fprintln(w)
		}
		return nil
	})
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

func demoNearestCells(ctx context.Context, w io.Writer, db *store.DB, dataset string, cell uint32, k int) error {
	ix, err := vecindex.Load(ctx, db, pipeline.SpaceCells, index.DefaultOptions(), nil)
	if err != nil {
		return err
	}
	var q []float32
	var barcode string
	var dsID uint32
	err = db.View(func(tx *store.Tx) error {
		d, err := tx.DatasetByName(dataset)
		if err != nil {
			return err
		}
		dsID = d.ID
		bcs, err := tx.Barcodes(d.ID)
		if err != nil {
			return err
		}
		barcode = bcs[cell]
		q, err = tx.Embedding(pipeline.SpaceCells, d.ID, cell)
		return err
	})
	if err != nil {
		return err
	}
	res, err := ix.Search(ctx, q, k+1, index.SearchOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  %s/%s →\n", dataset, barcode)
	return db.View(func(tx *store.Tx) error {
		for _, r := range res {
			ds, c := store.SplitEntityKey(r.Key)
			if ds == dsID && c == cell {
				continue
			}
			d, err := tx.DatasetByID(ds)
			if err != nil {
				return err
			}
			bcs, err := tx.Barcodes(ds)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "    %s/%s  cosine %.3f\n", d.Name, bcs[c], 1-r.Distance)
		}
		return nil
	})
}
