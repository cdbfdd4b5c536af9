package command

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"genestore/internal/buildinfo"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the genestore version and the store schema version it writes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "genestore %s %s/%s %s\n",
				buildinfo.Full(), runtime.GOOS, runtime.GOARCH, runtime.Version())
			return err
		},
	}
}
