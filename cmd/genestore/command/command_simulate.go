package command

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"genestore/train/sim"
)

// simulateOptions are the flags of "simulate": the simulator's
// configuration and the output folder.
type simulateOptions struct {
	sim.Config
	out string
}

func newSimulateCommand(g *globalOptions) *cobra.Command {
	o := &simulateOptions{Config: sim.DefaultConfig()}
	cfg, out := &o.Config, &o.out
	cmd := &cobra.Command{
		Use:   "simulate --out DIR [flags]",
		Short: "Write simulated single-cell datasets with known gene modules and cell types",
		Long: `simulate writes one 10x Matrix Market folder (+ obs.csv with barcode,
cell_type, batch) per dataset under DIR, and the ground truth under DIR/truth:
gene_modules.tsv (gene, module; empty module = none), per-dataset rewired
modules, and gene_sets.gmt (one set per module). Counts are negative binomial;
modules are co-expressed programs shared across datasets with some
dataset-specific rewiring; cell types are driven by modules; each dataset is a
batch with its own batch effect and library sizes. It streams, so it reaches
millions of cells without holding a dense matrix. Same flags, same bytes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.Validate(); err != nil {
				return err
			}
			total := int64(cfg.Datasets * cfg.Cells)
			bar := newProgress(cmd.ErrOrStderr(), g.quiet, total, "simulating")
			start := time.Now()
			err := sim.WriteDir(cmd.Context(), *cfg, *out, func(done, _ int) { bar.Set(int64(done)) })
			bar.Done()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote %d datasets × %d cells × %d genes to %s in %.1fs\n",
				cfg.Datasets, cfg.Cells, cfg.Genes, *out, time.Since(start).Seconds())
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(out, "out", "", "output folder (required)")
	f.IntVar(&cfg.Datasets, "datasets", cfg.Datasets, "datasets (batches)")
	f.IntVar(&cfg.Cells, "cells", cfg.Cells, "cells per dataset")
	f.IntVar(&cfg.Genes, "genes", cfg.Genes, "genes in the universe")
	f.IntVar(&cfg.Modules, "modules", cfg.Modules, "co-expressed gene modules")
	f.Float64Var(&cfg.ModuleGenes, "module-genes", cfg.ModuleGenes, "fraction of genes in a module")
	f.IntVar(&cfg.CellTypes, "cell-types", cfg.CellTypes, "cell types")
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	f.Float64Var(&cfg.BatchEffect, "batch-effect", cfg.BatchEffect, "batch effect strength (log SD); 0 = none")
	f.Float64Var(&cfg.Rewire, "rewire", cfg.Rewire, "fraction of module genes rewired per dataset")
	f.Float64Var(&cfg.GeneOverlap, "gene-overlap", cfg.GeneOverlap, "fraction of genes every dataset measures")
	f.Float64Var(&cfg.LibSizeMean, "lib-size-mean", cfg.LibSizeMean, "median library size")
	f.Float64Var(&cfg.LibSizeSD, "lib-size-sd", cfg.LibSizeSD, "log SD of library sizes")
	f.Float64Var(&cfg.Dispersion, "dispersion", cfg.Dispersion, "mean negative-binomial dispersion; 0 = Poisson")
	f.IntVar(&cfg.DropDatasetTypes, "drop-dataset-types", cfg.DropDatasetTypes, "cell types missing from each dataset after the first")
	f.Float64Var(&cfg.ProgramStrength, "program-strength", cfg.ProgramStrength, "log activity of a module in the types that use it")
	f.Float64Var(&cfg.ProgramNoise, "program-noise", cfg.ProgramNoise, "per-cell module activity noise (SD)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}
