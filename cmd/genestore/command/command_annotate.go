package command

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"genestore/pipeline"
	"genestore/query"
	"genestore/store"
	"genestore/vocab"
)

func newAnnotateCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "annotate genes|cells",
		Short: "Predict gene functions and transfer cell labels by neighbours",
		Long: `annotate predicts annotations from neighbours in the embedding spaces and
stores them with their provenance (model version, parameters): "annotate genes"
predicts terms of a gene-set collection for genes, "annotate cells" transfers a
label column from reference datasets to a query dataset.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newAnnotateGenesCommand(g), newAnnotateCellsCommand(g))
	return cmd
}

type annotateGenesOptions struct {
	collection string
	genes      []string
	k, top     int
	dryRun     bool
	json       bool
}

func newAnnotateGenesCommand(g *globalOptions) *cobra.Command {
	o := &annotateGenesOptions{}
	cmd := &cobra.Command{
		Use:   "genes --collection NAME [--gene G ...] [-k 20] [--top 5] [--dry-run] [--json]",
		Short: "Predict terms of a gene-set collection for genes from their neighbours",
		Long: `annotate genes scores the terms of collection NAME (loaded with "annotations
load") for each gene from its k nearest genes (consensus embeddings): a term's
score is the share of the neighbours' cosine similarity carried by neighbours in
the term's set; those neighbours are its evidence. Every gene with a consensus
vector is annotated unless --gene names some. Predictions are stored as kind
"go-terms", name NAME unless --dry-run. With --gene only those genes' rows
are replaced, so the stored rows must come from the same gene model, -k and
--top (otherwise annotate every gene). The table shows genes with at least one term.

--json prints {collection, model_version, k, written, genes:[{gene:{id,symbol,
query,alias}, terms:[{term,name,score,known,evidence:[symbols]}]}]}; known is
true when the gene is already in the set.`,
		Args:    cobra.NoArgs,
		PreRunE: positive("k", "top"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, _, db, err := openEngine(g, o.dryRun, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer db.Close()
			a, err := e.AnnotateGenes(cmd.Context(), query.AnnotateGenesRequest{Collection: o.collection, Genes: o.genes,
				K: o.k, TopN: o.top, Write: !o.dryRun})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if o.json {
				return writeJSON(w, a)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "GENE\tTERM\tNAME\tSCORE\tKNOWN\tEVIDENCE")
			for _, gt := range a.Genes {
				for _, t := range gt.Terms {
					ev := t.Evidence
					if len(ev) > 5 {
						ev = append(ev[:5:5], "…")
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%.3f\t%v\t%s\n", gt.Gene.Symbol, t.Term, t.Name, t.Score, t.Known, strings.Join(ev, ","))
				}
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if a.Written {
				fmt.Fprintf(w, "stored %d genes' predictions as go-terms/%s (model %s)\n", len(a.Genes), a.Collection, a.ModelVersion)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.collection, "collection", "", "gene-set collection (required)")
	f.StringSliceVar(&o.genes, "gene", nil, "genes to annotate (default: all)")
	f.IntVarP(&o.k, "k", "k", 20, "neighbours voting")
	f.IntVar(&o.top, "top", 5, "terms kept per gene")
	f.BoolVar(&o.dryRun, "dry-run", false, "print, do not store")
	f.BoolVar(&o.json, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("collection")
	return cmd
}

// annotateFill reports how annotate cells embedded the query again.
type annotateFill struct {
	Mode      string `json:"mode"` // "predict" or "zero"
	Missing   int    `json:"missing"`
	Predicted int    `json:"predicted"`
}

type annotateCellsOptions struct {
	references    []string
	label, query  string
	k             int
	minConfidence float32
	dryRun, rows  bool
	json          bool
	fill          string
	space         string
	backend       *backendFlags
}

func newAnnotateCellsCommand(g *globalOptions) *cobra.Command {
	o := &annotateCellsOptions{}
	cmd := &cobra.Command{
		Use:   "cells --reference D [--reference D3 ...] --label COL --query D2 [-k 15] [--min-confidence 0.5] [--fill-missing predict|zero] [--space cells|cells-from-genes] [--json]",
		Short: "Transfer a cell label column from reference datasets to a query dataset",
		Long: `annotate cells gives each cell of the query dataset the label (obs column
COL of the reference datasets) voted by its k nearest reference cells in the
cell space, each vote weighted by cosine similarity. The winner's share of the
vote is the confidence; below --min-confidence the cell is "Unassigned". Labels
the query never had may be assigned. Reference and query vectors must come
from one model version. Labels are stored as kind "cell-labels", name
"<query>:<COL>", unless --dry-run. --space cells-from-genes votes with the
nearest cells of the space "train cells-from-genes" writes instead of the cell
model's (no cell training; --fill-missing does not apply there).

When the query lacks genes of the cell model (an appended dataset measuring
fewer genes), its cells are embedded again with the stored cell model for the
transfer, the missing genes predicted by the expression model (--fill-missing
predict, the default when "train expr" has run) or zero (--fill-missing zero);
the stored vectors are not changed. Without an expression model and without
the flag, the stored vectors are used. The query's batch parameters were
trained by append on its fill then: use the same --fill-missing for both (on a
simulated query appended zero-filled, transfer with predicted genes scored
below transfer with zeros).

--json prints {query, label, references, space, model_version, k, min_confidence,
cells, unassigned, labels:[{label,count}], name, written, rows?:[{cell,barcode,
label,top,confidence}]} (rows with --rows), and fill:{mode,missing,predicted}
when the query was embedded again.

--backend weaviate --url URL finds the neighbours on a Weaviate cluster filled
by "sync weaviate".`,
		Args:    cobra.NoArgs,
		PreRunE: positive("k"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, _, db, err := openEngineVia(g, o.dryRun, cmd.ErrOrStderr(), o.backend)
			if err != nil {
				return err
			}
			defer db.Close()
			var qc *pipeline.QueryCells
			switch {
			case o.space == vocab.SpaceCellsFromGenes && o.fill != "":
				return fmt.Errorf("%w: --fill-missing embeds the query with the cell model: it does not go with --space %s", query.ErrInvalid, o.space)
			case o.space == "" || o.space == vocab.SpaceCells:
				// A query without vectors of the cell model: AnnotateCells says so.
				qc, err = pipeline.EmbedQuery(cmd.Context(), db, o.query, o.fill, cmd.ErrOrStderr())
				if err != nil && !errors.Is(err, pipeline.ErrNoCellVectors) && !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
			req := query.AnnotateCellsRequest{References: o.references, Label: o.label, Space: o.space,
				Query: o.query, K: o.k, MinConfidence: noThreshold(o.minConfidence), Write: !o.dryRun, Rows: o.rows}
			if qc != nil {
				req.QueryVectors = qc.Vectors
			}
			a, err := e.AnnotateCells(cmd.Context(), req)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if o.json {
				out := struct {
					*query.CellAnnotations
					Fill *annotateFill `json:"fill,omitempty"`
				}{CellAnnotations: a}
				if qc != nil {
					out.Fill = &annotateFill{Mode: qc.Fill, Missing: qc.Missing, Predicted: qc.Filled}
				}
				return writeJSON(w, out)
			}
			fmt.Fprintf(w, "%s of %d cells of %s from %s (k %d, %s, model %s): %d unassigned\n", a.Label, a.Cells, a.Query,
				strings.Join(a.References, ", "), a.K, a.Space, a.ModelVersion, a.Unassigned)
			if qc != nil {
				fmt.Fprintf(w, "query embedded again: %d genes of the cell model missing, %d predicted, the rest zero\n", qc.Missing, qc.Filled)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "LABEL\tCELLS")
			for _, l := range a.Labels {
				fmt.Fprintf(tw, "%s\t%d\n", l.Label, l.Count)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if a.Written {
				fmt.Fprintf(w, "stored as cell-labels/%s\n", a.Name)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.references, "reference", nil, "reference dataset(s) (required)")
	f.StringVar(&o.label, "label", "", "obs column of the references to transfer (required)")
	f.StringVar(&o.query, "query", "", "dataset to label (required)")
	f.IntVarP(&o.k, "k", "k", 15, "reference neighbours voting")
	f.Float32Var(&o.minConfidence, "min-confidence", 0.5, "vote share below which a cell is Unassigned (0 or negative: no threshold)")
	f.BoolVar(&o.dryRun, "dry-run", false, "print, do not store")
	f.BoolVar(&o.rows, "rows", false, "with --json: every cell's label")
	f.BoolVar(&o.json, "json", false, "print JSON")
	f.StringVar(&o.space, "space", "", "cell space whose neighbours vote: cells (default) or cells-from-genes")
	f.StringVar(&o.fill, "fill-missing", "", "genes of the cell model the query lacks: predict (with the expression model, train expr) or zero (default: predict when an expression model exists)")
	for _, n := range []string{"reference", "label", "query"} {
		_ = cmd.MarkFlagRequired(n)
	}
	o.backend = addBackendFlags(cmd)
	return cmd
}

// noThreshold maps --min-confidence 0, which asks for no threshold, to the
// query layer's negative (its 0 means the default 0.5).
func noThreshold(c float32) float32 {
	if c == 0 {
		return -1
	}
	return c
}
