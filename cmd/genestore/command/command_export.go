package command

import (
	"fmt"

	"github.com/spf13/cobra"

	"genestore/export"
)

type exportOptions struct {
	export.Options
	out string
}

func newExportCommand(g *globalOptions) *cobra.Command {
	o := &exportOptions{Options: export.DefaultOptions()}
	cmd := &cobra.Command{
		Use:   "export --space genes|cells|cell-genes|cells-from-genes [--format tsv|h5ad] [--out FILE] [--with-counts] [--no-layers] [--force]",
		Short: "Write an embedding space as TSV or as an AnnData .h5ad",
		Long: `export writes every vector of a space, one row each.

TSV columns: for genes and cell-genes "gene\tdataset\tdim0..."; for cells
and cells-from-genes "barcode\tdataset\tdim0...". Consensus gene vectors (one per gene across
datasets) have dataset "*". Values are float32 printed with the shortest
representation that reads back exactly.

h5ad (AnnData on-disk format, read by anndata >= 0.8 and scanpy): the vectors
in obsm["X_genestore"] and in X (var = dim0...); obs index = barcode or gene
symbol, made unique with "-<dataset>" when repeated. Cells (either cell
space): obs holds dataset,
barcode, batch, every obs column of the cells' datasets, one
"cluster_<name>" column per stored clustering and "<label>_transferred" with
"<label>_transferred_confidence" per stored label transfer. Genes and
cell-genes: symbol, gene_id, dataset ("*" for consensus rows), consensus
(bool), cluster columns. uns["genestore"] holds the provenance: space,
generation, model version and each vector set's parameters. With
--with-counts (cells only) X is the stored raw matrix of those cells over the
union of their datasets' genes (var index = symbol, var columns gene_ids and
gene_symbols). A cells h5ad also carries each derived layer of the cells'
datasets (predicted expression, written by predict) as obsm["layer_<name>"]:
cells × the layer's genes, NaN for cells of datasets without it; its
var_names, gene_ids, value type ("predicted") and per-dataset model version
are in uns["genestore"]["layers"][name]. --no-layers leaves them out.

--out is written to a temporary file in the same folder, synced and renamed:
a failed export leaves an earlier file as it was. An existing --out is
refused unless --force.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			stdout := o.out == "" || o.out == "-"
			if stdout && o.Format == export.FormatH5AD {
				return fmt.Errorf("export: --format h5ad needs --out FILE")
			}
			db, err := openStore(g, true)
			if err != nil {
				return err
			}
			defer db.Close()
			if stdout {
				_, err := export.Write(cmd.Context(), db, cmd.OutOrStdout(), o.Options)
				return err
			}
			rep, err := export.WriteFile(cmd.Context(), db, o.out, o.Options)
			if err != nil {
				return err
			}
			what := "vectors"
			if rep.Counts {
				what = fmt.Sprintf("vectors and raw counts over %d genes", rep.Genes)
			}
			for _, l := range rep.Layers {
				what += fmt.Sprintf(", layer %q (%d genes)", l.Name, l.Genes)
			}
			_, err = fmt.Fprintf(cmd.ErrOrStderr(), "wrote %d %s of %q to %s\n", rep.Rows, what, rep.Space, rep.Path)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Space, "space", o.Space, "embedding space: genes, cells, cell-genes or cells-from-genes")
	f.StringVar(&o.Format, "format", o.Format, "tsv or h5ad")
	f.StringVar(&o.out, "out", "", "output file (default stdout for tsv)")
	f.BoolVar(&o.WithCounts, "with-counts", false, "h5ad of cells: X = the raw counts of the exported cells")
	f.BoolVar(&o.NoLayers, "no-layers", false, "h5ad of cells: leave out the datasets' derived layers (predicted expression)")
	f.BoolVar(&o.Force, "force", false, "replace an existing --out file")
	return cmd
}
