package command

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"genestore/query"
	"genestore/vocab"
)

type markersOptions struct {
	cluster       int
	space, method string
	resolution    float64
	cell, dataset string
	k             int
	json          bool
}

func newMarkersCommand(g *globalOptions) *cobra.Command {
	o := &markersOptions{}
	cmd := &cobra.Command{
		Use:   "markers (--cluster ID [--resolution R] | --cell BARCODE --dataset D) [-k 10] [--json]",
		Short: "Top genes of a cell cluster or of one cell",
		Long: `markers ranks genes by the inner product of their loading in the cell model's
decoder (space "cell-genes") with a latent vector: the mean vector of the cells of
cluster ID of the stored cell clustering <method>_r<resolution> (computed by
"genestore clusters --space cells"), or one cell's vector (--cell, --dataset).
These are the genes the model expects highest there.

--json prints {cell?:{dataset,cell,barcode}, clustering?, cluster?, cells,
model_version, k, genes:[{rank,gene_id,symbol,score}]}.`,
		Args:    cobra.NoArgs,
		PreRunE: positive("k", "resolution"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if cmd.Flags().Changed("cluster") == (o.cell != "") {
				return fmt.Errorf("give --cluster or --cell")
			}
			if o.space != vocab.SpaceCells {
				return fmt.Errorf("markers are computed for cell clusters (--space cells), not %q", o.space)
			}
			e, _, db, err := openEngine(g, true, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer db.Close()
			var a *query.TopGenes
			if o.cell != "" {
				if o.dataset == "" {
					return fmt.Errorf("--cell needs --dataset")
				}
				a, err = e.CellTopGenes(ctx, o.dataset, o.cell, o.k)
			} else {
				a, err = e.ClusterMarkers(ctx, query.ClusterRequest{Space: o.space, Resolution: o.resolution, Method: o.method}, o.cluster, o.k)
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if o.json {
				return writeJSON(w, a)
			}
			if a.Cell != nil {
				fmt.Fprintf(w, "top genes of cell %s/%s (model %s)\n", a.Cell.Dataset, a.Cell.Barcode, a.ModelVersion)
			} else {
				fmt.Fprintf(w, "top genes of cluster %d of %s (%d cells, model %s)\n", *a.Cluster, a.Clustering, a.Cells, a.ModelVersion)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RANK\tGENE\tSCORE")
			for _, x := range a.Genes {
				fmt.Fprintf(tw, "%d\t%s\t%.4f\n", x.Rank, x.Symbol, x.Score)
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.cluster, "cluster", 0, "cluster id")
	f.StringVar(&o.space, "space", vocab.SpaceCells, "space of the clustering (cells)")
	f.Float64Var(&o.resolution, "resolution", 1, "resolution of the clustering")
	f.StringVar(&o.method, "method", "leiden", "method of the clustering: leiden or louvain")
	f.StringVar(&o.cell, "cell", "", "a cell barcode instead of a cluster")
	f.StringVar(&o.dataset, "dataset", "", "the cell's dataset")
	f.IntVarP(&o.k, "k", "k", 10, "number of genes")
	f.BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}
