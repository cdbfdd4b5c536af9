package command

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"genestore/index"
	"genestore/pipeline"
)

type appendOptions struct {
	readFlags
	name     string
	batchKey string
	seed     uint64
	fill     string
}

func newAppendCommand(g *globalOptions) *cobra.Command {
	o := &appendOptions{}
	cmd := &cobra.Command{
		Use:   "append --name NAME [--obs FILE] [--batch-key COL] PATH",
		Short: "Add a dataset to a trained store without retraining everything",
		Long: `append ingests one dataset (same formats and flags as ingest) and folds it into
the trained models without retraining them:

  - its co-expression graph is built and stored;
  - the gene model gets a new dataset-specific input layer, trained with the
    shared graph layers frozen; consensus vectors of the genes it has are
    updated;
  - the cell model gets parameters for the new batch(es) only, everything else
    frozen (scArches-style surgery); new genes and unseen cell labels are fine;
    genes the cell model needs and the dataset lacks are predicted from the
    ones it has by the expression model when the store holds one
    (--fill-missing predict, the default then), else zero-filled
    (--fill-missing zero);
  - the new vectors are inserted into the saved HNSW indexes in place;
  - clusterings of both spaces are marked stale.

Vectors of the other datasets stay byte-identical and the new ones carry the
model version of the space they join. It all happens in one transaction:
readers keep answering meanwhile and see the new data once it commits, and an
interrupted append leaves the store exactly as it was.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			start := time.Now()
			db, ds, aopts, err := o.openForNewDataset(ctx, g, "append", o.name, args[0], o.batchKey)
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := pipeline.Append(ctx, db, o.name, ds, pipeline.AppendOptions{BatchKey: o.batchKey, Seed: o.seed,
				Index: index.DefaultOptions(), FillMissing: o.fill, Dataset: aopts}, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			d := res.Dataset
			fmt.Fprintf(w, "appended %q (id %d): %d cells × %d genes, %d nonzeros\n", d.Name, d.ID, d.Cells, d.Genes, d.NNZ)
			if res.SkippedGeneModel != "" {
				fmt.Fprintf(w, "  genes: skipped: %s\n", res.SkippedGeneModel)
			} else {
				fmt.Fprintf(w, "  genes: %d vectors, %d consensus vectors updated, %d co-expression edges (model %s, %.1fs)\n",
					res.GeneVectors, res.ConsensusTouched, res.GeneEdges, res.GeneModelVersion, res.GeneSeconds)
			}
			if res.SkippedCellModel != "" {
				fmt.Fprintf(w, "  cells: skipped: %s\n", res.SkippedCellModel)
			} else {
				fmt.Fprintf(w, "  cells: %d vectors (model %s, %.1fs; %d missing genes predicted)\n", res.CellVectors, res.CellModelVersion, res.CellSeconds, res.FilledGenes)
			}
			_, err = fmt.Fprintf(w, "  total %.1fs\n", time.Since(start).Seconds())
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "", "dataset name, unique in the store (required)")
	o.readFlags.register(f)
	f.StringVar(&o.batchKey, "batch-key", "", "obs column naming each cell's batch (default: the dataset is one batch)")
	f.Uint64Var(&o.seed, "seed", 1, "seed for training the new parameters")
	f.StringVar(&o.fill, "fill-missing", "", "genes of the cell model the dataset lacks: predict (with the expression model, train expr) or zero (default: predict when an expression model exists)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}
