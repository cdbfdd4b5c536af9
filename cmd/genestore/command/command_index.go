package command

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"genestore"
	"genestore/index"
	"genestore/vecindex"
)

type indexOptions struct {
	space    string
	quantize string
	m, efc   int
	ef       int
	json     bool
}

func newIndexCommand(g *globalOptions) *cobra.Command {
	o := &indexOptions{}
	cmd := &cobra.Command{
		Use:   "index [--space S [--quantize float32|int8] [--M 16] [--ef-construction 200] [--ef 64]] [--json]",
		Short: "Show the spaces' HNSW indexes, or set a space's index settings and rebuild it",
		Long: `index without setting flags lists every embedding space's index: its saved
settings (if any) and what its snapshot says (quantization, metric, M, beams,
nodes, bytes, whether it is current). --space alone shows one space.

With --quantize, --M, --ef-construction or --ef, index saves them as the
space's own settings and rebuilds its index with them in one write (the
vectors are read, indexed outside any transaction, and the settings and the
snapshot are written together; if the space's vectors changed meanwhile
nothing is written). Every later build of the space (a stale snapshot, a
retrain, an append, a drop) keeps them; a flag not given keeps the space's
saved setting (its default when none is saved), so --M 24 on an int8 space
stays int8; --quantize float32 or --M 0 go back to the defaults.

--quantize int8 stores one byte per element in the index: the graph is
searched with the codes and each query's beam is re-ranked with the float
vectors read from the store file, which stay out of the index's memory.
A server already running keeps the index it loaded until the space's vectors
change; restart it to serve the new one.

--json prints a list of {"space", "dim", "vectors", "settings": {"quantize",
"M", "ef_construction", "ef_search"}, "snapshot": {"format_version", "metric",
"quantize", "M", "ef_construction", "ef_search", "nodes", "deleted",
"generation"}, "snapshot_error", "snapshot_bytes", "current"}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			set := f.Changed("quantize") || f.Changed("M") || f.Changed("ef-construction") || f.Changed("ef")
			if set && o.space == "" {
				return fmt.Errorf("index: --quantize, --M, --ef-construction and --ef need --space")
			}
			if !set {
				return apiVerb(cmd, g, true, o.json, func(ctx context.Context, db *genestore.DB) ([]vecindex.Description, error) {
					all, err := db.Indexes(ctx)
					if err != nil || o.space == "" {
						return all, err
					}
					for _, d := range all {
						if d.Space == o.space {
							return []vecindex.Description{d}, nil
						}
					}
					return nil, fmt.Errorf("index: no embedding space %q", o.space)
				}, printIndexes)
			}
			q, err := index.ParseQuantization(o.quantize)
			if err != nil {
				return fmt.Errorf("--quantize: %w", err)
			}
			return apiVerb(cmd, g, false, o.json, func(ctx context.Context, db *genestore.DB) ([]vecindex.Description, error) {
				// Start from the space's saved settings: a flag not given
				// keeps its value.
				var s vecindex.Settings
				all, err := db.Indexes(ctx)
				if err != nil {
					return nil, err
				}
				for _, d := range all {
					if d.Space == o.space && d.Settings != nil {
						s = *d.Settings
					}
				}
				if f.Changed("quantize") {
					s.Quantize = q
				}
				if f.Changed("M") {
					s.M = o.m
				}
				if f.Changed("ef-construction") {
					s.EfConstruction = o.efc
				}
				if f.Changed("ef") {
					s.EfSearch = o.ef
				}
				if err := s.Validate(); err != nil {
					return nil, err
				}
				d, err := db.Reindex(ctx, o.space, s)
				return []vecindex.Description{d}, err
			}, printIndexes)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.space, "space", "", "the embedding space (genes, cells, cell-genes, ...)")
	f.StringVar(&o.quantize, "quantize", "float32", "vector storage in the index: float32 or int8 (re-ranked with the store's floats)")
	f.IntVar(&o.m, "M", 0, "links per node (0: the default, 16)")
	f.IntVar(&o.efc, "ef-construction", 0, "build beam width, at least M (0: the default, 200)")
	f.IntVar(&o.ef, "ef", 0, "default query beam width (0: the default, 64)")
	f.BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

// printIndexes is index's text output.
func printIndexes(w io.Writer, ds []vecindex.Description) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SPACE\tDIM\tVECTORS\tSETTINGS\tINDEX\tBYTES\tCURRENT")
	for _, d := range ds {
		settings := "-"
		if s := d.Settings; s != nil {
			settings = fmt.Sprintf("%s M=%s efC=%s ef=%s", s.Quantize, orDefault(s.M), orDefault(s.EfConstruction), orDefault(s.EfSearch))
		}
		snap := "none"
		switch {
		case d.Snapshot != nil:
			h := d.Snapshot
			snap = fmt.Sprintf("%s %s M=%d efC=%d ef=%d, %d nodes", h.Quantize, h.Metric, h.M, h.EfConstruction, h.EfSearch, h.Nodes-h.Deleted)
		case d.SnapshotError != "":
			snap = "unreadable: " + d.SnapshotError
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%d\t%v\n", d.Space, d.Dim, d.Vectors, settings, snap, d.SnapshotBytes, d.Current)
	}
	return tw.Flush()
}

// orDefault prints a setting, "default" for 0.
func orDefault(v int) string {
	if v == 0 {
		return "default"
	}
	return fmt.Sprint(v)
}
