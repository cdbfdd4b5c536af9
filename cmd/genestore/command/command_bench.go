package command

import (
	"fmt"

	"github.com/spf13/cobra"

	"genestore/bench/realbench"
	"genestore/index"
	"genestore/index/annbench"
)

func newBenchCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench ann|real --data DIR",
		Short: "Benchmarks: the index beside ../shared/bench's peers, and the models on real data",
	}
	cmd.AddCommand(newBenchANNCommand(), newBenchABCommand(), newBenchRealCommand())
	return cmd
}

func newBenchANNCommand() *cobra.Command {
	o := annbench.DefaultOptions()
	cmd := &cobra.Command{
		Use:   "ann --data DIR [--M 16] [--ef-construction 200] [--ef 10,20,40,80,160,320] [--k 10] [--threads 1] [--quantize float32] [--rerank 0] [--upper-beam 0] [--packed-links] [--selectivity 0.01,0.1,0.5]",
		Short: "Measure the HNSW index on a gen_vectors.py folder, one JSON line per (M, ef)",
		Long: `bench ann reads the base.fvecs/query.fvecs/gt.ivecs folder written by
../shared/bench/gen_vectors.py, builds the index with --threads goroutines
(default 1), saves and reloads it, and times single-threaded queries per ef. It prints one JSON line per
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
	f.StringVar(&o.Quantize, "quantize", o.Quantize, "genestore vector storage: float32 or int8 (re-ranked with the dataset's floats, kept outside the index)")
	f.BoolVar(&o.PackLinks, "packed-links", false, "pack the genestore index's layer-0 links once loaded (under a third of their memory; measured packed)")
	f.IntVar(&o.Rerank, "rerank", 0, "int8: re-rank this many of the beam's best candidates with floats (0: the whole beam)")
	f.IntVar(&o.UpperBeam, "upper-beam", 0, fmt.Sprintf("genestore search beam on the layers above 0 (0: the index's default, %d; 1: greedy descent)", index.DefaultUpperBeam))
	f.Float64SliceVar(&o.Selectivity, "selectivity", nil, "also time filtered queries admitting these shares of the rows (genestore only)")
	f.IntVar(&o.Threads, "threads", o.Threads, "build goroutines (genestore only; the graph then depends on scheduling)")
	f.StringVar(&o.IndexDir, "index-dir", "", "keep the saved index in this folder (one folder per data set; the file is named by system, M, efC and quantization) and, when it is already there, load it instead of building (build_s 0)")
	_ = cmd.MarkFlagRequired("data")
	return cmd
}

func newBenchABCommand() *cobra.Command {
	o := annbench.DefaultABOptions()
	cmd := &cobra.Command{
		Use:   "ann-ab --data DIR --index-dir DIR [--configs float32,int8,int8+packed] [--ef 20,40] [--rounds 15] [--batch 5000]",
		Short: "Time saved HNSW indexes against each other in alternating batches, one JSON line per (ef, configuration)",
		Long: `bench ann-ab loads the indexes bench ann saved in --index-dir for the
gen_vectors.py folder --data and times single-threaded queries in one
process: for each ef, round r runs every configuration's batch r before
round r+1, so a machine whose speed drifts slows them alike. Each
configuration is "float32" or "int8", then any of "+packed" (the layer-0
links packed once loaded), "+upperN" (a search beam of N on the layers above
0; 1 is greedy descent) and "+rerankN" (an int8 re-rank window of N),
e.g. "int8+packed+rerank15". A JSON line per (ef, configuration) gives its
median queries per CPU-s, recall@k, resident bytes and the median, lowest
and highest per-round ratio to the first configuration (above 1: faster).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return annbench.AB(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Data, "data", "", "dataset folder from gen_vectors.py (required)")
	f.StringVar(&o.IndexDir, "index-dir", "", "folder where bench ann --index-dir saved the indexes (required)")
	f.IntVar(&o.M, "M", o.M, "graph degree of the saved indexes")
	f.IntVar(&o.EfConstruction, "ef-construction", o.EfConstruction, "build beam of the saved indexes")
	f.StringSliceVar(&o.Configs, "configs", o.Configs, "configurations, the first the reference")
	f.IntSliceVar(&o.Ef, "ef", o.Ef, "query beam widths")
	f.IntVar(&o.K, "k", o.K, "neighbours per query")
	f.IntVar(&o.Rounds, "rounds", o.Rounds, "alternating batches per configuration and ef")
	f.IntVar(&o.Batch, "batch", o.Batch, "queries per batch (the query set repeated)")
	_ = cmd.MarkFlagRequired("data")
	_ = cmd.MarkFlagRequired("index-dir")
	return cmd
}

func newBenchRealCommand() *cobra.Command {
	o := realbench.DefaultOptions()
	cmd := &cobra.Command{
		Use:   "real --data DIR [--suite cellbench,pbmc,genes,fill,species,spatial] [--steps 1,2,4,8] [--seed 1] [--dir DIR] [--orthologs FILE]",
		Short: "Train and evaluate both models on named real datasets, one JSON line per result",
		Long: `bench real builds one store per suite from the real datasets in --data
(../shared/data's layout), trains the models as a user would and prints the
metrics of eval cells / eval genes for the model and every baseline of the same
run, one JSON line per (suite, datasets, method): {"suite", "datasets",
"method", "metrics", "train_seconds", "seed"}.

  cellbench  cellbench_3cl_celseq2 + cellbench_3cl_dropseq; batch = technology,
             label cell_line; label transfer CEL-seq2 → Drop-seq
  pbmc       pbmc10x_3p_v2, 3p_v3 and 5p (1k cells each); batch = chemistry;
             labels from canonical markers (not truth: they group the mixing
             metrics); transfer to the 5′ run
  genes      the gene model on the first 1, 2, 4, 8 (--steps) human datasets
             jointly; GO BP co-annotation (go/human_go_bp.gmt) per dataset and
             over the consensus (also on the first dataset's genes:
             go_auroc_consensus_on), against PCA and Pearson
  fill       (not by default) CEL-seq2 → Drop-seq label transfer with half the
             Drop-seq genes removed: methods zero (zero-filled) and predict
             (predicted by an expression model whose targets are the cell
             model's genes), 3 draws; full and full_predict keep every gene
  species    pbmc10x_3p_v3 (human) + paul15 (mouse) joined by --orthologs
             (default: pairs of symbols equal ignoring case, named in each
             line), 20% of the pairs held out of the table; share of genes
             whose mouse vector is among the 10 nearest mouse genes to their
             human vector, joined pairs and held-out pairs, against
             per-species PCA loadings and Pearson rows
  spatial    mob_spatial_st_stdeconvolve: spots clustered from PCA, smoothed
             PCA and the cell model, ARI against the layers; the top genes
             by Moran's I

A missing dataset is an error. Stores go to a temporary folder unless --dir
keeps them. Progress goes to stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return realbench.Run(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Data, "data", "", "folder holding the datasets, e.g. ../shared/data (required)")
	f.StringSliceVar(&o.Suites, "suite", o.Suites, "suites to run: cellbench, pbmc, genes, fill, species, spatial")
	f.IntSliceVar(&o.Steps, "steps", o.Steps, "dataset counts of the genes suite's curve")
	f.Uint64Var(&o.Seed, "seed", o.Seed, "seed of training and evaluation")
	f.StringVar(&o.Dir, "dir", "", "keep the stores built in this folder")
	f.StringVar(&o.Orthologs, "orthologs", "", "human–mouse ortholog table of the species suite (default: symbol case)")
	f.BoolVar(&o.FromGenes, "from-genes", false, "cellbench and pbmc: also train the gene model and score the cells-from-genes space beside the cell model")
	f.StringVar(&o.FromGenesWeight, "from-genes-weight", "", "weighting of --from-genes: scaled (default), scaled-per-dataset or expression")
	_ = cmd.MarkFlagRequired("data")
	return cmd
}
