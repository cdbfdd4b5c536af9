package command

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"genestore/store"
)

type datasetsOptions struct {
	json bool
}

func newDatasetsCommand(g *globalOptions) *cobra.Command {
	o := &datasetsOptions{}
	cmd := &cobra.Command{
		Use:   "datasets [--json]",
		Short: "List the datasets in the store",
		Long: `datasets lists every dataset in the store. With --json it prints a JSON
array of dataset records (fields: id, name, format, source, sha256, values,
cells, genes, nnz, obs_columns, batch_key, added, duplicate_symbols, modality,
species, gene_join, spots); the field set is stable and only grows. species is
empty for a dataset ingested without --species: it is of the store's home
species, which the table shows (see ingest --species).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openStore(g, true)
			if err != nil {
				return err
			}
			defer db.Close()
			list, err := db.Datasets()
			if err != nil {
				return err
			}
			if list == nil {
				list = []store.DatasetInfo{}
			}
			if o.json {
				return writeJSON(cmd.OutOrStdout(), list)
			}
			home, err := db.HomeSpecies()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tMODALITY\tSPECIES\tFORMAT\tVALUES\tCELLS\tGENES\tNONZEROS\tBATCH KEY\tADDED")
			var joins []string
			for _, d := range list {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", d.ID, d.Name, d.Modality, orDash(store.SpeciesOf(d, home)),
					d.Format, d.Values, d.Cells, d.Genes, d.NNZ, orDash(d.BatchKey), d.Added.Format("2006-01-02 15:04"))
				if d.GeneJoin != "" {
					joins = append(joins, fmt.Sprintf("%s: genes %s", d.Name, d.GeneJoin))
				}
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, j := range joins {
				fmt.Fprintln(cmd.OutOrStdout(), j)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
