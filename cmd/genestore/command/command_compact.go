package command

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"genestore"
	"genestore/store"
)

type compactOptions struct {
	out   string
	force bool
	json  bool
}

func newCompactCommand(g *globalOptions) *cobra.Command {
	o := &compactOptions{}
	cmd := &cobra.Command{
		Use:   "compact [--out FILE [--force]] [--json]",
		Short: "Rewrite the store without free pages",
		Long: `compact rewrites the store without its free pages (bbolt's Compact copy), giving
back the space that drop and retraining freed. By default the store is
replaced: compact holds the store's exclusive lock from the start of the copy
until the new file is renamed over the old one, and fails naming the holder if
another process keeps the store past --lock-timeout. With --out the store is
left as it is and the compacted copy goes to FILE (an existing FILE only with
--force, as for backup). The new file is written
under a temporary name, synced and renamed: a crash leaves the old file or the
new one. Ctrl-C stops the copy within about a thousand keys and leaves the
store as it was. Replacing the store also first removes the temporary files that
killed writers left beside it (".STORE.tmp-N", ".STORE.new-N" unmodified for
10 minutes and not held open; a killed compact leaves one as large as the
store). It prints the sizes before and after and what it removed; --json
prints {"path", "before", "after", "swept_bytes"} and, when it removed any,
"swept".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.out != "" {
				if err := refuseExisting("compact", o.out, o.force); err != nil {
					return err
				}
			}
			return apiVerb(cmd, g, o.out != "", o.json, func(ctx context.Context, db *genestore.DB) (store.CompactResult, error) {
				return db.Compact(ctx, o.out)
			}, func(w io.Writer, res store.CompactResult) error {
				if _, err := fmt.Fprintf(w, "compacted %s: %d → %d bytes (%.1f%% smaller)\n",
					res.Path, res.Before, res.After, 100*float64(res.Before-res.After)/float64(max(res.Before, 1))); err != nil {
					return err
				}
				for _, p := range res.Swept {
					if _, err := fmt.Fprintf(w, "removed %s, left by a killed writer\n", p); err != nil {
						return err
					}
				}
				if n := len(res.Swept); n > 0 {
					files := "files"
					if n == 1 {
						files = "file"
					}
					_, err := fmt.Fprintf(w, "removed %d stale temporary %s, %d bytes\n", n, files, res.SweptBytes)
					return err
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&o.out, "out", "", "write the compacted copy here and leave the store as it is")
	cmd.Flags().BoolVar(&o.force, "force", false, "with --out: replace an existing file")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}
