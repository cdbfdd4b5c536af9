package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"genestore/internal/sampledata"
	"genestore/pipeline"
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
		Long: `demo builds a store from the real sample data embedded in the binary (two
PBMC subsets of one 10x run and a mouse lung FPKM h5ad; --data reads them from a
folder instead, laid out as internal/sampledata) plus two small simulated
datasets, trains the gene, cell and expression models, and prints one example
of each kind of query (among them a gene pbmc_small never measured, predicted). It works from any folder. The store is kept (--out) so you can go on
querying it:

  genestore --store genestore-demo.db neighbors --gene CD79A`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.data, "data", "", "sample data folder (default: the copy embedded in the binary)")
	f.StringVar(&o.out, "out", "genestore-demo.db", "demo store file (replaced if it is a genestore store)")
	f.BoolVar(&o.quick, "quick", false, "train briefly (for tests)")
	return cmd
}

func runDemo(ctx context.Context, w, log io.Writer, g *globalOptions, o *demoOptions) error {
	start := time.Now()
	data := o.data
	if data == "" {
		// the readers take paths: unpack the embedded copy (about 1 MB)
		dir, err := os.MkdirTemp("", "genestore-demo-data-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if err := sampledata.Extract(dir); err != nil {
			return fmt.Errorf("demo: unpacking the embedded sample data: %w", err)
		}
		data = dir
	}
	if _, err := os.Stat(filepath.Join(data, "pbmc_small")); err != nil {
		return fmt.Errorf("demo: sample data not found under --data %s: %w", data, err)
	}
	if err := removeOldDemo(o.out); err != nil {
		return err
	}
	db, err := store.Open(o.out, storeOptions(g, false))
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
		{"pbmc_small", filepath.Join(data, "pbmc_small")},
		{"pbmc3k_sct283", filepath.Join(data, "pbmc3k_sct283")},
		{"lung_mouse", filepath.Join(data, "lung_treutlein2014_mouse", "lung_treutlein2014_mouse.h5ad")},
		{"sim_D1", filepath.Join(simDir, "D1")},
		{"sim_D2", filepath.Join(simDir, "D2")},
	}
	measured := map[string]map[string]bool{} // dataset → gene symbols
	for _, in := range inputs {
		ds, err := ingest.Read(ctx, in.path, ingest.DefaultOptions())
		if err != nil {
			return err
		}
		measured[in.name] = map[string]bool{}
		for _, g := range ds.Genes {
			measured[in.name][g.Symbol] = true
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

	// The queries run through the CLI verbs themselves, on the closed store,
	// so what is printed is exactly what a user gets from those commands.
	if err := db.Close(); err != nil {
		return err
	}
	// The expression model's landmarks: the genes pbmc_small measures that
	// pbmc3k_sct283 measures too; it predicts the others for pbmc_small.
	var shared []string
	for sym := range measured["pbmc_small"] {
		if measured["pbmc3k_sct283"][sym] {
			shared = append(shared, sym)
		}
	}
	slices.Sort(shared)
	landmarks := filepath.Join(simDir, "pbmc_small_genes.txt")
	if err := os.WriteFile(landmarks, []byte("symbol\n"+strings.Join(shared, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	exprEpochs := "40"
	if o.quick {
		exprEpochs = "10"
	}
	gmt := filepath.Join(data, "go", "human_go_bp.demo.gmt")
	aliases := filepath.Join(data, "go", "human_gene_aliases.demo.tsv")
	steps := []struct {
		title string
		args  []string
	}{
		{"4. Load GO Biological Process gene sets", []string{"annotations", "load", "--gmt", gmt, "--name", "go_bp"}},
		{"   and a gene alias map", []string{"annotations", "load", "--aliases", aliases}},
		{"5. Nearest genes of CD79A (consensus vectors, cosine similarity; any letter case)", []string{"neighbors", "--gene", "cd79a", "-k", "8"}},
		{"6. Nearest genes of NKG7 by its pbmc3k_sct283 vector", []string{"neighbors", "--gene", "NKG7", "--dataset", "pbmc3k_sct283", "-k", "8"}},
		{"7. Co-expression partners of CD79A, conserved across datasets, with embedding similarity", []string{"coexpr", "--gene", "CD79A", "-k", "8"}},
		{"8. Nearest cells of one pbmc_small cell, across both PBMC runs", []string{"neighbors", "--cell", "ATGCCAGAACGACT", "--dataset", "pbmc_small", "-k", "6"}},
		{"   Cells embedded from the consensus gene vectors of the genes they express (no training)", []string{"train", "cells-from-genes", "--datasets", "pbmc_small,pbmc3k_sct283"}},
		{"   and the same cell's nearest cells in that space", []string{"neighbors", "--cell", "ATGCCAGAACGACT", "--dataset", "pbmc_small", "--space", "cells-from-genes", "-k", "6"}},
		{"9. Cell clusters (Leiden over the HNSW kNN graph), stored", []string{"clusters", "--space", "cells", "--resolution", "1.0"}},
		{"10. Top genes of cell cluster 0 (gene vectors in the cell latent space)", []string{"markers", "--cluster", "0", "-k", "8"}},
		{"11. Cells most associated with LYZ", []string{"neighbors", "--gene", "LYZ", "--cells", "-k", "5"}},
		{"12. Gene modules, and GO enrichment of the module holding CD79A", []string{"clusters", "--space", "genes", "--resolution", "1.0", "--gene", "CD79A", "--enrich", "go_bp"}},
		{"13. GO terms predicted for CD79A from its neighbours", []string{"annotate", "genes", "--collection", "go_bp", "--gene", "CD79A"}},
		{"14. Label transfer: pbmc_small's Seurat clusters onto pbmc3k_sct283", []string{"annotate", "cells", "--reference", "pbmc_small", "--label", "RNA_snn_res.1", "--query", "pbmc3k_sct283"}},
		{fmt.Sprintf("15. An expression model (D-GEX MLP, ridge, kNN; the best per gene) on pbmc3k_sct283: from the %d genes pbmc_small also measures to the others", len(shared)),
			[]string{"train", "expr", "--datasets", "pbmc3k_sct283", "--landmarks", landmarks, "--hidden", "128", "--epochs", exprEpochs}},
		{"16. Predict S100A4, which pbmc_small never measured, for pbmc_small's cells", []string{"predict", "--dataset", "pbmc_small", "--genes", "S100A4,CD74"}},
		{"17. The predicted S100A4 of pbmc_small's cells (log1p of counts per 10,000)", []string{"expr", "--gene", "S100A4", "--dataset", "pbmc_small"}},
		{"18. A regulatory network across the four time points of the mouse lung (E14.5, E16.5, E18.5, adult), transcription factors (GO:0003700) as the candidate regulators", []string{"train", "grn", "--datasets", "lung_mouse", "--views-by", "time", "--genes", "200", "--regulators", "tfs"}},
		{"19. Targets of the transcription factor Etv5 (sign, co-expression and embedding cosine beside each)", []string{"targets", "--gene", "Etv5", "-k", "6"}},
		{"20. Regulators of the surfactant gene Sftpc", []string{"regulators", "--gene", "Sftpc", "-k", "6"}},
	}
	for _, st := range steps {
		section(w, st.title)
		args := append([]string{"--store", o.out, "--quiet"}, st.args...)
		fmt.Fprintf(w, "$ genestore %s\n", shellJoin(args))
		cmd := NewRootCommand()
		cmd.SetArgs(args)
		lw := &limitWriter{w: w, lines: 16}
		cmd.SetOut(lw)
		cmd.SetErr(log)
		if err := cmd.ExecuteContext(ctx); err != nil {
			return fmt.Errorf("demo: genestore %s: %w", shellJoin(st.args), err)
		}
		if lw.dropped > 0 {
			fmt.Fprintf(w, "  … %d more lines\n", lw.dropped)
		}
	}

	fmt.Fprintf(w, "\nDone in %.1fs. The store is %s; try:\n  go run ./cmd/genestore --store %s neighbors --gene MS4A1\n  go run ./cmd/genestore --store %s serve\n",
		time.Since(start).Seconds(), o.out, o.out, o.out)
	return nil
}

func section(w io.Writer, title string) { fmt.Fprintf(w, "\n== %s\n", title) }

// removeOldDemo deletes path when it is a genestore store (a previous demo)
// and refuses to touch any other file.
func removeOldDemo(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	db, err := store.Open(path, storeOptions(nil, true))
	if err != nil {
		return fmt.Errorf("demo: %s exists and is not a genestore store I may replace: %w", path, err)
	}
	db.Close()
	return os.Remove(path)
}

// shellJoin quotes args for display as a command line.
func shellJoin(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a == "" || strings.ContainsAny(a, " \t'\"$") {
			b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
		} else {
			b.WriteString(a)
		}
	}
	return b.String()
}

// limitWriter passes through the first lines lines and then notes how many
// more there were, so one long answer does not flood the demo.
type limitWriter struct {
	w       io.Writer
	lines   int
	seen    int
	dropped int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if line == "" {
			continue
		}
		if l.seen < l.lines {
			if _, err := io.WriteString(l.w, line); err != nil {
				return 0, err
			}
		} else if strings.HasSuffix(line, "\n") {
			l.dropped++
		}
		if strings.HasSuffix(line, "\n") {
			l.seen++
		}
	}
	return len(p), nil
}
