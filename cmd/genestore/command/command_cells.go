package command

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"genestore"
)

type cellsOptions struct {
	dataset string
	where   []string
	json    bool
}

func newCellsCommand(g *globalOptions) *cobra.Command {
	o := &cellsOptions{}
	cmd := &cobra.Command{
		Use:   "cells --dataset D [--where COL=VALUE ...] [--json]",
		Short: "List a dataset's cells with their metadata",
		Long: `cells lists a dataset's cells in row order: row, barcode, every obs column
and whether the cell has a vector in the "cells" space. --where COL=VALUE keeps
the cells whose COL is VALUE, --where cluster:NAME=ID the cells of cluster ID
of the stored cells clustering NAME (e.g. cluster:leiden_r1.0=3); repeat it:
values given for one selector are alternatives, different selectors must all
match (the syntax "neighbors --where" reads). An unknown column is an error
naming the dataset's columns, a value no cell has one naming the column's
values (as neighbors --where). --json prints {"dataset", "columns",
"total", "cells": [{"row", "barcode", "obs": {column: value}, "embedded"}]}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return apiVerb(cmd, g, true, o.json, func(ctx context.Context, db *genestore.DB) (*genestore.CellList, error) {
				return db.Cells(ctx, genestore.CellsRequest{Dataset: o.dataset, Where: o.where})
			}, func(w io.Writer, res *genestore.CellList) error {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintf(tw, "ROW\tBARCODE\t%s\tEMBEDDED\n", strings.Join(res.Columns, "\t"))
				for _, c := range res.Cells {
					vals := make([]string, len(res.Columns))
					for i, col := range res.Columns {
						vals[i] = c.Obs[col]
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%v\n", c.Row, c.Barcode, strings.Join(vals, "\t"), c.Embedded)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				_, err := fmt.Fprintf(cmd.ErrOrStderr(), "%d of %d cells\n", len(res.Cells), res.Total)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&o.dataset, "dataset", "", "dataset (required)")
	cmd.Flags().StringArrayVar(&o.where, "where", nil, "keep cells whose obs COL is VALUE (COL=VALUE, or cluster:NAME=ID; repeatable)")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("dataset")
	return cmd
}
