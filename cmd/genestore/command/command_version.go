package command

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"time"

	"github.com/spf13/cobra"
	bolt "go.etcd.io/bbolt"

	"genestore/internal/buildinfo"
	"genestore/migrations"
)

func newVersionCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the genestore version and the store schema version it writes",
		Long: `version prints the binary's version, platform and Go version, then the store
schema version this binary writes ("schema N"). When --store names an existing
file it also prints that store's schema version, read without migrating it,
and whether it needs genestore migrate or a newer binary ("schema unknown" and
why, when the file cannot be read within half a second: not a store, or
locked by a writer).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			latest := migrations.Latest()
			fmt.Fprintf(w, "genestore %s %s/%s %s\nschema %d\n",
				buildinfo.Full(), runtime.GOOS, runtime.GOARCH, runtime.Version(), latest)
			if g.store == "" {
				return nil
			}
			if _, err := os.Stat(g.store); errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			v, err := fileSchemaVersion(g.store, 500*time.Millisecond)
			note := ""
			switch {
			case err != nil: // version still succeeds: the store is not its subject
				_, err = fmt.Fprintf(w, "store %s: schema unknown: %v\n", g.store, err)
				return err
			case v < latest:
				note = " (run genestore migrate)"
			case v > latest:
				note = " (newer than this binary: upgrade genestore)"
			}
			_, err = fmt.Fprintf(w, "store %s: schema %d%s\n", g.store, v, note)
			return err
		},
	}
}

// fileSchemaVersion reads the schema version of the store file at path in
// one read-only bbolt transaction, without migrating it or checking more.
func fileSchemaVersion(path string, timeout time.Duration) (int, error) {
	bdb, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		return 0, err
	}
	defer bdb.Close()
	var v int
	err = bdb.View(func(tx *bolt.Tx) error {
		v, err = migrations.Version(tx)
		return err
	})
	return v, err
}
