package command

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"genestore/pipeline"
)

func newAnnotationsCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "annotations load|list",
		Short: "Load gene-set collections and gene aliases into the store",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newAnnotationsLoadCommand(g), newAnnotationsListCommand(g))
	return cmd
}

type annotationsLoadOptions struct {
	pipeline.AnnotationOptions
	json bool
}

func newAnnotationsLoadCommand(g *globalOptions) *cobra.Command {
	o := &annotationsLoadOptions{}
	cmd := &cobra.Command{
		Use:   "load (--gmt FILE | --gaf FILE [--aspects PFC]) --name NAME | --aliases FILE",
		Short: "Store a GMT or GAF gene-set collection, or an alias map",
		Long: `annotations load stores a gene-set collection under NAME, replacing one of the
same name: --gmt reads "ID<TAB>description<TAB>gene..." lines (MSigDB/Enrichr),
--gaf a GO Annotation File (one set per GO term, NOT qualifiers excluded,
--aspects keeps some of P, F, C). With --aliases it stores the alias map used to
resolve gene symbols: a TSV "alias_symbol<TAB>symbol[<TAB>...]" with an optional
header; aliases naming two symbols are dropped. Files may be gzipped (.gz).

It reports how many of the file's genes (or aliases' target symbols) the store's
gene vocabulary holds (any letter case). --json prints {kind, name, source, sets,
genes, in_store, ambiguous}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			db, err := openStore(g, false)
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := pipeline.LoadAnnotations(cmd.Context(), db, o.AnnotationOptions)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			switch {
			case o.json:
				return writeJSON(w, rep)
			case rep.Kind == "aliases":
				_, err = fmt.Fprintf(w, "stored %d aliases (%d ambiguous dropped); %d target symbols are in the store\n", rep.Genes, rep.Ambiguous, rep.InStore)
			default:
				_, err = fmt.Fprintf(w, "stored collection %q: %d sets over %d genes, %d of them in the store\n", rep.Name, rep.Sets, rep.Genes, rep.InStore)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.GMT, "gmt", "", "GMT file")
	f.StringVar(&o.GAF, "gaf", "", "GAF file")
	f.StringVar(&o.Aspects, "aspects", "", "GAF aspects to keep (P, F, C; default all)")
	f.StringVar(&o.Aliases, "aliases", "", "alias TSV file")
	f.StringVar(&o.Name, "name", "", "collection name")
	f.BoolVar(&o.json, "json", false, "print JSON")
	cmd.MarkFlagsMutuallyExclusive("gmt", "gaf", "aliases")
	cmd.MarkFlagsOneRequired("gmt", "gaf", "aliases")
	return cmd
}

type annotationsListOptions struct{ json bool }

func newAnnotationsListCommand(g *globalOptions) *cobra.Command {
	o := &annotationsListOptions{}
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "List the stored gene-set collections",
		Long:  `annotations list prints each stored collection; --json prints [{name, sets, genes}].`,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openStore(g, true)
			if err != nil {
				return err
			}
			defer db.Close()
			out, err := pipeline.Collections(cmd.Context(), db)
			if err != nil {
				return err
			}
			if o.json {
				return writeJSON(cmd.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSETS\tGENES")
			for _, c := range out {
				fmt.Fprintf(tw, "%s\t%d\t%d\n", c.Name, c.Sets, c.Genes)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}
