package command

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"genestore/layout"
	"genestore/layout/spacelayout"
	"genestore/plot"
	"genestore/query"
	"genestore/store"
	"genestore/vocab"
)

type plotOptions struct {
	space, color, clustering string
	dataset, gene            string
	k                        int
	out                      string
}

func newPlotCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plot umap|qc|coexpr",
		Short: "Draw pictures (PNG or SVG): UMAP maps, QC histograms, co-expression networks",
		Long: `plot draws a picture to --out, PNG or SVG by its extension, written to a
temporary file and renamed into place.

  plot umap --space cells --color cell_type|cluster|dataset|batch|gene:SYMBOL
  plot umap --space genes --color module|dataset
  plot qc --dataset D
  plot coexpr --gene G

There is no "plot loss": training stores each model's epoch count and best
epoch in its provenance, not the per-epoch losses.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newPlotUMAPCommand(g), newPlotQCCommand(g), newPlotCoexprCommand(g))
	return cmd
}

func newPlotUMAPCommand(g *globalOptions) *cobra.Command {
	o := &plotOptions{}
	cmd := &cobra.Command{
		Use:   "umap --space cells|genes --color WHAT [--out umap.png]",
		Short: "Draw the stored UMAP map of a space, coloured by metadata, cluster or expression",
		Long: `umap draws the map "genestore layout --space S" stored, without axes, points
sized to their number, a legend of the colours and the model id in the title
(marked "stale" when vectors were written since the map was computed).

--color for cells: any obs column (cell_type, ...), "dataset", "batch" (the
dataset's batch column, else the dataset), "cluster" (a stored clustering:
--clustering NAME, default leiden_r1.0, else the first stored), or
"gene:SYMBOL" (log1p of counts per 10,000 of that gene; normalised values are
log1p'd, log values drawn as they are). For genes: "module" (a stored gene
clustering) or "dataset" (the gene's set; consensus genes: the datasets
measuring it).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPlotUMAP(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.space, "space", "cells", "cells or genes")
	f.StringVar(&o.color, "color", "", "what colours the points (see above; required)")
	f.StringVar(&o.clustering, "clustering", "", "stored clustering for --color cluster|module")
	f.StringVar(&o.out, "out", "umap.png", "output file (.png or .svg)")
	_ = cmd.MarkFlagRequired("color")
	return cmd
}

func runPlotUMAP(cmd *cobra.Command, g *globalOptions, o *plotOptions) error {
	if o.space != vocab.SpaceCells && o.space != vocab.SpaceGenes {
		return fmt.Errorf("--space %q: want cells or genes", o.space)
	}
	db, err := openStore(g, true)
	if err != nil {
		return err
	}
	defer db.Close()
	var spec plot.MapSpec
	err = db.View(func(tx *store.Tx) error {
		l, err := spacelayout.Load(tx, o.space)
		if err != nil {
			return err
		}
		gen, err := tx.Generation(o.space)
		if err != nil {
			return err
		}
		spec.Coords = l.Coords
		c := o.color
		if o.space == vocab.SpaceCells {
			err = cellColours(tx, l, "--color", c, o.clustering, &spec)
		} else {
			err = geneColours(tx, l, "--color", c, o.clustering, &spec)
		}
		if err != nil {
			return err
		}
		stale := ""
		if gen != l.Generation {
			stale = " (stale: vectors written since; run genestore layout)"
		}
		spec.Title = fmt.Sprintf("UMAP of %s by %s — model %s%s", o.space, c, l.ModelVersion, stale)
		return nil
	})
	if err != nil {
		return err
	}
	if err := plot.Map(o.out, spec); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d points)\n", o.out, len(spec.Coords)/2)
	return nil
}

// datasetNames maps dataset ids to names.
func datasetNames(tx *store.Tx) (map[uint32]store.DatasetInfo, error) {
	ds, err := tx.Datasets()
	if err != nil {
		return nil, err
	}
	m := map[uint32]store.DatasetInfo{}
	for _, d := range ds {
		m[d.ID] = d
	}
	return m, nil
}

// clusterLabels returns "cluster N" per layout key from a stored clustering
// ("" for keys it lacks).
func clusterLabels(tx *store.Tx, space, name string, l *layout.Layout) ([]string, error) {
	if name == "" {
		names, err := tx.Clusterings(space)
		if err != nil {
			return nil, err
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("no stored %s clustering: run genestore clusters --space %s first", space, space)
		}
		name = names[0]
		for _, n := range names {
			if n == query.ClusteringName("leiden", 1) {
				name = n
			}
		}
	}
	c, err := tx.Clustering(space, name)
	if err != nil {
		return nil, fmt.Errorf("clustering %q of %s: %w", name, space, err)
	}
	out := make([]string, len(l.Keys))
	for i, k := range c.IDs {
		if j := l.Index(k); j >= 0 {
			out[j] = fmt.Sprintf("cluster %d", c.Labels[i])
		}
	}
	return out, nil
}

// cellColours fills spec with colour c of the cells map; param names the
// option c came from in errors ("--color" on the command line, "by" over HTTP).
func cellColours(tx *store.Tx, l *layout.Layout, param, c, clustering string, spec *plot.MapSpec) error {
	ds, err := datasetNames(tx)
	if err != nil {
		return err
	}
	n := len(l.Keys)
	if c == "cluster" {
		spec.Labels, err = clusterLabels(tx, vocab.SpaceCells, clustering, l)
		return err
	}
	if sym, ok := strings.CutPrefix(c, "gene:"); ok {
		spec.Values, spec.ValueName = make([]float64, n), sym
		return geneExpression(tx, l, ds, sym, spec.Values)
	}
	spec.Labels = make([]string, n)
	cols := map[uint32][]string{}
	found := false
	for i, k := range l.Keys {
		d, row := vocab.SplitEntityKey(k)
		info, ok := ds[d]
		if !ok {
			return fmt.Errorf("layout names dataset %d, which the store lacks", d)
		}
		col := c
		switch c {
		case "dataset":
			spec.Labels[i] = info.Name
			found = true
			continue
		case "batch":
			if info.BatchKey == "" {
				spec.Labels[i] = info.Name
				found = true
				continue
			}
			col = info.BatchKey
		}
		v, ok := cols[d]
		if !ok {
			v, err = tx.ObsColumn(d, col)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			cols[d] = v
		}
		if int(row) < len(v) {
			spec.Labels[i] = v[row]
			found = true
		}
	}
	if !found {
		return fmt.Errorf("%s %q: no dataset of the map has an obs column %q (see genestore datasets)", param, c, c)
	}
	return nil
}

// geneExpression fills vals with the gene's log-normalised expression per
// layout cell; NaN where the cell's dataset does not measure it.
func geneExpression(tx *store.Tx, l *layout.Layout, ds map[uint32]store.DatasetInfo, sym string, vals []float64) error {
	gs, err := tx.GenesBySymbol(sym)
	if err != nil {
		return err
	}
	if len(gs) == 0 {
		return fmt.Errorf("gene %q is not in the store", sym)
	}
	want := map[uint32]bool{}
	for _, g := range gs {
		want[g.ID] = true
	}
	for i := range vals {
		vals[i] = math.NaN()
	}
	measured := false
	for i := 0; i < len(l.Keys); {
		d, _ := vocab.SplitEntityKey(l.Keys[i])
		j := i
		for j < len(l.Keys) && uint32(l.Keys[j]>>32) == d {
			j++
		}
		genes, err := tx.DatasetGenes(d)
		if err != nil {
			return err
		}
		col := -1
		for c, id := range genes {
			if want[id] {
				col = c
				break
			}
		}
		if col >= 0 {
			measured = true
			x, err := tx.Matrix(d)
			if err != nil {
				return err
			}
			values := ds[d].Values
			for q := i; q < j; q++ {
				_, row := vocab.SplitEntityKey(l.Keys[q])
				if int(row) >= x.Rows {
					continue
				}
				idx, v := x.Row(int(row))
				var tot, g float64
				for p, c := range idx {
					tot += float64(v[p])
					if int(c) == col {
						g = float64(v[p])
					}
				}
				switch values {
				case vocab.Counts:
					if tot > 0 {
						g = math.Log1p(g / tot * 1e4)
					}
				case vocab.Normalized:
					g = math.Log1p(g)
				}
				vals[q] = g
			}
		}
		i = j
	}
	if !measured {
		return fmt.Errorf("gene %q is measured in none of the map's datasets", sym)
	}
	return nil
}

// geneColours is cellColours for the genes map.
func geneColours(tx *store.Tx, l *layout.Layout, param, c, clustering string, spec *plot.MapSpec) error {
	switch c {
	case "module", "cluster":
		var err error
		spec.Labels, err = clusterLabels(tx, vocab.SpaceGenes, clustering, l)
		return err
	case "dataset":
	default:
		return fmt.Errorf("%s %q for genes: want module or dataset", param, c)
	}
	ds, err := datasetNames(tx)
	if err != nil {
		return err
	}
	spec.Labels = make([]string, len(l.Keys))
	var in map[uint32][]string // gene → datasets measuring it (consensus maps)
	for i, k := range l.Keys {
		d, gene := vocab.SplitEntityKey(k)
		if d != vocab.Consensus {
			spec.Labels[i] = ds[d].Name
			continue
		}
		if in == nil {
			in = map[uint32][]string{}
			for _, info := range ds {
				genes, err := tx.DatasetGenes(info.ID)
				if err != nil {
					return err
				}
				for _, g := range genes {
					in[g] = append(in[g], info.Name)
				}
			}
		}
		names := in[gene]
		slices.Sort(names)
		spec.Labels[i] = strings.Join(names, "+")
	}
	return nil
}

func newPlotQCCommand(g *globalOptions) *cobra.Command {
	o := &plotOptions{}
	cmd := &cobra.Command{
		Use:   "qc --dataset D [--out qc.png]",
		Short: "Histograms of genes per cell, counts per cell and mitochondrial share",
		Long: `qc draws three histograms of a dataset's cells from its stored matrix: genes
detected per cell, total counts (or values) per cell, and the share of each
cell's total in mitochondrial genes (symbols starting MT- or mt-; the panel
is left out when the dataset has none).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPlotQC(cmd, g, o) },
	}
	cmd.Flags().StringVar(&o.dataset, "dataset", "", "dataset name (required)")
	cmd.Flags().StringVar(&o.out, "out", "qc.png", "output file (.png or .svg)")
	_ = cmd.MarkFlagRequired("dataset")
	return cmd
}

func runPlotQC(cmd *cobra.Command, g *globalOptions, o *plotOptions) error {
	db, err := openStore(g, true)
	if err != nil {
		return err
	}
	defer db.Close()
	var hs []plot.Hist
	var title string
	err = db.View(func(tx *store.Tx) (err error) { title, hs, err = qcHists(tx, o.dataset); return err })
	if err != nil {
		return err
	}
	if err := plot.Histograms(o.out, title, hs); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d panels)\n", o.out, len(hs))
	return nil
}

// qcHists computes a dataset's QC panels from its stored matrix: genes
// detected per cell, total per cell and, when it has MT- genes, their share
// (plot qc draws them; the browser's dataset page shows them binned).
func qcHists(tx *store.Tx, dataset string) (string, []plot.Hist, error) {
	var hs []plot.Hist
	info, err := tx.DatasetByName(dataset)
	if err != nil {
		return "", nil, err
	}
	genes, err := tx.DatasetGenes(info.ID)
	if err != nil {
		return "", nil, err
	}
	mito := make([]bool, len(genes))
	nm := 0
	for c, id := range genes {
		gi, err := tx.Gene(id)
		if err != nil {
			return "", nil, err
		}
		if s := strings.ToLower(gi.Symbol); strings.HasPrefix(s, "mt-") {
			mito[c] = true
			nm++
		}
	}
	x, err := tx.Matrix(info.ID)
	if err != nil {
		return "", nil, err
	}
	ng, tot, mt := make([]float64, x.Rows), make([]float64, x.Rows), make([]float64, x.Rows)
	for r := 0; r < x.Rows; r++ {
		idx, v := x.Row(r)
		var t, m float64
		for p, c := range idx {
			if v[p] != 0 {
				ng[r]++
			}
			t += float64(v[p])
			if mito[c] {
				m += float64(v[p])
			}
		}
		tot[r] = t
		if t > 0 {
			mt[r] = m / t
		}
	}
	what := "counts"
	if info.Values != vocab.Counts {
		what = string(info.Values) + " values"
	}
	hs = []plot.Hist{{Title: "genes per cell", Values: ng}, {Title: what + " per cell", Values: tot}}
	if nm > 0 {
		hs = append(hs, plot.Hist{Title: fmt.Sprintf("mitochondrial share (%d MT- genes)", nm), Values: mt})
	}
	return fmt.Sprintf("QC of %s: %d cells × %d genes", info.Name, info.Cells, info.Genes), hs, nil
}

func newPlotCoexprCommand(g *globalOptions) *cobra.Command {
	o := &plotOptions{}
	cmd := &cobra.Command{
		Use:   "coexpr --gene G [-k 15] [--dataset D] [--out coexpr.png]",
		Short: "A gene's co-expression neighbourhood as a small network",
		Long: `coexpr draws the gene (centre) and its top -k co-expression partners (the
coexpr verb's ranking) on a circle, with every stored edge among them:
red for positive correlation, blue negative, grey when datasets disagree;
line width grows with the number of datasets the edge is conserved in.`,
		Args:    cobra.NoArgs,
		PreRunE: positive("k"),
		RunE:    func(cmd *cobra.Command, _ []string) error { return runPlotCoexpr(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.gene, "gene", "", "gene symbol (required)")
	f.StringVar(&o.dataset, "dataset", "", "one dataset's graph only")
	f.IntVarP(&o.k, "k", "k", 15, "partners drawn")
	f.StringVar(&o.out, "out", "coexpr.png", "output file (.png or .svg)")
	_ = cmd.MarkFlagRequired("gene")
	return cmd
}

func runPlotCoexpr(cmd *cobra.Command, g *globalOptions, o *plotOptions) error {
	e, _, db, err := openEngine(g, true, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := cmd.Context()
	a, err := e.Coexpr(ctx, query.CoexprRequest{Symbol: o.gene, Dataset: o.dataset, K: o.k})
	if err != nil {
		return err
	}
	nodes := []string{a.Gene.Symbol}
	pos := map[uint32]int{a.Gene.ID: 0}
	var edges []plot.Edge
	for _, p := range a.Partners {
		pos[p.GeneID] = len(nodes)
		nodes = append(nodes, p.Symbol)
		edges = append(edges, plot.Edge{A: 0, B: pos[p.GeneID], Sign: p.Sign, Conserved: p.Conserved})
	}
	// edges among the partners, each once
	for _, p := range a.Partners {
		b, err := e.Coexpr(ctx, query.CoexprRequest{Symbol: p.Symbol, Dataset: o.dataset, K: 200})
		if err != nil {
			return err
		}
		for _, q := range b.Partners {
			if j, ok := pos[q.GeneID]; ok && j > pos[p.GeneID] {
				edges = append(edges, plot.Edge{A: pos[p.GeneID], B: j, Sign: q.Sign, Conserved: q.Conserved})
			}
		}
	}
	title := fmt.Sprintf("co-expression of %s (%s)", a.Gene.Symbol, strings.Join(a.Datasets, ", "))
	if err := plot.Network(o.out, title, nodes, edges); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d genes, %d edges)\n", o.out, len(nodes), len(edges))
	return nil
}
