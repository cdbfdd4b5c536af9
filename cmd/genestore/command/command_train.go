package command

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"genestore/pipeline"
	"genestore/train/vae"
)

func newTrainCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "train genes|cells|cells-from-genes|grn|expr",
		Short: "Train the gene or the cell embedding model on the store's datasets",
	}
	cmd.AddCommand(newTrainGenesCommand(g), newTrainCellsCommand(g), newTrainGRNCommand(g))
	cmd.AddCommand(newTrainExprCommand(g), newTrainCellsFromGenesCommand(g))
	return cmd
}

// trainCellsOptions are the flags of "train cells": the pipeline's options,
// filled in place by the flags.
type trainCellsOptions struct {
	pipeline.CellOptions
}

// trainGenesOptions are the flags of "train genes".
type trainGenesOptions struct {
	pipeline.GeneOptions
	showLog bool // print the per-epoch loss log
}

func newTrainCellsCommand(g *globalOptions) *cobra.Command {
	o := &trainCellsOptions{CellOptions: pipeline.DefaultCellOptions()}
	cmd := &cobra.Command{
		Use:   "cells [--latent 10] [--batch-key COL] [--epochs N] [--seed S]",
		Short: "Train the batch-aware cell model (conditional VAE) and index the cells",
		Long: `train cells fits a conditional variational autoencoder (scVI/LDVAE family) on
the highly variable genes shared by the chosen datasets: the encoder sees
log-normalised expression and the batch, the decoder gets the batch back, so the
latent space holds biology rather than batch. Raw counts use a negative-binomial
likelihood with the cell's library size (--likelihood zinb adds scVI's zero
inflation); normalised or log data (FPKM, TPM) use a Gaussian on log values; the
store records which. Every gene also gets a vector
in the cell space (the "cell-genes" space), so top genes for a cell or cluster
and cells of a gene are inner-product searches: with --linear-decoder (LDVAE)
these are the decoder's per-gene weights; with the default non-linear decoder
(scVI), which integrates batches much better, they are ridge-regression
coefficients of each gene's log-normalised expression on the latent.

It replaces the "cells" and "cell-genes" spaces, the model weights and both
spaces' HNSW indexes in one transaction: an interrupted run changes nothing.`,
		Args: cobra.NoArgs,
		// 0 would mean the library's default (every gene for --hvg): refuse
		// it rather than train something else than asked for.
		PreRunE: positive("latent", "hidden", "batch-size", "lr", "hvg"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openStore(g, false)
			if err != nil {
				return err
			}
			defer db.Close()
			bar := &epochBar{w: cmd.ErrOrStderr(), quiet: g.quiet, label: "training cells"}
			res, err := pipeline.TrainCells(cmd.Context(), db, o.CellOptions, func(p vae.Progress) {
				held := ""
				if !math.IsNaN(p.HeldOutLoss) {
					held = fmt.Sprintf(", held-out %.2f", p.HeldOutLoss)
				}
				bar.update(p.Epoch, p.Epochs, fmt.Sprintf("epoch %d loss %.2f%s", p.Epoch, p.TrainLoss, held))
			}, cmd.ErrOrStderr())
			bar.done()
			if err != nil {
				return err
			}
			r := res.Report
			_, err = fmt.Fprintf(cmd.OutOrStdout(),
				"cell model %s: %d cells from %v, %d genes, %d batches, likelihood %s, %d epochs (best %d, early stop %v), %.0f cells/s\n",
				res.ModelVersion, res.Cells, res.Datasets, res.Genes, len(res.Batches), res.Likelihood,
				r.Epochs, r.BestEpoch, r.StoppedEarly, r.CellsPerSec)
			return err
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Datasets, "datasets", nil, "datasets to train on (default: all)")
	f.StringVar(&o.BatchKey, "batch-key", "", "obs column naming each cell's batch (default: each dataset's batch key, else the dataset)")
	f.IntVar(&o.HVG, "hvg", o.HVG, "highly variable genes the model sees")
	f.IntVar(&o.Model.Latent, "latent", o.Model.Latent, "latent dimensions")
	f.IntVar(&o.Model.Hidden, "hidden", o.Model.Hidden, "hidden units")
	f.IntVar(&o.Model.Epochs, "epochs", o.Model.Epochs, "maximum epochs (0: chosen from the number of cells)")
	f.IntVar(&o.Model.BatchSize, "batch-size", o.Model.BatchSize, "cells per mini-batch")
	f.Float64Var(&o.Model.LR, "lr", o.Model.LR, "Adam learning rate")
	f.Uint64Var(&o.Model.Seed, "seed", o.Model.Seed, "random seed")
	f.BoolVar(&o.Model.LinearDecoder, "linear-decoder", o.Model.LinearDecoder, "linear decoder (LDVAE): its weights are the gene vectors of the cell-genes space")
	f.IntVar(&o.Model.Patience, "patience", o.Model.Patience, "epochs without held-out improvement before stopping")
	f.StringVar((*string)(&o.Model.Likelihood), "likelihood", string(o.Model.Likelihood), "decoder likelihood: nb or zinb on counts, gaussian (default: nb for counts, gaussian otherwise)")
	return cmd
}

func newTrainGenesCommand(g *globalOptions) *cobra.Command {
	o := &trainGenesOptions{GeneOptions: pipeline.DefaultGeneOptions()}
	cmd := &cobra.Command{
		Use:   "genes [--dim 32] [--epochs N] [--seed S]",
		Short: "Build co-expression graphs and train unified gene embeddings across datasets",
		Long: `train genes follows the MuSe-GNN recipe. Per dataset: QC, highly variable
genes, normalisation (size factors + log1p for counts) and a co-expression graph
(Pearson, significant and among each gene's top-k partners), stored as queryable
edges. Then one model for all datasets: a dataset-specific input layer maps each
gene's expression profile to a hidden vector, shared graph layers propagate over
the dataset's graph, and the losses are edge reconstruction (BCE with negative
sampling; the positive pairs are the ends of short weighted random walks that
start by crossing an edge, so a gene's context reaches past its direct
neighbours; --walk-restart 1 uses the edges themselves), the cosine similarity
of the same gene across datasets weighted by the Jaccard overlap of its
neighbourhoods, and an InfoNCE contrast. Each gene gets a
vector per dataset and a consensus vector.

It replaces the "genes" space, the datasets' edges, the model weights and the
index in one transaction: an interrupted run changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Spatial.K < 0 { // pipeline smooths only above 0: a negative k would silently mean off
				return fmt.Errorf("--spatial-k %d is out of range (want 0 for no smoothing, or ≥ 1)", o.Spatial.K)
			}
			db, err := openStore(g, false)
			if err != nil {
				return err
			}
			defer db.Close()
			bar := &epochBar{w: cmd.ErrOrStderr(), quiet: g.quiet, label: "training genes"}
			res, err := pipeline.TrainGenes(cmd.Context(), db, o.GeneOptions, func(epoch, total int, loss float64) {
				bar.update(epoch, total, fmt.Sprintf("epoch %d loss %.4f", epoch, loss))
			}, cmd.ErrOrStderr())
			bar.done()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if o.showLog {
				fmt.Fprintln(w, "epoch\tloss\tbce\tcosine\tcontrast\theld_out\tseconds")
				for _, l := range res.Log {
					fmt.Fprintf(w, "%d\t%.5f\t%.5f\t%.5f\t%.5f\t%.5f\t%.3f\n", l.Epoch, l.Loss, l.BCE, l.Cosine, l.Contrast, l.HeldOut, l.Seconds)
				}
			}
			_, err = fmt.Fprintf(w, "gene model %s: %d datasets, %d consensus genes, %d epochs (best %d)\n",
				res.ModelVersion, len(res.Datasets), res.Consensus, len(res.Log), res.BestEpoch)
			return err
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Datasets, "datasets", nil, "datasets to train on (default: all)")
	f.IntVar(&o.HVG, "hvg", o.HVG, "highly variable genes per dataset")
	f.IntVar(&o.Coexpr.TopK, "top-k", o.Coexpr.TopK, "co-expression: keep a pair only among either gene's top-k partners")
	f.Float64Var(&o.Coexpr.Alpha, "alpha", o.Coexpr.Alpha, "co-expression: significance level after correction")
	f.IntVar(&o.Spatial.K, "spatial-k", o.Spatial.K, "spatial datasets: smooth each spot with its k nearest spots before co-expression (0, the default: off; 6 is a common choice)")
	f.Float32Var(&o.Spatial.Self, "spatial-self", o.Spatial.Self, "spatial datasets: the spot's own weight in the smoothing (the neighbours share the rest)")
	f.StringVar(&o.ATAC, "atac", o.ATAC, "atac-activity datasets of counts: log (as RNA), tfidf or binary")
	f.IntVar(&o.Model.Dim, "dim", o.Model.Dim, "embedding dimensions")
	f.IntVar(&o.Model.Hidden, "hidden", o.Model.Hidden, "hidden units of the dataset-specific layer")
	f.StringVar(&o.Model.Conv, "conv", o.Model.Conv, "convolution of the shared graph layers: gcn or transformer")
	f.IntVar(&o.Model.Epochs, "epochs", o.Model.Epochs, "maximum epochs")
	f.Float64Var(&o.Model.WalkRestart, "walk-restart", o.Model.WalkRestart, "edge reconstruction: stop probability per random-walk step of a positive pair (1: the edges themselves)")
	f.IntVar(&o.Model.WalkSteps, "walk-steps", o.Model.WalkSteps, "edge reconstruction: most steps of a positive pair's random walk")
	f.Float64Var(&o.Model.LearningRate, "lr", o.Model.LearningRate, "Adam learning rate")
	f.Float64Var(&o.Model.Temperature, "temperature", o.Model.Temperature, "InfoNCE temperature")
	f.Float64Var(&o.Model.ContrastWeight, "contrast-weight", o.Model.ContrastWeight, "InfoNCE weight")
	f.Uint64Var(&o.Model.Seed, "seed", o.Model.Seed, "random seed")
	f.BoolVar(&o.showLog, "log", false, "print the per-epoch loss log")
	return cmd
}

func newTrainCellsFromGenesCommand(g *globalOptions) *cobra.Command {
	o := pipeline.DefaultCellsFromGenesOptions()
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "cells-from-genes [--datasets a,b] [--weight scaled|scaled-per-dataset|expression] [--json]",
		Short: "Embed cells from the consensus gene vectors (no training) into the cells-from-genes space",
		Long: `train cells-from-genes gives every cell a vector built from the consensus gene
vectors of the genes it expresses (GenePT-w's recipe; scHybridBERT's idea of
cells informed by gene structure), in a second cell space, "cells-from-genes",
with its own HNSW index. Nothing is trained: it needs only the gene model, and
embeds any dataset whose genes the gene space covers, including one appended
later: --datasets names the datasets to add, and those the space already holds
are embedded again with the current consensus vectors (an append moves them),
so the space stays comparable; without --datasets, every dataset.

--weight scaled (default) standardises each gene over the cells of every
embedded dataset pooled (sc.pp.scale on the concatenated data) and sums the
gene vectors weighted by the z-scores, divided by the genes used.
--weight scaled-per-dataset standardises within each dataset instead: a linear
batch correction between datasets that also removes what differs in their cell
mixtures (measured: CellBench's 5 cell lines by CEL-seq2 against 3 by Drop-seq,
transfer macro-F1 0.70 against 0.95 pooled), so use it only for datasets of
comparable composition. --weight expression is GenePT-w as published: the mean
of the vectors of the genes a cell expresses, weighted by its log-normalised
expression. Gene vectors are scaled to unit length and
centred on their mean first, so the direction shared by all genes does not
dominate every cell. Only the genes of the gene space that every embedded
dataset measures are used, so datasets with different gene panels are built on
the same genes and stay comparable.

Query it with neighbors --cell --space cells-from-genes; eval cells scores it
beside the cell model when it holds every evaluated cell. One transaction: an interrupted run changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openStore(g, false)
			if err != nil {
				return err
			}
			defer db.Close()
			var log io.Writer = cmd.ErrOrStderr()
			if g.quiet {
				log = nil // the answer below says it all
			}
			res, err := pipeline.CellsFromGenes(cmd.Context(), db, o, log)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			w := cmd.OutOrStdout()
			for _, d := range res.Datasets {
				if _, err := fmt.Fprintf(w, "%s: %d of %d cells embedded from %d genes\n", d.Name, d.Embedded, d.Cells, d.Genes); err != nil {
					return err
				}
			}
			if len(res.Skipped) > 0 {
				if _, err := fmt.Fprintf(w, "skipped (no gene in the gene space, or under --weight scaled-per-dataset fewer than 2 cells): %s\n", strings.Join(res.Skipped, ", ")); err != nil {
					return err
				}
			}
			_, err = fmt.Fprintf(w, "cells-from-genes %s: weight %s, dimension %d, %d genes measured by every dataset\n", res.ModelVersion, res.Weight, res.Dim, res.SharedGenes)
			return err
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Datasets, "datasets", nil, "datasets to embed (default: all the gene space covers)")
	f.StringVar((*string)(&o.Weight), "weight", string(o.Weight), "how expression weighs the gene vectors: scaled, scaled-per-dataset or expression")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
