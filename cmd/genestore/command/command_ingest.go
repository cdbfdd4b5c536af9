package command

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

type ingestOptions struct {
	readFlags
	name     string
	batchKey string
	json     bool
}

func newIngestCommand(g *globalOptions) *cobra.Command {
	o := &ingestOptions{}
	cmd := &cobra.Command{
		Use:   "ingest --name NAME [flags] PATH",
		Short: "Read a count matrix with its cell metadata into the store",
		Long: `ingest reads one dataset and adds it to the store in a single transaction:
the raw matrix, its genes (joined to the store's gene vocabulary by symbol), its
cells and their metadata. If anything is wrong with the input, nothing is written.

Modality and species: --modality rna|spatial|atac-activity|bulk (spatial is
inferred when coordinates come with the input: obsm["spatial"] of an h5ad, a
Space Ranger spatial/tissue_positions[_list].csv beside the matrix folder or
.h5, or --coords X,Y naming two obs columns). --species names the organism; the
first species named becomes the store's home species, whose genes are joined
by symbol. A dataset of another species keeps its genes apart unless
--orthologs joins them to home genes: a one-to-one table (columns named
<species>_symbol, e.g. HGNC HCOP's human_symbol/mouse_symbol, or MGI's
HOM_MouseHumanSequence.rpt) or "symbol-case", the explicit opt-in that pairs
symbols equal ignoring case (recorded as such). Joined genes keep their own
symbols as orthologs of the home gene, so either name finds it.

PATH is a 10x Matrix Market folder (matrix.mtx[.gz] with features.tsv[.gz] or
genes.tsv[.gz] and barcodes.tsv[.gz]; an obs.csv inside is picked up), an AnnData
.h5ad file, a 10x .h5 file, or a dense CSV/TSV (rows = genes, columns = cells;
--transpose for rows = cells).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runIngest(cmd, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "", "dataset name, unique in the store (required)")
	o.readFlags.register(f)
	f.StringVar(&o.batchKey, "batch-key", "", "obs column that names each cell's batch")
	f.BoolVar(&o.json, "json", false, "print the new dataset's record as JSON")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func runIngest(cmd *cobra.Command, g *globalOptions, o *ingestOptions, path string) error {
	ctx := cmd.Context()
	start := time.Now()
	db, ds, aopts, err := o.openForNewDataset(ctx, g, "ingest", o.name, path, o.batchKey)
	if err != nil {
		return err
	}
	defer db.Close()
	parsed := time.Since(start)
	info, err := db.AddDataset(ctx, o.name, ds, aopts)
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(cmd.OutOrStdout(), info)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "ingested %q (id %d, %s, %s, %s): %d cells × %d genes, %d nonzeros; read %.2fs, stored %.2fs\n",
		info.Name, info.ID, info.Modality, info.Format, info.Values, info.Cells, info.Genes, info.NNZ,
		parsed.Seconds(), (time.Since(start) - parsed).Seconds())
	if info.Spots > 0 {
		fmt.Fprintf(w, "  %d spots with x/y coordinates\n", info.Spots)
	}
	if info.GeneJoin != "" {
		fmt.Fprintf(w, "  species %s, genes %s\n", info.Species, info.GeneJoin)
	}
	return nil
}
