package command

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"genestore/pipeline"
	"genestore/store"
)

func newEvalCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval genes|cells",
		Short: "Score the trained embeddings against baselines on biology, not loss",
	}
	cmd.AddCommand(newEvalGenesCommand(g), newEvalCellsCommand(g), newEvalGRNCommand(g))
	cmd.AddCommand(newEvalExprCommand(g))
	return cmd
}

// evalGenesOptions are the flags of "eval genes".
type evalGenesOptions struct {
	pipeline.GeneEvalOptions
	json bool
}

// evalCellsOptions are the flags of "eval cells".
type evalCellsOptions struct {
	pipeline.CellEvalOptions
	json bool
}

func newEvalGenesCommand(g *globalOptions) *cobra.Command {
	o := &evalGenesOptions{GeneEvalOptions: pipeline.GeneEvalOptions{Seed: 1}}
	cmd := &cobra.Command{
		Use:   "genes [--gmt FILE] [--truth FILE] [--consensus-on DATASET] [--json]",
		Short: "Score gene embeddings: GO co-annotation, module recovery, integration",
		Long: `eval genes scores the gene model and, in the same run and on the same
preprocessed data, two baselines: PCA gene loadings ("pca") and Pearson
co-expression rows ("pearson"), per dataset and jointly (consensus).

Metrics (absent when they cannot be computed, never zero):
  go_auroc            GO co-annotation AUROC: gene pairs sharing a GMT term of
                      10–200 genes vs random annotated pairs sharing none (cosine)
  knn_go_auroc        AUROC of predicting a gene's terms from its 10 neighbours
  edge_auc            AUROC of cosine for co-expression edges vs other pairs
  module_ari          ARI of Leiden clusters vs simulated modules (--truth)
  batch_asw, ilisi, graph_connectivity, common_ratio, share_overlap
                      MuSe-GNN's integration metrics over the stacked
                      (gene, dataset) vectors, Leiden clusters as labels
  ilisi_modality_A+B, ilisi_species_A+B
                      iLISI of each pair of datasets of two modalities
                      (species) alone, averaged over such pairs
Per-dataset metrics are averaged over datasets.
  go_auroc_consensus, knn_go_auroc_consensus, module_ari_consensus
                      the same on one vector per gene over all datasets (the
                      union of their genes): the model's consensus vectors;
                      for pearson, the mean over datasets of each gene's
                      Fisher-z correlation row over the union; for pca, gene
                      loadings of all datasets' cells stacked, each dataset's
                      genes standardised, absent genes 0, model's dimensions
  go_auroc_consensus_on, knn_go_auroc_consensus_on
                      with --consensus-on D: the consensus metrics over D's
                      genes only, the same genes however many datasets the
                      model holds

--json prints {"model": {METRICS}, "baselines": {"pca": {...}, "pearson": {...}}}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEval(cmd, g, o.json, []string{"pca", "pearson"}, func(db *store.DB) (*pipeline.Evaluation, error) {
				return pipeline.EvalGenes(cmd.Context(), db, o.GeneEvalOptions, cmd.ErrOrStderr())
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.GMT, "gmt", "", "gene-set collection (GMT) for the GO metrics")
	f.StringVar(&o.Truth, "truth", "", "gene_modules.tsv from genestore simulate, for module_ari")
	f.StringVar(&o.ConsensusOn, "consensus-on", "", "also score the consensus GO metrics on this dataset's genes")
	f.Uint64Var(&o.Seed, "seed", o.Seed, "seed for sampling and clustering")
	f.BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

func newEvalCellsCommand(g *globalOptions) *cobra.Command {
	o := &evalCellsOptions{CellEvalOptions: pipeline.CellEvalOptions{Seed: 1}}
	cmd := &cobra.Command{
		Use:   "cells --label COL [--batch-key COL] [--json]",
		Short: "Score cell embeddings: label agreement, batch mixing, label transfer",
		Long: `eval cells scores the cell model and, in the same run, two PCA baselines of
the same cells and genes, log-normalised: "pca" with as many components as the
model's latent dimensions, "pca50" with 50, scIB's unintegrated embedding. Both
with scIB's definitions:
  label_asw           cell-type silhouette, (s+1)/2
  nmi, ari            of Leiden clusters vs labels over a resolution sweep (best by NMI)
  batch_asw           1 − |silhouette of batches| within each label
  ilisi               batch mixing of each cell's neighbourhood, scaled to [0, 1]
  graph_connectivity  share of each label in its largest kNN-graph component
  transfer_accuracy, transfer_macro_f1
                      kNN (k 15) label transfer from the other batches to the
                      last dataset (the query)
The cells-from-genes space ("train cells-from-genes") is scored beside them,
as the baseline "cells-from-genes", when it holds every evaluated cell.
--json prints {"model": {METRICS}, "baselines": {"pca": {METRICS}, "pca50": {METRICS}[,
"cells-from-genes": {METRICS}]}}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEval(cmd, g, o.json, []string{"pca", "pca50"}, func(db *store.DB) (*pipeline.Evaluation, error) {
				return pipeline.EvalCells(cmd.Context(), db, o.CellEvalOptions, cmd.ErrOrStderr())
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Label, "label", "", "obs column with the cell labels (required)")
	f.StringVar(&o.BatchKey, "batch-key", "", "obs column naming batches (default: as the model was trained)")
	f.Uint64Var(&o.Seed, "seed", o.Seed, "seed for clustering")
	f.BoolVar(&o.json, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("label")
	return cmd
}

// runEval opens the store read-only, runs one evaluation and prints it as JSON
// or as a table with the model beside the named baselines.
func runEval(cmd *cobra.Command, g *globalOptions, asJSON bool, baselines []string,
	evaluate func(*store.DB) (*pipeline.Evaluation, error)) error {
	db, err := openStore(g, true)
	if err != nil {
		return err
	}
	defer db.Close()
	ev, err := evaluate(db)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), ev)
	}
	return printEvaluation(cmd.OutOrStdout(), ev, baselines)
}

// printEvaluation prints the metrics as a table: the model, the named
// baselines, then every other baseline the evaluation scored (e.g. eval
// cells' cells-from-genes space), sorted.
func printEvaluation(w io.Writer, ev *pipeline.Evaluation, baselines []string) error {
	var more []string
	for b := range ev.Baselines {
		if !slices.Contains(baselines, b) {
			more = append(more, b)
		}
	}
	sort.Strings(more)
	baselines = append(slices.Clip(baselines), more...)
	keys := map[string]bool{}
	for k := range ev.Model {
		keys[k] = true
	}
	for _, b := range baselines {
		for k := range ev.Baselines[b] {
			keys[k] = true
		}
	}
	var names []string
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "metric\tmodel\t")
	for _, b := range baselines {
		fmt.Fprintf(tw, "%s\t", b)
	}
	fmt.Fprintln(tw)
	cell := func(m pipeline.Metrics, k string) string {
		if v, ok := m[k]; ok {
			return fmt.Sprintf("%.4f", v)
		}
		return "-"
	}
	for _, k := range names {
		fmt.Fprintf(tw, "%s\t%s\t", k, cell(ev.Model, k))
		for _, b := range baselines {
			fmt.Fprintf(tw, "%s\t", cell(ev.Baselines[b], k))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
