package command

import (
	"github.com/spf13/cobra"

	"genestore/index/annbench"
)

func newBenchCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench ann --data DIR",
		Short: "Benchmarks that run beside the peer harnesses in ../shared/bench",
	}
	cmd.AddCommand(newBenchANNCommand())
	return cmd
}

func newBenchANNCommand() *cobra.Command {
	o := annbench.DefaultOptions()
	cmd := &cobra.Command{
		Use:   "ann --data DIR [--M 16] [--ef-construction 200] [--ef 10,20,40,80,160,320] [--k 10]",
		Short: "Measure the HNSW index on a gen_vectors.py folder, one JSON line per (M, ef)",
		Long: `bench ann reads the base.fvecs/query.fvecs/gt.ivecs folder written by
../shared/bench/gen_vectors.py, builds the index single-threaded, saves and
reloads it, and times single-threaded queries per ef. It prints one JSON line per
(M, ef) with the fields of ../shared/bench/peer_ann.py (system "genestore",
params, n, dim, nq, build_s, build_cpu_s, qps, qps_cpu, recall_at_10,
index_bytes, save_s, load_s, query_threads, query_mode, version, cpus,
busy_others), so both can be compared in one run. --system coder-hnsw measures
github.com/coder/hnsw on the same data. Progress goes to stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return annbench.Run(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Data, "data", "", "dataset folder from gen_vectors.py (required)")
	f.IntSliceVar(&o.M, "M", o.M, "graph degrees to build")
	f.IntVar(&o.EfConstruction, "ef-construction", o.EfConstruction, "build beam width")
	f.IntSliceVar(&o.Ef, "ef", o.Ef, "query beam widths")
	f.IntVar(&o.K, "k", o.K, "neighbours per query")
	f.IntVar(&o.Runs, "runs", o.Runs, "timed runs per ef (best kept)")
	f.StringVar(&o.System, "system", o.System, "genestore or coder-hnsw")
	f.Uint64Var(&o.Seed, "seed", o.Seed, "level generator seed")
	_ = cmd.MarkFlagRequired("data")
	return cmd
}
