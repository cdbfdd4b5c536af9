package command

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"genestore"
	"genestore/pipeline"
)

type spatialOptions struct {
	dataset string
	o       pipeline.SpatialPatternOptions
	json    bool
}

func newSpatialCommand(g *globalOptions) *cobra.Command {
	o := &spatialOptions{}
	cmd := &cobra.Command{
		Use:   "spatial --dataset D [--top N] [--k K] [--permutations P] [--min-spots M] [--json]",
		Short: "Spatially variable genes of a spatial dataset (Moran's I)",
		Long: `spatial ranks a spatial dataset's genes by spatial autocorrelation:
Moran's I of log-normalised expression (log1p of counts per 10,000) over each
spot's --k nearest spots (row-standardised weights, Euclidean distance on the
stored x/y). Each tested gene (detected in at least --min-spots spots) gets the
normal-approximation p-value, Benjamini-Hochberg adjusted over all tested genes
(Q); the --top genes printed also get a permutation p-value from --permutations
relabellings of the spots (0 skips it). The dataset must have been ingested
with spot coordinates (Space Ranger spatial/ folder, --coords X,Y or h5ad
obsm/spatial). It reads the store only. --json prints {"dataset", "spots",
"k", "tested", "permutations", "genes": [{"gene", "symbol", "spots",
"morans_i", "z", "p_norm", "q_norm", "p_perm"}]}.`,
		Args: cobra.NoArgs,
		// the library reads 0 as its default: refuse it on the command line
		PreRunE: positive("top", "k", "min-spots"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return apiVerb(cmd, g, true, o.json, func(ctx context.Context, db *genestore.DB) (*pipeline.SpatialPatternResult, error) {
				return db.SpatialGenes(ctx, o.dataset, o.o)
			}, func(w io.Writer, res *pipeline.SpatialPatternResult) error {
				fmt.Fprintf(w, "%s: %d spots, %d nearest spots, %d genes tested\n", res.Dataset, res.Spots, res.K, res.Tested)
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "RANK\tGENE\tSPOTS\tMORAN I\tZ\tQ\tPERM P")
				for i, r := range res.Genes {
					perm := "-"
					if res.Permutations > 0 {
						perm = fmt.Sprintf("%.3g", r.PPerm)
					}
					fmt.Fprintf(tw, "%d\t%s\t%d\t%.3f\t%.1f\t%.2g\t%s\n", i+1, r.Symbol, r.Spots, r.I, r.Z, r.QNorm, perm)
				}
				return tw.Flush()
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dataset, "dataset", "", "the spatial dataset (required)")
	f.IntVar(&o.o.Top, "top", 20, "genes to print, highest Moran's I first")
	f.IntVar(&o.o.K, "k", 6, "nearest spots each spot is compared with")
	f.IntVar(&o.o.Permutations, "permutations", 199, "spot relabellings for the printed genes' permutation p-values (0: none)")
	f.IntVar(&o.o.MinSpots, "min-spots", 10, "test only genes detected in at least this many spots")
	f.Uint64Var(&o.o.Seed, "seed", 1, "seed of the permutations")
	f.BoolVar(&o.json, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("dataset")
	return cmd
}
