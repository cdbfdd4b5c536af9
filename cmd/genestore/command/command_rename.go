package command

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"genestore"
	"genestore/pipeline"
)

type renameOptions struct {
	dataset string
	json    bool
}

func newRenameCommand(g *globalOptions) *cobra.Command {
	o := &renameOptions{}
	cmd := &cobra.Command{
		Use:   "rename --dataset OLD NEW",
		Short: "Rename a dataset",
		Long: `rename gives a dataset a new name (the rules of ingest --name apply: not
empty, not "consensus" or "*", unique) in one transaction, together with the
names the trained models know it by, so append and drop find it under the new
name. Regulatory networks and predictions keep the names they were computed
with. With --json it prints {"dataset", "old_name", "gene_model", "cell_model"}.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return apiVerb(cmd, g, false, o.json, func(ctx context.Context, db *genestore.DB) (*pipeline.RenameResult, error) {
				return db.Rename(ctx, o.dataset, args[0])
			}, func(w io.Writer, res *pipeline.RenameResult) error {
				_, err := fmt.Fprintf(w, "renamed %q to %q (id %d)\n", res.OldName, res.Dataset.Name, res.Dataset.ID)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&o.dataset, "dataset", "", "dataset to rename (required)")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("dataset")
	return cmd
}
