package command

import (
	"os"

	"github.com/spf13/cobra"
)

// storeEnv names the environment variable that sets the default store path.
const storeEnv = "GENESTORE_STORE"

// globalOptions are the flags every verb shares.
type globalOptions struct {
	store string // path of the store file
	quiet bool   // no progress bars
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
	cmd.AddCommand(
		newVersionCommand(),
		newIngestCommand(g),
		newAppendCommand(g),
		newDatasetsCommand(g),
		newMigrateCommand(g),
		newSimulateCommand(g),
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
		newGRNCommand(g),
		newRegulationCommand(g, false),
		newRegulationCommand(g, true),
	)
	return cmd
}
