package command

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"genestore"
	"genestore/pipeline"
)

type dropOptions struct {
	dataset string
	yes     bool
	json    bool
}

// errNotConfirmed: drop was not confirmed on stdin and --yes was not given.
var errNotConfirmed = errors.New("drop: not confirmed (type the dataset's name, or pass --yes)")

func newDropCommand(g *globalOptions) *cobra.Command {
	o := &dropOptions{}
	cmd := &cobra.Command{
		Use:   "drop --dataset NAME [--yes] [--json]",
		Short: "Remove a dataset and everything derived from it",
		Long: `drop removes one dataset in a single transaction: its record, genes columns,
cells, obs columns, matrix, co-expression edges, derived layers (predicted
expression), its vectors in every space, its layer of the gene model (consensus
vectors of its genes are recomputed from the datasets left; genes only it had
lose theirs), its batches in the cell model (every other cell embeds as before;
the gene loadings "cell-genes" are kept until the next train cells), the
regulatory networks inferred with a view of it, and its entries in every index
(tombstoned and repaired; an index is compacted when tombstones pass 10%).
Clusterings of its spaces and predictions from it are marked stale. A drop
record (dataset, time, what went) is kept; genestore info lists it.
Other datasets' vectors are unchanged, byte for byte. The freed pages stay in
the file until genestore compact.

Without --yes it asks for the dataset's name on stdin.
With --json it prints {"dataset", "removed": {"records", "edge_lists",
"vectors", "layers", "networks", "clusterings", "predictions"},
"consensus_updated", "consensus_removed", "gene_model", "cell_model",
"indexes": [{"space", "deleted", "live", "tombstones", "compacted",
"seconds"}], "seconds"}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !o.yes {
				fmt.Fprintf(cmd.ErrOrStderr(), "drop %q and everything derived from it? type its name to confirm: ", o.dataset)
				line, err := readLine(cmd.Context(), cmd.InOrStdin())
				if err != nil && cmd.Context().Err() != nil {
					return err
				}
				if strings.TrimSpace(line) != o.dataset {
					return errNotConfirmed
				}
			}
			return apiVerb(cmd, g, false, o.json, func(ctx context.Context, db *genestore.DB) (*pipeline.DropResult, error) {
				return db.Drop(ctx, o.dataset)
			}, printDrop)
		},
	}
	cmd.Flags().StringVar(&o.dataset, "dataset", "", "dataset to drop (required)")
	cmd.Flags().BoolVar(&o.yes, "yes", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("dataset")
	return cmd
}

// printDrop is drop's text output.
func printDrop(w io.Writer, res *pipeline.DropResult) error {
	fmt.Fprintf(w, "dropped %q (id %d): %d records, %d edge lists, vectors %v\n", res.Dataset.Name, res.Dataset.ID,
		res.Removed.Records, res.Removed.EdgeLists, res.Removed.Vectors)
	fmt.Fprintf(w, "gene model: %s\ncell model: %s\n", res.GeneModel, res.CellModel)
	for _, ix := range res.Indexes {
		fmt.Fprintf(w, "index %s: %d deleted, %d live, compacted %v\n", ix.Space, ix.Deleted, ix.Live, ix.Compacted)
	}
	if res.Removed.Clusterings+res.Removed.Predictions > 0 {
		fmt.Fprintf(w, "marked stale: %d clusterings, %d predictions\n", res.Removed.Clusterings, res.Removed.Predictions)
	}
	var err error
	if len(res.Removed.Networks) > 0 {
		_, err = fmt.Fprintf(w, "networks removed: %s\n", strings.Join(res.Removed.Networks, ", "))
	}
	return err
}

// readLine reads one line from r, or returns ctx's error as soon as ctx is
// done (Ctrl-C at a prompt: main's signal.NotifyContext keeps SIGINT from
// ending the process, so a blocked read would ignore it). The reading
// goroutine is left behind then; the process is about to exit.
func readLine(ctx context.Context, r io.Reader) (string, error) {
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		ch <- result{line, err}
	}()
	select {
	case res := <-ch:
		return res.line, res.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
