package command

import (
	"fmt"

	"github.com/spf13/cobra"

	"genestore/store"
)

func newMigrateCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Upgrade the store's schema to this binary's version",
		Long: `migrate runs every schema migration the store is missing, in order, in one
transaction: either all of them apply or the store is left as it was. A store
written by a newer genestore is refused.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, to, err := store.Migrate(cmd.Context(), g.store, storeOptions(g, false))
			if err != nil {
				return err
			}
			if from == to {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: schema %d is current\n", g.store, to)
			} else {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: migrated schema %d → %d\n", g.store, from, to)
			}
			return err
		},
	}
}
