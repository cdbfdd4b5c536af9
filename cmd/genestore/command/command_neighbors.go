package command

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"genestore/pipeline"
	"genestore/query"
)

// positive returns a PreRunE that refuses a zero or negative value of each
// named numeric flag: 0 is out of range, as in the HTTP API, not a request
// for the default (an absent flag keeps its default).
func positive(names ...string) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		for _, n := range names {
			fl := cmd.Flags().Lookup(n)
			if fl == nil {
				continue
			}
			v, err := strconv.ParseFloat(fl.Value.String(), 64)
			if err == nil && v <= 0 {
				want := "≥ 1"
				if fl.Value.Type() == "float64" {
					want = "> 0"
				}
				dash := "--"
				if fl.Shorthand == n { // -k; spatial's and clusters' --k have no shorthand
					dash = "-"
				}
				return fmt.Errorf("%w: %s%s %s is out of range (want %s)", query.ErrInvalid, dash, n, fl.Value.String(), want)
			}
		}
		return nil
	}
}

type neighborsOptions struct {
	gene, cell, dataset string
	space               string
	k                   int
	restrict, exclude   []string
	where               []string
	cells               bool
	spatial             bool
	json                bool
	backend             *backendFlags
}

func newNeighborsCommand(g *globalOptions) *cobra.Command {
	o := &neighborsOptions{}
	cmd := &cobra.Command{
		Use:   "neighbors (--gene SYMBOL [--dataset D] [--cells] | --cell BARCODE --dataset D) [--where COL=VALUE ...] [-k 10] [--json]",
		Short: "Nearest genes of a gene, nearest cells of a cell, or cells of a gene",
		Long: `neighbors answers three questions from the stored embeddings:

  --gene SYMBOL            the k genes nearest the gene (cosine similarity of gene
                           embeddings), from its consensus vector or, with
                           --dataset D, from D's vector; the search covers the
                           query vector's own set unless --restrict names sets
                           (dataset names, "consensus"); --exclude removes sets.
                           The symbol matches in any letter case (an exact-case
                           match wins; AHNAK and Ahnak both matching "ahnak" is
                           an error naming both), or through the alias map
                           loaded with "annotations load --aliases".
  --gene SYMBOL --cells    the k cells most associated with the gene: the largest
                           inner products of cell vectors with the gene's loading
                           in the cell model's decoder (--restrict limits datasets).
  --cell BARCODE --dataset D
                           the k cells nearest the cell, across datasets, in the
                           cell model's space, or with --space cells-from-genes
                           in the space "train cells-from-genes" writes.
  --cell SPOT --dataset D --spatial
                           the k spots of spatial dataset D nearest the spot in
                           space (Euclidean distance of the stored coordinates),
                           each with the cosine similarity of the two spots'
                           cell embeddings when the cell model has embedded D.

--where COL=VALUE (with --cell, or --gene --cells) keeps only the cells whose
obs column COL is VALUE; --where cluster:NAME=ID keeps the cells of cluster ID
of the stored cells clustering NAME (e.g. cluster:leiden_r1.0=3, see
"clusters"). Repeat it: values given for one selector are alternatives,
different selectors must all match (the syntax of "cells --where"). A column
that no searched dataset has, a value no searched cell has, or a clustering
that is not stored is an error naming it. The search widens its beam until it
holds k admitted cells and scans exactly when the filter admits few.

Only vectors of the query vector's model version are compared: sets of another
version are skipped (listed under "skipped"), or refused when named.

--json prints the answer as one JSON object (fields only ever added):
  genes:  {gene:{id,symbol,query,alias}, space, from, model_version, k, skipped,
           neighbors:[{rank,gene_id,symbol,dataset,score,model_version}]}
  cells:  {cell:{dataset,cell,barcode}, space, model_version, k, skipped,
           neighbors:[{rank,dataset,cell,barcode,score,model_version}]}
  --cells: {gene, model_version, k, cells:[{rank,dataset,cell,barcode,score,model_version}]}
  --spatial: {dataset, barcode, cell, x, y, k, model_version,
           neighbors:[{rank,cell,barcode,x,y,distance,cosine}]}
score is the cosine similarity (inner product for --cells).

--backend weaviate --url URL runs the searches on a Weaviate cluster filled by
"sync weaviate" (names, vectors and filters stay with the store); the answer
has the same shape.`,
		Args:    cobra.NoArgs,
		PreRunE: positive("k"),
		RunE:    func(cmd *cobra.Command, _ []string) error { return runNeighbors(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.gene, "gene", "", "gene symbol (or alias)")
	f.StringVar(&o.cell, "cell", "", "cell barcode (needs --dataset)")
	f.StringVar(&o.dataset, "dataset", "", "with --gene: take the query vector from this dataset; with --cell: the cell's dataset")
	f.IntVarP(&o.k, "k", "k", 10, "number of neighbours")
	f.StringSliceVar(&o.restrict, "restrict", nil, "search only these sets (dataset names, \"consensus\")")
	f.StringSliceVar(&o.exclude, "exclude", nil, "leave these sets out")
	f.StringArrayVar(&o.where, "where", nil, "keep cells whose obs COL is VALUE (COL=VALUE, or cluster:NAME=ID; repeatable)")
	f.BoolVar(&o.cells, "cells", false, "with --gene: the cells most associated with the gene")
	f.StringVar(&o.space, "space", "", "with --cell: the cell space searched, cells (default) or cells-from-genes")
	f.BoolVar(&o.spatial, "spatial", false, "with --cell: the nearest spots in space of a spatial dataset")
	f.BoolVar(&o.json, "json", false, "print JSON")
	o.backend = addBackendFlags(cmd)
	cmd.MarkFlagsMutuallyExclusive("gene", "cell")
	cmd.MarkFlagsOneRequired("gene", "cell")
	return cmd
}

func runNeighbors(cmd *cobra.Command, g *globalOptions, o *neighborsOptions) error {
	ctx := cmd.Context()
	if o.space != "" && (o.cell == "" || o.spatial) {
		return fmt.Errorf("%w: --space picks the cell space of --cell (without --spatial)", query.ErrInvalid)
	}
	if o.spatial {
		return runSpatialNeighbors(cmd, g, o)
	}
	e, _, db, err := openEngineVia(g, true, cmd.ErrOrStderr(), o.backend)
	if err != nil {
		return err
	}
	defer db.Close()
	w := cmd.OutOrStdout()
	switch {
	case o.cell != "":
		if o.dataset == "" {
			return fmt.Errorf("--cell needs --dataset")
		}
		if o.cells {
			return fmt.Errorf("--cells goes with --gene")
		}
		a, err := e.CellNeighbors(ctx, query.CellNeighborsRequest{Dataset: o.dataset, Barcode: o.cell, K: o.k,
			Space: o.space, Restrict: o.restrict, Exclude: o.exclude, Where: o.where})
		if err != nil {
			return err
		}
		if o.json {
			return writeJSON(w, a)
		}
		fmt.Fprintf(w, "cells nearest %s/%s in %s (model %s)\n", a.Cell.Dataset, a.Cell.Barcode, a.Space, a.ModelVersion)
		printSkipped(w, a.Skipped)
		return printCells(w, a.Neighbors, "COSINE")
	case o.cells:
		if o.dataset != "" {
			return fmt.Errorf("%w: --dataset picks the query cell's or gene's dataset; --gene --cells searches cells of every dataset (narrow with --restrict or --exclude)", query.ErrInvalid)
		}
		a, err := e.GeneCells(ctx, query.GeneCellsRequest{Symbol: o.gene, K: o.k, Datasets: o.restrict, Exclude: o.exclude, Where: o.where})
		if err != nil {
			return err
		}
		if o.json {
			return writeJSON(w, a)
		}
		fmt.Fprintf(w, "cells most associated with %s (model %s)\n", geneLabel(a.Gene), a.ModelVersion)
		return printCells(w, a.Cells, "SCORE")
	default:
		if len(o.where) > 0 {
			return fmt.Errorf("%w: --where filters cells: it goes with --cell, or --gene --cells", query.ErrInvalid)
		}
		a, err := e.GeneNeighbors(ctx, query.GeneNeighborsRequest{Symbol: o.gene, K: o.k, Dataset: o.dataset,
			Restrict: o.restrict, Exclude: o.exclude})
		if err != nil {
			return err
		}
		if o.json {
			return writeJSON(w, a)
		}
		fmt.Fprintf(w, "genes nearest %s, %s vector (model %s)\n", geneLabel(a.Gene), a.From, a.ModelVersion)
		printSkipped(w, a.Skipped)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RANK\tGENE\tDATASET\tCOSINE")
		for _, h := range a.Neighbors {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%.4f\n", h.Rank, h.Symbol, h.Dataset, h.Score)
		}
		return tw.Flush()
	}
}

// geneLabel prints a gene as asked and as resolved.
func geneLabel(g query.GeneRef) string {
	if g.Alias || !strings.EqualFold(g.Query, g.Symbol) {
		return fmt.Sprintf("%s (alias %s)", g.Symbol, g.Query)
	}
	return g.Symbol
}

func printSkipped(w io.Writer, s []query.Skipped) {
	for _, x := range s {
		fmt.Fprintf(w, "skipped %s: model %s differs\n", x.Dataset, x.ModelVersion)
	}
}

func printCells(w io.Writer, cells []query.CellHit, score string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "RANK\tDATASET\tBARCODE\tCELL\t%s\n", score)
	for _, h := range cells {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%.4f\n", h.Rank, h.Dataset, h.Barcode, h.Cell, h.Score)
	}
	return tw.Flush()
}

// runSpatialNeighbors answers --cell SPOT --dataset D --spatial from the
// store alone.
func runSpatialNeighbors(cmd *cobra.Command, g *globalOptions, o *neighborsOptions) error {
	if o.cell == "" || o.dataset == "" || o.cells {
		return fmt.Errorf("%w: --spatial goes with --cell SPOT --dataset D", query.ErrInvalid)
	}
	if len(o.where) > 0 || len(o.restrict) > 0 || len(o.exclude) > 0 {
		return fmt.Errorf("%w: --spatial answers within the spot's own dataset and takes no --where, --restrict or --exclude", query.ErrInvalid)
	}
	db, err := openStore(g, true)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := pipeline.SpatialNeighbors(cmd.Context(), db, o.dataset, o.cell, o.k)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if o.json {
		return writeJSON(w, a)
	}
	fmt.Fprintf(w, "spots nearest %s/%s at (%g, %g)", a.Dataset, a.Barcode, a.X, a.Y)
	if a.ModelVersion != "" {
		fmt.Fprintf(w, ", cosine of cell model %s", a.ModelVersion)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RANK\tBARCODE\tCELL\tX\tY\tDISTANCE\tCOSINE")
	for _, h := range a.Neighbors {
		cos := "-"
		if h.Cosine != nil {
			cos = fmt.Sprintf("%.4f", *h.Cosine)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%g\t%g\t%.4g\t%s\n", h.Rank, h.Barcode, h.Cell, h.X, h.Y, h.Distance, cos)
	}
	return tw.Flush()
}
