package command

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"genestore"
	"genestore/store"
)

type infoOptions struct {
	json bool
}

func newInfoCommand(g *globalOptions) *cobra.Command {
	o := &infoOptions{}
	cmd := &cobra.Command{
		Use:   "info [--json]",
		Short: "Describe the store: schema, sizes, datasets, models",
		Long: `info describes the store from one read transaction: its schema version, the
bytes of every top-level bucket and of every embedding space (vectors, index
snapshot, model weights), the datasets, the models with their version ids and
training dates, the datasets dropped, and the free pages (what compact gives
back). The sizes add up: meta + directory + buckets + free + tail = file.

--json prints {"path", "schema_version", "page_size", "file_bytes",
"meta_bytes", "directory_bytes", "free_bytes", "free_pages", "tail_bytes",
"buckets": [{"name", "bytes", "keys"}], "spaces": [{"name", "dim", "vectors",
"generation", "vector_bytes", "index_bytes", "model_bytes"}], "datasets": [as
datasets --json], "models": [{"name", "bytes", "version", "trained"}],
"dropped": [{"dataset", "dropped", "by", "removed"}]}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return apiVerb(cmd, g, true, o.json, func(ctx context.Context, db *genestore.DB) (*store.Info, error) {
				return db.Info(ctx)
			}, printInfo)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

// printInfo is info's text output.
func printInfo(w io.Writer, info *store.Info) error {
	fmt.Fprintf(w, "%s: schema %d, %d bytes (%d-byte pages): meta %d, directory %d, buckets %d, free %d (%d pages), tail %d\n",
		info.Path, info.SchemaVersion, info.FileBytes, info.PageSize, info.MetaBytes, info.DirectoryBytes,
		info.Sum()-info.MetaBytes-info.DirectoryBytes-info.FreeBytes-info.TailBytes, info.FreeBytes, info.FreePages, info.TailBytes)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\nBUCKET\tBYTES\tKEYS\t")
	for _, b := range info.Buckets {
		fmt.Fprintf(tw, "%s\t%d\t%d\t\n", b.Name, b.Bytes, b.Keys)
	}
	fmt.Fprintln(tw, "\nSPACE\tDIM\tVECTORS\tVECTOR BYTES\tINDEX BYTES\tMODEL BYTES\t")
	for _, s := range info.Spaces {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t\n", s.Name, s.Dim, s.Vectors, s.VectorBytes, s.IndexBytes, s.ModelBytes)
	}
	fmt.Fprintln(tw, "\nMODEL\tBYTES\tVERSION\tTRAINED\t")
	for _, m := range info.Models {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t\n", m.Name, m.Bytes, orDash(m.Version), timeOrDash(m.Trained))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d datasets:", len(info.Datasets))
	for _, d := range info.Datasets {
		fmt.Fprintf(w, " %s (%d cells)", d.Name, d.Cells)
	}
	fmt.Fprintln(w)
	for _, d := range info.Dropped {
		fmt.Fprintf(w, "dropped %q (id %d) at %s\n", d.Dataset.Name, d.Dataset.ID, d.Dropped.Format("2006-01-02 15:04:05"))
	}
	return nil
}

// timeOrDash formats t to the minute, or "-" for the zero time (a model with
// a blob but no training record, e.g. cells-genes).
func timeOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format("2006-01-02 15:04")
}
