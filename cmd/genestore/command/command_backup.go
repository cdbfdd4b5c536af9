package command

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

type backupOptions struct {
	out    string
	force  bool
	verify bool
	json   bool
}

// backupReport is backup's --json output.
type backupReport struct {
	Path     string `json:"path"`
	Bytes    int64  `json:"bytes"`
	Verified bool   `json:"verified"`
}

func newBackupCommand(g *globalOptions) *cobra.Command {
	o := &backupOptions{}
	cmd := &cobra.Command{
		Use:   "backup --out FILE [--force] [--verify] [--json]",
		Short: "Write a consistent copy of the store",
		Long: `backup writes a copy of the store as of one read transaction: readers and
writers of other processes go on before and after it (a writer waits only
while the copy is written). The copy goes to a temporary file beside FILE, is
synced and renamed, so FILE is never half written. An existing FILE needs
--force. --verify then opens the copy and checks it as verify does: every
record, and each current index snapshot against its space's vectors. --json prints {"path", "bytes", "verified"}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := refuseExisting("backup", o.out, o.force); err != nil {
				return err
			}
			db, err := openDB(g, true, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer db.Close()
			rep := backupReport{Path: o.out}
			if rep.Bytes, err = db.Backup(cmd.Context(), o.out); err != nil {
				return err
			}
			if o.verify {
				cp, err := openDB(&globalOptions{store: o.out, lockTimeout: g.lockTimeout, verb: g.verb}, true, cmd.ErrOrStderr())
				if err != nil {
					return fmt.Errorf("backup: the copy does not open: %w", err)
				}
				defer cp.Close()
				vr, err := verifyStore(cmd.Context(), cp.Store())
				if err != nil {
					return fmt.Errorf("backup: the copy does not verify: %w", err)
				}
				if !vr.OK {
					return fmt.Errorf("backup: the copy does not verify:\n%s", strings.Join(vr.Problems, "\n"))
				}
				rep.Verified = true
			}
			if o.json {
				return writeJSON(cmd.OutOrStdout(), rep)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "backed up %s to %s: %d bytes (verified: %v)\n", g.store, rep.Path, rep.Bytes, rep.Verified)
			return err
		},
	}
	cmd.Flags().StringVar(&o.out, "out", "", "file to write (required)")
	cmd.Flags().BoolVar(&o.force, "force", false, "replace an existing file")
	cmd.Flags().BoolVar(&o.verify, "verify", false, "open and verify the copy")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}
