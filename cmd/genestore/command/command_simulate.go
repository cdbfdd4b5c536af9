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
	// grn switches to the regulatory-network simulator, configured by
	// GRN plus the shared flags the user set.
	grn bool
	GRN sim.GRNConfig
}

func newSimulateCommand(g *globalOptions) *cobra.Command {
	o := &simulateOptions{Config: sim.DefaultConfig(), GRN: sim.DefaultGRNConfig()}
	cfg, out, gcfg := &o.Config, &o.out, &o.GRN
	cmd := &cobra.Command{
		Use:   "simulate --out DIR [flags]",
		Short: "Write simulated single-cell datasets with known gene modules and cell types",
		Long: `simulate writes one 10x Matrix Market folder (+ obs.csv with barcode,
cell_type, batch) per dataset under DIR, and the ground truth under DIR/truth:
gene_modules.tsv (gene, module; empty module = none), per-dataset rewired
modules, and gene_sets.gmt (one set per module). Counts are negative binomial;
modules are co-expressed programs shared across datasets with some
dataset-specific rewiring; cell types are driven by modules; each dataset is a
batch with its own batch effect and library sizes. --spatial N makes the last
N datasets spatial sections (spots on a grid, tissue domains, smooth module
fields; obs.csv adds x,y: ingest with --coords x,y); --other-species N makes
the N datasets before them a second species whose genes are renamed
(G0001 → Sg0001) and paired by truth/orthologs.tsv (ingest with --species
mouse --orthologs DIR/truth/orthologs.tsv). It streams, so it reaches
millions of cells without holding a dense matrix. Same flags, same bytes.

With --grn it plants a directed regulatory network instead: --regulators
transcription factors in a cascade of --levels levels regulate the other genes
through signed Hill functions of their activity over pseudotime, each view
(--datasets, named D1, D2, …) rewiring a share (--rewire) of the edges; obs.csv
holds pseudotime and time_point, and DIR/truth/regulation.tsv the network
(regulator, target, sign), with per-view truth beside it. Defaults for --grn:
3 views × 2,000 cells, 200 genes, 20 regulators.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.grn {
				return simulateGRN(cmd, *gcfg, *cfg, *out)
			}
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
	f.IntVar(&cfg.Spatial, "spatial", cfg.Spatial, "datasets (the last ones) simulated as spatial spots on a grid, with x,y in obs.csv")
	f.IntVar(&cfg.OtherSpecies, "other-species", cfg.OtherSpecies, "datasets (before the spatial ones) of a second species, genes renamed via truth/orthologs.tsv")
	f.Float64Var(&cfg.OrthologLoss, "ortholog-loss", cfg.OrthologLoss, "fraction of genes without an ortholog in the second species")
	f.BoolVar(&o.grn, "grn", false, "simulate a planted regulatory network (see above)")
	f.IntVar(&gcfg.Regulators, "regulators", gcfg.Regulators, "--grn: transcription factors")
	f.IntVar(&gcfg.Levels, "levels", gcfg.Levels, "--grn: depth of the TF cascade (1–3)")
	f.IntVar(&gcfg.TimePoints, "time-points", gcfg.TimePoints, "--grn: time points pseudotime is cut into")
	f.Float64Var(&gcfg.Dropout, "dropout", gcfg.Dropout, "--grn: dropout strength")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// simulateGRN writes a regulatory-network simulation: gcfg with the shared
// flags (datasets, cells, genes, seed, rewire, dispersion) the user set.
func simulateGRN(cmd *cobra.Command, gcfg sim.GRNConfig, cfg sim.Config, out string) error {
	f := cmd.Flags()
	if f.Changed("datasets") {
		gcfg.Views = cfg.Datasets
	}
	if f.Changed("cells") {
		gcfg.Cells = cfg.Cells
	}
	if f.Changed("genes") {
		gcfg.Genes = cfg.Genes
	}
	if f.Changed("seed") {
		gcfg.Seed = cfg.Seed
	}
	if f.Changed("rewire") {
		gcfg.Rewire = cfg.Rewire
	}
	if f.Changed("dispersion") {
		gcfg.Dispersion = cfg.Dispersion
	}
	if err := gcfg.Validate(); err != nil {
		return err
	}
	start := time.Now()
	if err := sim.WriteGRNDir(cmd.Context(), gcfg, out); err != nil {
		return err
	}
	_, err := fmt.Fprintf(cmd.OutOrStdout(), "wrote %d views × %d cells × %d genes (%d regulators) to %s in %.1fs\n",
		gcfg.Views, gcfg.Cells, gcfg.Genes, gcfg.Regulators, out, time.Since(start).Seconds())
	return err
}
