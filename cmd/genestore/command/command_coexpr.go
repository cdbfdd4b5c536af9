package command

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"genestore/query"
)

type coexprOptions struct {
	gene, dataset string
	k             int
	json          bool
}

func newCoexprCommand(g *globalOptions) *cobra.Command {
	o := &coexprOptions{}
	cmd := &cobra.Command{
		Use:   "coexpr --gene SYMBOL [--dataset D] [-k 25] [--json]",
		Short: "Co-expression partners of a gene across datasets",
		Long: `coexpr lists a gene's partners in the stored co-expression graphs (signed
Pearson correlations) of every dataset, or of --dataset D only. Partners are
ranked by the number of datasets the edge is conserved in, then by the absolute
mean weight. Beside each is the cosine similarity of the two genes' consensus
embeddings, to see whether the model agrees with the graph.

--json prints {gene:{id,symbol,query,alias}, datasets:[names searched], k,
model_version (of the consensus embedding), partners:[{rank, gene_id, symbol,
edges:[{dataset,weight}], mean_weight, sign ("+", "-", "mixed"), conserved,
cosine (null when no embedding)}]}.`,
		Args:    cobra.NoArgs,
		PreRunE: positive("k"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, _, db, err := openEngine(g, true, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer db.Close()
			a, err := e.Coexpr(cmd.Context(), query.CoexprRequest{Symbol: o.gene, Dataset: o.dataset, K: o.k})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if o.json {
				return writeJSON(w, a)
			}
			fmt.Fprintf(w, "co-expression partners of %s in %s\n", geneLabel(a.Gene), strings.Join(a.Datasets, ", "))
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RANK\tGENE\tSIGN\tCONSERVED\tMEAN WEIGHT\tWEIGHTS\tCOSINE")
			for _, p := range a.Partners {
				ws := make([]string, len(p.Edges))
				for i, x := range p.Edges {
					ws[i] = fmt.Sprintf("%s:%.3f", x.Dataset, x.Weight)
				}
				cos := "-"
				if p.Cosine != nil {
					cos = fmt.Sprintf("%.4f", *p.Cosine)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%.3f\t%s\t%s\n", p.Rank, p.Symbol, p.Sign, p.Conserved, p.MeanWeight, strings.Join(ws, " "), cos)
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.gene, "gene", "", "gene symbol (or alias) (required)")
	f.StringVar(&o.dataset, "dataset", "", "only this dataset's graph")
	f.IntVarP(&o.k, "k", "k", 25, "number of partners")
	f.BoolVar(&o.json, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("gene")
	return cmd
}
