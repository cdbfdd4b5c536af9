package command

import (
	"bufio"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"genestore/internal/sampledata"
	"genestore/pipeline"
	"genestore/query"
	"genestore/query/eval"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/train/grn"
	"genestore/train/grn/classic"
)

type trainGRNOptions struct {
	grn        pipeline.GRNOptions
	regulators string // file
	known      string // file
}

// run reads the option files and trains the network.
func (o *trainGRNOptions) run(cmd *cobra.Command, g *globalOptions) (*pipeline.GRNResult, error) {
	switch o.regulators {
	case "":
	case "tfs": // the shipped GO:0003700 list (a file named tfs: ./tfs)
		regs, err := sampledata.HumanTFs()
		if err != nil {
			return nil, err
		}
		o.grn.Regulators = regs
	default:
		regs, err := ingest.ReadSymbols(o.regulators)
		if err != nil {
			return nil, err
		}
		o.grn.Regulators = regs
	}
	if o.known != "" {
		rows, err := ingest.ReadEdges(o.known)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			o.grn.Known = append(o.grn.Known, pipeline.KnownEdge{Regulator: r.Regulator, Target: r.Target, Sign: r.Sign})
		}
	}
	db, err := openStore(g, false)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return pipeline.TrainGRN(cmd.Context(), db, o.grn, cmd.ErrOrStderr())
}

func newTrainGRNCommand(g *globalOptions) *cobra.Command {
	o := &trainGRNOptions{grn: pipeline.DefaultGRNOptions()}
	cmd := &cobra.Command{
		Use:   "grn [--datasets a,b | --datasets a --views-by COL] [--regulators FILE|tfs] [--genes N]",
		Short: "Infer a directed gene regulatory network across datasets or time points",
		Long: `train grn scores every candidate regulator → target pair over several views of
the data and stores the result as a regulatory network (--name, default
"default"), beside the co-expression edges and embeddings.

Views are the datasets given (--datasets), or the values of an obs column of one
dataset (--datasets D --views-by time_point): time points, conditions,
pseudotime windows. Genes are the --genes most variable ones common to every
view, plus the candidate regulators: --regulators FILE (one symbol a line,
typically transcription factors), or tfs, the shipped list of 1,430 human
DNA-binding transcription factors (GO:0003700 and its descendants,
org.Hs.eg.db 3.16.0); default every selected gene. A listed symbol matches
its gene exactly, else ignoring case when that names one gene (human symbols
on mouse data). As BEELINE keeps the varying TFs beside the most variable
genes, a listed regulator enters the network only when it ranks among the
2 × --genes most variable genes (--regulator-pool; -1: every listed one) or
has known edges;
those left out and those absent from the data are counted and the first few
named. Each view is log-normalised (counts scaled to 10,000 per cell).

With --known FILE (prior edges: regulator, target[, sign] per line; a file
that misses the data entirely is refused) the supervised DeepMCL model is
trained (--method deepmcl, the default then): each gene pair becomes, per view,
a 32×32 log joint-density image of the two genes' expression plus neighbour
images of each gene with its closest partners; a shared (Siamese) VGG-style
CNN embeds every image, attention weighs a view's images and then the views,
and a head scores "regulator regulates target", reading beside the images the
unsupervised evidence on the pair (ranks of the GENIE3 + spcor ensemble, GENIE3, partial
correlations, CLR and Spearman scores, per view and over the pooled cells).
Loss: BCE on the known edges against non-edges sampled from the regulators
with known edges, plus a contrastive (NT-Xent) term pulling a pair's views'
pictures together; early stopping on the edges of held-out regulators. Every
candidate pair
is then scored, and each edge keeps the attention weight of every view; the
stored score is the mean of the pair's normalised rank among the network's
scores and among the unsupervised ensemble's (--no-fusion: the network's own
score). The
weights are stored (blob model/grn:NAME). Without a regulator list the
candidates are the known edges' regulators.

Without --known an unsupervised method scores the pairs (--method): ensemble
(the default: per view, the mean rank of genie3 and spcor, and of rspcor when
--regulators names fewer candidates than genes), genie3 (tree-ensemble
regression importance per target, GENIE3), clr (context likelihood of
relatedness over mutual information), pcor / spcor (partial correlation of
values / ranks given every other gene), rspcor (partial correlation of ranks
given the other candidate regulators only), spearman, pearson. Views are combined by the median of their
normalised ranks (--aggregate mean: their mean); each edge's sign comes from
the partial correlations of the views.

The data are read in one read transaction, scored with no lock held, and the
network is committed in one write transaction that checks no dataset changed
meanwhile; a refused or interrupted run changes nothing.`,
		Args: cobra.NoArgs,
		// pipeline reads 0 as its default: refuse it on the command line
		PreRunE: positive("genes", "min-cells"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := o.run(cmd, g)
			if err != nil {
				return err
			}
			n := res.Network
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "network %q: %d edges, %d regulators → %d targets over %d genes, %d views (%s)\n",
				n.Name, n.Edges, n.Regulators, n.Targets, res.Genes, len(n.Views), n.Method)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.grn.Name, "name", o.grn.Name, "network name (an existing one is replaced)")
	f.StringSliceVar(&o.grn.Datasets, "datasets", nil, "datasets, one view each (default: all)")
	f.StringVar(&o.grn.ViewsBy, "views-by", "", "obs column of the one dataset (--datasets, or the store's only one) whose values are the views")
	f.StringVar(&o.regulators, "regulators", "", "candidate regulators: a file of symbols, one a line, or tfs (the shipped human TF list); default every selected gene")
	f.IntVar(&o.grn.RegulatorPool, "regulator-pool", 0, "a listed regulator enters when among this many most variable genes (0: 2 × --genes; -1: every listed one)")
	f.StringVar(&o.known, "known", "", "prior edges: regulator, target[, sign] per line (TSV or CSV)")
	f.IntVar(&o.grn.Genes, "genes", o.grn.Genes, "most variable genes kept (plus regulators and known-edge genes)")
	f.IntVar(&o.grn.MinCells, "min-cells", o.grn.MinCells, "fewest cells a view may have")
	f.StringVar(&o.grn.Method, "method", "", "scoring method: "+strings.Join(pipeline.GRNMethods(), ", ")+" (default: deepmcl with --known, else ensemble)")
	f.BoolVar(&o.grn.NoFusion, "no-fusion", false, "with --known, store the DeepMCL network's own scores, not their rank mean with the unsupervised ensemble's")
	f.StringVar((*string)(&o.grn.Aggregate), "aggregate", string(classic.MedianRank), "how the unsupervised ensemble (the method, or the one a supervised network is fused with) combines views: median or mean of their normalised ranks")
	f.Uint64Var(&o.grn.Seed, "seed", o.grn.Seed, "random seed")
	return cmd
}

func newGRNCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "grn",
		Short: "List and export stored regulatory networks",
	}
	cmd.AddCommand(newGRNListCommand(g), newGRNExportCommand(g), newGRNUpstreamCommand(g))
	return cmd
}

func newGRNListCommand(g *globalOptions) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "List the stored regulatory networks",
		Long: `grn list prints each network's name, method, views, edge, regulator and target
counts and provenance. --json prints a list of {"name", "views", "method",
"edges", "regulators", "targets", "provenance"}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openStore(g, true)
			if err != nil {
				return err
			}
			defer db.Close()
			var nets []store.Network
			if err := db.View(func(tx *store.Tx) (err error) { nets, err = tx.Networks(); return err }); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				if nets == nil {
					nets = []store.Network{}
				}
				return writeJSON(w, nets)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tMETHOD\tEDGES\tREGULATORS\tTARGETS\tVIEWS\tCREATED")
			for _, n := range nets {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", n.Name, n.Method, n.Edges, n.Regulators, n.Targets,
					strings.Join(n.Views, ","), n.Provenance.Created.Format("2006-01-02 15:04"))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newGRNExportCommand(g *globalOptions) *cobra.Command {
	var (
		name   string
		format string
		top    int
	)
	cmd := &cobra.Command{
		Use:   "export [--name N] [--format tsv] [--top K]",
		Short: "Write a regulatory network as regulator, target, score, sign (TSV)",
		Long: `grn export writes one edge a line, regulator\ttarget\tscore\tsign, with a header,
regulators in gene-id order and each regulator's targets best first; sign is
+, - or . (undetermined). --top K keeps the K best edges overall. --name
defaults to "default", or the only network when just one is stored.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "tsv" {
				return fmt.Errorf("grn export: format %q: only tsv", format)
			}
			if top < 0 {
				return fmt.Errorf("grn export: --top %d < 0", top)
			}
			db, err := openStore(g, true)
			if err != nil {
				return err
			}
			defer db.Close()
			w := bufio.NewWriter(cmd.OutOrStdout())
			err = db.View(func(tx *store.Tx) error {
				name, err := pipeline.ResolveNetwork(tx, name)
				if err != nil {
					return err
				}
				edges, err := pipeline.NetworkEdges(tx, name, top)
				if err != nil {
					return err
				}
				fmt.Fprintln(w, "regulator\ttarget\tscore\tsign")
				for _, e := range edges {
					fmt.Fprintf(w, "%s\t%s\t%g\t%s\n", e.Regulator, e.Target, e.Score, query.SignSymbol(e.Sign))
				}
				return nil
			})
			if err != nil {
				return err
			}
			return w.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", `network name (default: "default", or the only network)`)
	f.StringVar(&format, "format", "tsv", "output format (tsv)")
	f.IntVar(&top, "top", 0, "keep only the best K edges (0: all)")
	return cmd
}

func newEvalGRNCommand(g *globalOptions) *cobra.Command {
	var (
		name, truth, known string
		asJSON             bool
	)
	cmd := &cobra.Command{
		Use:   "grn --truth EDGES [--name N] [--json]",
		Short: "Score a stored regulatory network against a reference, beside baselines",
		Long: `eval grn scores network --name against a reference network (--truth: regulator,
target[, sign] per line; BEELINE's refNetwork.csv works as it is) with BEELINE's
definitions, over every ordered pair of the reference genes that the data
measure, self-loops excluded: AUROC, AUPRC (average precision), AUPRC ratio
(AUPRC over the edge density, i.e. over a random predictor), early precision
(precision among the top-k predictions, k = the number of reference edges) and
EPR (early precision over the density). The baselines are computed in the
same run over the same views and regulators: |Pearson| and the unsupervised
default. For a network trained with --known, pass the same file here: its
edges leave the evaluation (truth and predictions, so the figures are on
held-out edges) and a single-view DeepMCL model without attention is trained
on them as a further baseline (its scores fused with the same multi-view
ensemble when the network's were).

--json prints {"network", "genes", "true_edges", "dropped_edges", "method",
"model": {SCORES}, "baselines": {"pearson": {SCORES}, "<default>": {SCORES}}}
where SCORES = {"TrueEdges", "Pairs", "Density", "AUROC", "AUPRC",
"AUPRCTrapezoid", "AUPRCRatio", "EarlyPrecision", "EPR"}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rows, err := ingest.ReadEdges(truth)
			if err != nil {
				return err
			}
			var ref []pipeline.KnownEdge
			for _, r := range rows {
				ref = append(ref, pipeline.KnownEdge{Regulator: r.Regulator, Target: r.Target, Sign: r.Sign})
			}
			var kn []pipeline.KnownEdge
			if known != "" {
				rows, err := ingest.ReadEdges(known)
				if err != nil {
					return err
				}
				for _, r := range rows {
					kn = append(kn, pipeline.KnownEdge{Regulator: r.Regulator, Target: r.Target, Sign: r.Sign})
				}
			}
			db, err := openStore(g, true)
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := pipeline.EvalGRN(cmd.Context(), db, name, ref, kn, grn.Options{}, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(w, rep)
			}
			fmt.Fprintf(w, "network %q (%s) against %s: %d genes, %d reference edges (%d dropped: gene not in the data)\n",
				rep.Network, rep.Method, truth, rep.Genes, rep.TrueEdges, rep.DroppedEdges)
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PREDICTOR\tAUROC\tAUPRC\tAUPRC RATIO\tEARLY PRECISION\tEPR")
			row := func(label string, s eval.GRNScores) {
				fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.2f\t%.3f\t%.2f\n", label, s.AUROC, s.AUPRC, s.AUPRCRatio, s.EarlyPrecision, s.EPR)
			}
			row("model ("+rep.Method+")", rep.Model)
			keys := slices.Sorted(maps.Keys(rep.Baselines))
			for _, k := range keys {
				row(k, rep.Baselines[k])
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", `network name (default: "default", or the only network)`)
	f.StringVar(&truth, "truth", "", "reference network file (required)")
	f.StringVar(&known, "known", "", "the prior edges a supervised network was trained on: left out of the evaluation, and the single-view DeepMCL baseline is trained on them")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("truth")
	return cmd
}

type regulationOptions struct {
	gene, network string
	k             int
	json          bool
}

// newRegulationCommand builds the regulators (targets false) or targets verb.
func newRegulationCommand(g *globalOptions, targets bool) *cobra.Command {
	o := &regulationOptions{}
	use, short, what := "regulators", "Regulators of a gene in a stored regulatory network", "regulators of"
	if targets {
		use, short, what = "targets", "Targets of a regulator in a stored regulatory network", "targets of"
	}
	cmd := &cobra.Command{
		Use:   use + " --gene SYMBOL [--network N] [-k 25] [--json]",
		Short: short,
		Long: use + ` lists the ` + what + ` a gene in a network inferred by "train grn", best
first: the edge score, its sign (+ activation, - repression, . undetermined),
each view's support (DeepMCL: its attention weight on the view; the
unsupervised methods: the pair's normalised rank among the view's pairs,
1 = the view's best), the pair's
co-expression weight averaged over the datasets whose graph holds it (and how
many do), and the cosine similarity of the two genes' consensus embeddings.
--network defaults to "default" (or the only network).

--json prints {gene:{id,symbol,query,alias}, network, method, direction,
model_version, views, k, edges:[{rank, gene_id, symbol, score, sign,
support:[{view, support}], coexpr, conserved, cosine}]}.`,
		Args:    cobra.NoArgs,
		PreRunE: positive("k"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, _, db, err := openEngine(g, true, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer db.Close()
			req := query.RegulationRequest{Symbol: o.gene, Network: o.network, K: o.k}
			var a *query.RegulationAnswer
			if targets {
				a, err = e.Targets(cmd.Context(), req)
			} else {
				a, err = e.Regulators(cmd.Context(), req)
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if o.json {
				return writeJSON(w, a)
			}
			fmt.Fprintf(w, "%s %s in network %q (%s, %s)\n", what, a.Gene.Symbol, a.Network, a.Method, a.ModelVersion)
			if len(a.Edges) == 0 { // say why rather than print an empty table
				if targets {
					_, err = fmt.Fprintf(w, "none: %s is not a candidate regulator of this network (absent from a view, not listed by --regulators, or not variable enough to enter)\n", a.Gene.Symbol)
				} else {
					_, err = fmt.Fprintf(w, "none: %s is not among this network's genes\n", a.Gene.Symbol)
				}
				return err
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RANK\tGENE\tSCORE\tSIGN\tCOEXPR\tCONSERVED\tCOSINE\tSUPPORT")
			for _, h := range a.Edges {
				var sup []string
				for _, s := range h.Support {
					sup = append(sup, fmt.Sprintf("%s:%.2f", s.View, s.Support))
				}
				fmt.Fprintf(tw, "%d\t%s\t%.4f\t%s\t%s\t%d\t%s\t%s\n", h.Rank, h.Symbol, h.Score, h.Sign,
					optFloat(h.Coexpr), h.Conserved, optFloat(h.Cosine), strings.Join(sup, " "))
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.gene, "gene", "", "gene symbol (or alias)")
	f.StringVar(&o.network, "network", "", "network name (default: \"default\" or the only one)")
	f.IntVarP(&o.k, "k", "k", 25, "edges listed")
	f.BoolVar(&o.json, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("gene")
	return cmd
}

func optFloat(p *float32) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f", *p)
}

func newGRNUpstreamCommand(g *globalOptions) *cobra.Command {
	var (
		req    query.UpstreamRequest
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "upstream --cluster ID [--resolution 1.0] [--network N] [--top-fraction 0.05] [-k 10] [--json]",
		Short: "Regulators whose targets are enriched in a gene cluster",
		Long: `grn upstream tests every regulator of a network for enrichment of its targets
among the members of a stored gene cluster (genestore clusters --space genes):
a regulator's targets are its edges among the network's best --top-fraction;
the test is hypergeometric over the network's genes, with Benjamini-Hochberg
FDR across regulators.

--json prints {network, clustering, cluster, members, universe,
regulators:[{rank, gene_id, symbol, targets, overlap, p_value, fdr, in_cluster,
evidence:[symbols]}]}.`,
		Args:    cobra.NoArgs,
		PreRunE: positive("k", "resolution", "top-fraction"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, _, db, err := openEngine(g, true, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer db.Close()
			a, err := e.UpstreamRegulators(cmd.Context(), req)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(w, a)
			}
			fmt.Fprintf(w, "regulators upstream of gene cluster %d of %s (%d members in network %q of %d genes)\n",
				a.Cluster, a.Clustering, a.Members, a.Network, a.Universe)
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RANK\tREGULATOR\tTARGETS\tIN CLUSTER\tP\tFDR\tEVIDENCE")
			for _, r := range a.Regulators {
				ev := r.Evidence
				if len(ev) > 6 {
					ev = append(ev[:6:6], "…")
				}
				fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%.3g\t%.3g\t%s\n", r.Rank, r.Symbol, r.Targets, r.Overlap, r.PValue, r.FDR, strings.Join(ev, ","))
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.IntVar(&req.ID, "cluster", 0, "gene cluster id")
	f.Float64Var(&req.Cluster.Resolution, "resolution", 1, "resolution of the stored gene clustering")
	f.StringVar(&req.Network, "network", "", "network name (default: \"default\" or the only one)")
	f.Float64Var(&req.TopFraction, "top-fraction", 0.05, "share of the network's best edges that count as regulation")
	f.IntVarP(&req.K, "k", "k", 10, "regulators listed")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("cluster")
	return cmd
}
