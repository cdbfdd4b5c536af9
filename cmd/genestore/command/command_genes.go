package command

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"genestore"
)

type genesOptions struct {
	dataset string
	hvg     bool
	json    bool
}

func newGenesCommand(g *globalOptions) *cobra.Command {
	o := &genesOptions{}
	cmd := &cobra.Command{
		Use:   "genes [--dataset D] [--hvg] [--json]",
		Short: "List genes: id, symbol, in how many datasets, embedded or not",
		Long: `genes lists a dataset's genes (or, without --dataset, the whole gene
vocabulary) by id: symbol, source id (e.g. Ensembl), how many stored datasets
measure it, and whether it is embedded (has a vector of that dataset in the
"genes" space; without --dataset, a consensus vector). --hvg keeps only the
highly variable genes the gene model selected for the dataset (those it
embedded). --json prints {"dataset", "genes": [{"id", "symbol", "source_id",
"datasets", "embedded"}]}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return apiVerb(cmd, g, true, o.json, func(ctx context.Context, db *genestore.DB) (*genestore.GeneList, error) {
				return db.Genes(ctx, genestore.GenesRequest{Dataset: o.dataset, HVG: o.hvg})
			}, func(w io.Writer, res *genestore.GeneList) error {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSYMBOL\tSOURCE ID\tDATASETS\tEMBEDDED")
				for _, r := range res.Genes {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%v\n", r.ID, r.Symbol, orDash(r.SourceID), r.Datasets, r.Embedded)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&o.dataset, "dataset", "", "list this dataset's genes")
	cmd.Flags().BoolVar(&o.hvg, "hvg", false, "only the highly variable genes the gene model embedded (needs --dataset)")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}
