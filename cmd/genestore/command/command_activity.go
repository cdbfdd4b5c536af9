package command

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"genestore/store/ingest"
)

func newActivityCommand() *cobra.Command {
	var peaks, genes, out string
	o := ingest.DefaultActivityOptions()
	cmd := &cobra.Command{
		Use:   "activity --peaks DIR --genes GTF|BED --out DIR [--upstream 2000] [--downstream 0]",
		Short: "Turn a scATAC-seq peaks × cells 10x folder into a gene-activity folder",
		Long: `activity sums each cell's counts in the peaks that overlap a gene's body
extended --upstream bases before its transcription start (strand-aware; 2 kb,
Signac's GeneActivity convention) and writes the genes × cells counts as a 10x
folder (matrix.mtx.gz, features.tsv.gz, barcodes.tsv.gz) under --out, ready for
  genestore ingest --modality atac-activity OUT

--peaks is a Cell Ranger ATAC/ARC folder: matrix.mtx[.gz] (peaks × cells, integer
counts), barcodes.tsv[.gz], and peaks.bed[.gz] (chrom, start, end) or a
features.tsv[.gz] whose ids read chrom:start-end or chrom-start-end (rows of
another type than Peaks, e.g. a multiome's genes, are skipped). --genes is a
GTF (its "gene" records; gene_id and gene_name) or a BED of genes (chrom,
start, end, name[, score, strand]). Genes no peak overlaps are left out. --out
must not be the peaks folder nor a folder already holding matrix, features or
barcodes files (activity refuses rather than overwrite them). Each file is
written under a temporary name and renamed when whole, matrix.mtx.gz last; a
failed run removes what it wrote, and a killed one may leave features and
barcodes without a matrix: remove them and run again. The
peaks matrix is held in memory (12 bytes per nonzero).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			st, err := ingest.GeneActivity(cmd.Context(), peaks, genes, out, o)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "read %d peaks × %d cells; %d of %d annotated genes overlapped by %d peaks", st.Peaks, st.Cells, st.GenesWithPeaks, st.Genes, st.PeaksInGenes)
			if st.PeaksUnknownChrom > 0 {
				fmt.Fprintf(w, " (%d peaks on chromosomes the annotation lacks)", st.PeaksUnknownChrom)
			}
			_, err = fmt.Fprintf(w, "\nwrote %d nonzeros to %s in %.1fs\n", st.NNZ, out, time.Since(start).Seconds())
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&peaks, "peaks", "", "peaks × cells 10x folder (required)")
	f.StringVar(&genes, "genes", "", "gene annotation, GTF or BED (required)")
	f.StringVar(&out, "out", "", "output folder (required)")
	f.IntVar(&o.Upstream, "upstream", o.Upstream, "bases before each gene's start")
	f.IntVar(&o.Downstream, "downstream", o.Downstream, "bases after each gene's end")
	for _, name := range []string{"peaks", "genes", "out"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}
