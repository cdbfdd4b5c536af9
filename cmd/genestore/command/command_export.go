package command

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"genestore/store"
	"genestore/vocab"
)

type exportOptions struct {
	space  string
	format string
	out    string
}

func newExportCommand(g *globalOptions) *cobra.Command {
	o := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export --space genes|cells|cell-genes [--format tsv|h5ad] [--out FILE]",
		Short: "Write an embedding space as TSV (or AnnData .h5ad)",
		Long: `export writes every vector of a space, one row each.

TSV columns: for genes and cell-genes "gene\tdataset\tdim0..."; for cells
"barcode\tdataset\tdim0...". Consensus gene vectors (one per gene across
datasets) have dataset "*". Values are float32 printed with the shortest
representation that reads back exactly.

h5ad: X = the vectors (rows × dims, float32), obs index = gene symbol or
barcode (made unique with the dataset name when needed), obs column "dataset".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openStore(g, true)
			if err != nil {
				return err
			}
			defer db.Close()
			rows, err := readSpaceRows(db, o.space)
			if err != nil {
				return err
			}
			switch o.format {
			case "tsv":
				w := cmd.OutOrStdout()
				if o.out != "" && o.out != "-" {
					f, err := os.Create(o.out)
					if err != nil {
						return err
					}
					defer f.Close()
					w = f
				}
				if err := writeTSV(w, o.space, rows); err != nil {
					return err
				}
			case "h5ad":
				if o.out == "" || o.out == "-" {
					return fmt.Errorf("export: --format h5ad needs --out FILE")
				}
				if err := writeH5AD(o.out, rows); err != nil {
					return err
				}
			default:
				return fmt.Errorf("export: unknown --format %q (tsv or h5ad)", o.format)
			}
			if o.out != "" && o.out != "-" {
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %d vectors of %q to %s\n", len(rows.names), o.space, o.out)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.space, "space", "genes", "embedding space: genes, cells or cell-genes")
	f.StringVar(&o.format, "format", "tsv", "tsv or h5ad")
	f.StringVar(&o.out, "out", "", "output file (default stdout for tsv)")
	return cmd
}

// spaceRows is a space's vectors with their row names.
type spaceRows struct {
	dim      int
	names    []string // gene symbol or barcode
	datasets []string // dataset name or "*"
	vecs     []float32
}

func readSpaceRows(db *store.DB, space string) (*spaceRows, error) {
	rows := &spaceRows{}
	err := db.View(func(tx *store.Tx) error {
		// a gene has a row in every set that holds it: look it up once
		symbols := map[uint32]string{}
		symbol := func(id uint32) (string, error) {
			if s, ok := symbols[id]; ok {
				return s, nil
			}
			gi, err := tx.Gene(id)
			symbols[id] = gi.Symbol
			return gi.Symbol, err
		}
		info, err := tx.Space(space)
		if err != nil {
			return fmt.Errorf("space %q: %w", space, err)
		}
		rows.dim = info.Dim
		for _, set := range info.Sets {
			ids, _, vecs, err := tx.Embeddings(space, set.Dataset)
			if err != nil {
				return err
			}
			dsName := "*"
			var barcodes []string
			if set.Dataset != vocab.Consensus {
				d, err := tx.DatasetByID(set.Dataset)
				if err != nil {
					return err
				}
				dsName = d.Name
				if space == "cells" {
					if barcodes, err = tx.Barcodes(set.Dataset); err != nil {
						return err
					}
				}
			}
			for _, id := range ids {
				var name string
				if barcodes != nil {
					name = barcodes[id]
				} else if name, err = symbol(id); err != nil {
					return err
				}
				rows.names = append(rows.names, name)
				rows.datasets = append(rows.datasets, dsName)
			}
			rows.vecs = append(rows.vecs, vecs...)
		}
		return nil
	})
	return rows, err
}

func writeTSV(w io.Writer, space string, rows *spaceRows) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	first := "gene"
	if space == "cells" {
		first = "barcode"
	}
	bw.WriteString(first + "\tdataset")
	for d := 0; d < rows.dim; d++ {
		fmt.Fprintf(bw, "\tdim%d", d)
	}
	bw.WriteByte('\n')
	var buf []byte
	for i, name := range rows.names {
		buf = append(buf[:0], name...)
		buf = append(buf, '\t')
		buf = append(buf, rows.datasets[i]...)
		for _, v := range rows.vecs[i*rows.dim : (i+1)*rows.dim] {
			buf = append(buf, '\t')
			buf = strconv.AppendFloat(buf, float64(v), 'g', -1, 32)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}
