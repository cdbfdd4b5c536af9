package command

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"genestore/layout"
	"genestore/layout/spacelayout"
	"genestore/vocab"
)

type layoutOptions struct {
	space      string
	nNeighbors int
	minDist    float64
	epochs     int
	seed       uint64
	threads    int
	json       bool
}

func newLayoutCommand(g *globalOptions) *cobra.Command {
	o := &layoutOptions{}
	cmd := &cobra.Command{
		Use:   "layout --space cells|genes [--n-neighbors 15] [--min-dist 0.1] [--seed S] [--json]",
		Short: "Compute and store the 2-D UMAP map of an embedding space",
		Long: `layout computes a UMAP map (McInnes et al. 2018, as umap-learn does it) of
an embedding space: every cell (--space cells), or the consensus gene vectors
(--space genes; every gene set when there are none). The kNN graph comes from
the space's HNSW index; the map starts from the normalised Laplacian's
eigenvectors (PCA when the graph is disconnected or over 100,000 points) and
is optimised by SGD with negative sampling, for 500 epochs up to 10,000
points, 200 above (--epochs). The same --seed and --threads give the same map.

The map is stored with its parameters and the space's generation and model
version, replacing the one before, in one transaction; plot umap draws it.
A later append places its new cells on the stored map (UMAP transform)
without moving the others.

--json prints {space, points, fitted, generation, model_version,
params:{n_neighbors,min_dist,spread,a,b,epochs,negative_sample_rate,
learning_rate,repulsion_strength,init,threads,seed}}.`,
		Args:    cobra.NoArgs,
		PreRunE: positive("n-neighbors", "min-dist"),
		RunE:    func(cmd *cobra.Command, _ []string) error { return runLayout(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.space, "space", "", "cells or genes (required)")
	f.IntVar(&o.nNeighbors, "n-neighbors", layout.DefaultNNeighbors, "UMAP n_neighbors (the point itself counted)")
	f.Float64Var(&o.minDist, "min-dist", layout.DefaultMinDist, "UMAP min_dist: how tightly points may pack")
	f.IntVar(&o.epochs, "epochs", 0, "SGD epochs (0: 500 up to 10,000 points, 200 above)")
	f.Uint64Var(&o.seed, "seed", 0, "random seed")
	f.IntVar(&o.threads, "threads", 0, "SGD threads (0: all cores); the map depends on it")
	f.BoolVar(&o.json, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("space")
	return cmd
}

// layoutSummary is layout's --json answer.
type layoutSummary struct {
	Space        string        `json:"space"`
	Points       int           `json:"points"`
	Fitted       int           `json:"fitted"`
	Generation   uint64        `json:"generation"`
	ModelVersion string        `json:"model_version"`
	Params       layout.Params `json:"params"`
}

func runLayout(cmd *cobra.Command, g *globalOptions, o *layoutOptions) error {
	if o.space != vocab.SpaceCells && o.space != vocab.SpaceGenes {
		return fmt.Errorf("--space %q: want cells or genes", o.space)
	}
	if o.threads < 0 {
		return fmt.Errorf("--threads must not be negative")
	}
	db, err := openStore(g, false)
	if err != nil {
		return err
	}
	defer db.Close()
	var log io.Writer
	if !o.json {
		log = cmd.ErrOrStderr()
	}
	l, err := spacelayout.Compute(cmd.Context(), db, o.space, spacelayout.Options{Seed: o.seed,
		Layout: layout.Options{NNeighbors: o.nNeighbors, MinDist: o.minDist, Epochs: o.epochs, Threads: o.threads}}, log)
	if err != nil {
		return err
	}
	s := layoutSummary{Space: l.Space, Points: len(l.Keys), Fitted: l.Fitted, Generation: l.Generation,
		ModelVersion: l.ModelVersion, Params: l.Params}
	if o.json {
		return writeJSON(cmd.OutOrStdout(), s)
	}
	p := l.Params
	fmt.Fprintf(cmd.OutOrStdout(), "layout of %s: %d points, model %s, n_neighbors %d, min_dist %g (a %.4f, b %.4f), %d epochs, %s start, seed %d\n",
		s.Space, s.Points, s.ModelVersion, p.NNeighbors, p.MinDist, p.A, p.B, p.Epochs, p.Init, p.Seed)
	return nil
}
