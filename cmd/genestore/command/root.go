package command

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"genestore/store"
)

// storeEnv names the environment variable that sets the default store path;
// lockTimeoutEnv the default --lock-timeout.
const (
	storeEnv       = "GENESTORE_STORE"
	lockTimeoutEnv = "GENESTORE_LOCK_TIMEOUT"
)

// globalOptions are the flags every verb shares.
type globalOptions struct {
	store       string        // path of the store file
	quiet       bool          // no progress bars
	lockTimeout time.Duration // wait for the store's file lock
	verb        string        // the running verb ("genestore train cells"), recorded as lock holder
}

// NewRootCommand returns the genestore command with every verb attached.
// It holds no global state: tests build a fresh one per run and drive it with
// SetArgs, SetOut and SetErr.
func NewRootCommand() *cobra.Command {
	g := &globalOptions{}
	cmd := &cobra.Command{
		Use:   "genestore",
		Short: "An embedded database of gene and cell embeddings for single-cell genomics",
		Long: `genestore turns single-cell RNA-seq datasets into one persistent, queryable
store: ingest count matrices, train unified gene and cell embeddings, index them
for nearest-neighbour search, and query genes, cells, co-expression, clusters
and annotations. Everything lives in one bbolt file (--store).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	def := os.Getenv(storeEnv)
	if def == "" {
		def = "genestore.db"
	}
	cmd.PersistentFlags().StringVar(&g.store, "store", def, "store file (env "+storeEnv+")")
	cmd.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "no progress bars")
	lockDef, lockErr := store.DefaultTimeout, error(nil)
	if env := os.Getenv(lockTimeoutEnv); env != "" {
		if lockDef, lockErr = time.ParseDuration(env); lockErr == nil && lockDef <= 0 {
			lockErr = fmt.Errorf("must be positive")
		}
		if lockErr != nil {
			lockErr = fmt.Errorf("$%s=%q: %v", lockTimeoutEnv, env, lockErr)
		}
	}
	cmd.PersistentFlags().DurationVar(&g.lockTimeout, "lock-timeout", lockDef,
		"how long to wait for the store's file lock while another process writes it, e.g. 30s (env "+lockTimeoutEnv+")")
	cmd.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		g.verb = c.CommandPath()
		switch {
		case c.Flags().Changed("lock-timeout") && g.lockTimeout <= 0:
			return fmt.Errorf("--lock-timeout must be positive, got %v", g.lockTimeout)
		case !c.Flags().Changed("lock-timeout") && lockErr != nil:
			return lockErr
		}
		return nil
	}
	cmd.AddCommand(
		newVersionCommand(g),
		newIngestCommand(g),
		newAppendCommand(g),
		newDatasetsCommand(g),
		newMigrateCommand(g),
		newSimulateCommand(g), newActivityCommand(),
		newTrainCommand(g),
		newEvalCommand(g),
		newExportCommand(g),
		newDemoCommand(g),
		newBenchCommand(),
		newNeighborsCommand(g),
		newMarkersCommand(g),
		newCoexprCommand(g),
		newClustersCommand(g),
		newAnnotateCommand(g),
		newAnnotationsCommand(g),
		newServeCommand(g),
		newVerifyCommand(g),
		newGRNCommand(g),
		newRegulationCommand(g, false),
		newRegulationCommand(g, true),
		newPredictCommand(g), newExprCommand(g),
		newLayoutCommand(g), newPlotCommand(g),
		newDropCommand(g), newRenameCommand(g), newCompactCommand(g), newBackupCommand(g),
		newInfoCommand(g), newIndexCommand(g), newGenesCommand(g), newCellsCommand(g), newSpatialCommand(g),
		newSyncCommand(g),
	)
	return cmd
}
