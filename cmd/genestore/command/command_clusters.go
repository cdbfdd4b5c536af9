package command

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"genestore/query"
	"genestore/vocab"
)

type clustersOptions struct {
	space, method string
	resolution    float64
	k             int
	datasets      []string
	recompute     bool
	seed          uint64
	gene, cell    string
	dataset       string
	cluster       int
	enrich        string
	max           int
	json          bool
}

func newClustersCommand(g *globalOptions) *cobra.Command {
	o := &clustersOptions{}
	cmd := &cobra.Command{
		Use:   "clusters --space genes|cells [--resolution R] [--gene G | --cell BC --dataset D | --cluster ID] [--enrich NAME] [--json]",
		Short: "Gene modules and cell clusters: compute, store and look up",
		Long: `clusters partitions an embedding space with Leiden (or Louvain, --method) over
a shared-nearest-neighbour graph built from each vector's --k nearest neighbours
in the space's index, at modularity resolution R. The result is stored as
"<method>_r<R>" (e.g. leiden_r1.0) the first time it is asked for (the store
must then be writable) and read back afterwards; --recompute replaces it.
Genes are clustered from their consensus vectors (every set if there are none),
cells across every dataset; --datasets chooses the sets when computing.

Without a selector it prints the cluster sizes. --gene G, --cell BC --dataset D
or --cluster ID print that cluster's members (at most --max); --enrich NAME
tests a gene cluster against a stored gene-set collection (hypergeometric test,
Benjamini-Hochberg FDR, the clustered genes as universe).

--json prints, without a selector, {space, name, resolution, computed, stale,
entities, provenance:{kind,model_version,params,datasets,created},
clusters:[{id,size}]}; with one, {space, clustering, stale, provenance, cluster,
size, gene?, cell?, members:[{dataset,id,symbol|barcode}], truncated,
collection?, enrichment?:[{set_id,name,size,overlap,expected,p_value,fdr,genes}]}.`,
		Args:    cobra.NoArgs,
		PreRunE: positive("resolution", "k", "max"),
		RunE:    func(cmd *cobra.Command, _ []string) error { return runClusters(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.space, "space", "", "genes or cells (required)")
	f.Float64Var(&o.resolution, "resolution", 1, "modularity resolution (larger: more clusters)")
	f.StringVar(&o.method, "method", "leiden", "leiden or louvain")
	f.IntVar(&o.k, "k", 15, "neighbours per node in the kNN graph (when computing)")
	f.StringSliceVar(&o.datasets, "datasets", nil, "vector sets to cluster (when computing)")
	f.BoolVar(&o.recompute, "recompute", false, "compute again and replace the stored clustering")
	f.Uint64Var(&o.seed, "seed", 0, "random seed of the clustering")
	f.StringVar(&o.gene, "gene", "", "show the cluster of this gene")
	f.StringVar(&o.cell, "cell", "", "show the cluster of this cell (needs --dataset)")
	f.StringVar(&o.dataset, "dataset", "", "the cell's dataset")
	f.IntVar(&o.cluster, "cluster", 0, "show this cluster")
	f.StringVar(&o.enrich, "enrich", "", "gene-set collection to test a gene cluster against")
	f.IntVar(&o.max, "max", 1000, "most members listed")
	f.BoolVar(&o.json, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("space")
	cmd.MarkFlagsMutuallyExclusive("gene", "cell", "cluster")
	return cmd
}

func runClusters(cmd *cobra.Command, g *globalOptions, o *clustersOptions) error {
	ctx := cmd.Context()
	req := query.ClusterRequest{Space: o.space, Resolution: o.resolution, Method: o.method, K: o.k,
		Datasets: o.datasets, Recompute: o.recompute, Seed: o.seed}
	if !cmd.Flags().Changed("k") {
		req.K = 0 // the default; a stored clustering of another k is not a conflict
	}
	mo := query.MemberOptions{MaxMembers: o.max, Enrich: o.enrich}
	if o.max < 1 {
		return fmt.Errorf("--max must be at least 1")
	}
	if o.cell != "" && o.dataset == "" {
		return fmt.Errorf("--cell needs --dataset")
	}
	byCluster := cmd.Flags().Changed("cluster")
	ask := func(e *query.Engine, req query.ClusterRequest) (any, error) {
		switch {
		case o.gene != "":
			if req.Space != vocab.SpaceGenes {
				return nil, fmt.Errorf("--gene needs --space genes")
			}
			return e.GeneCluster(ctx, req, o.gene, mo)
		case o.cell != "":
			if req.Space != vocab.SpaceCells {
				return nil, fmt.Errorf("--cell needs --space cells")
			}
			return e.CellCluster(ctx, req, o.dataset, o.cell, mo)
		case byCluster:
			return e.ClusterMembers(ctx, req, o.cluster, mo)
		}
		return e.Clusters(ctx, req)
	}
	// read-only first (so a running server does not block us); open the
	// store for writing only when the clustering must be computed
	var a any
	if !o.recompute {
		e, _, db, err := openEngine(g, true, cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		a, err = ask(e, req)
		db.Close()
		if err != nil {
			if !errors.Is(err, query.ErrNotComputed) {
				return err
			}
			a = nil // a typed nil pointer otherwise
		}
	}
	if a == nil {
		e, _, db, err := openEngine(g, false, cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		defer db.Close()
		req.Compute = true
		if a, err = ask(e, req); err != nil {
			return err
		}
	}
	w := cmd.OutOrStdout()
	if o.json {
		return writeJSON(w, a)
	}
	switch a := a.(type) {
	case *query.ClusterSummary:
		verb := "stored"
		if a.Computed {
			verb = "computed"
		}
		fmt.Fprintf(w, "%s clustering %s (%s): %d clusters over %d entities, model %s%s\n", a.Space, a.Name, verb,
			len(a.Clusters), a.Entities, a.Provenance.ModelVersion, staleNote(a.Stale))
		if len(a.Provenance.Params) > 0 {
			fmt.Fprintf(w, "params %s\n", a.Provenance.Params)
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CLUSTER\tSIZE")
		for _, c := range a.Clusters {
			fmt.Fprintf(tw, "%d\t%d\n", c.ID, c.Size)
		}
		return tw.Flush()
	case *query.ClusterMembers:
		return printMembers(w, a)
	}
	return nil
}

func staleNote(stale bool) string {
	if stale {
		return " (STALE: vectors changed since; --recompute)"
	}
	return ""
}

func printMembers(w io.Writer, a *query.ClusterMembers) error {
	what := ""
	if a.Gene != nil {
		what = " of gene " + geneLabel(*a.Gene)
	} else if a.Cell != nil {
		what = fmt.Sprintf(" of cell %s/%s", a.Cell.Dataset, a.Cell.Barcode)
	}
	fmt.Fprintf(w, "cluster %d%s in %s %s: %d members, model %s%s\n", a.Cluster, what, a.Space, a.Clustering, a.Size,
		a.Provenance.ModelVersion, staleNote(a.Stale))
	names := make([]string, len(a.Members))
	for i, m := range a.Members {
		names[i] = m.Symbol
		if m.Symbol == "" {
			names[i] = m.Dataset + "/" + m.Barcode
		}
	}
	more := ""
	if a.Truncated {
		more = fmt.Sprintf(" … (%d more)", a.Size-len(a.Members))
	}
	fmt.Fprintf(w, "members: %s%s\n", strings.Join(names, " "), more)
	if a.Collection == "" {
		return nil
	}
	fmt.Fprintf(w, "enrichment in %s:\n", a.Collection)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SET\tNAME\tOVERLAP\tSIZE\tEXPECTED\tP\tFDR")
	for _, r := range a.Enrichment {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.2f\t%.3g\t%.3g\n", r.SetID, r.Name, r.Overlap, r.Size, r.Expected, r.PValue, r.FDR)
	}
	return tw.Flush()
}
