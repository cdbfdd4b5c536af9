package pipeline

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"genestore/query/annot"
	"genestore/query/cluster"
	"genestore/query/eval"
	"genestore/store"
	"genestore/train/prep"
	"genestore/vocab"
)

// Metrics maps a metric name to its value. Metrics that could not be
// computed are absent, never zero.
type Metrics map[string]float64

// Evaluation is the JSON object `genestore eval genes|cells --json` prints.
type Evaluation struct {
	Model     Metrics            `json:"model"`
	Baselines map[string]Metrics `json:"baselines"`
}

// GeneEvalOptions configure EvalGenes.
type GeneEvalOptions struct {
	// GMT is a gene-set file (e.g. GO BP) for the GO metrics; "" skips them.
	GMT string
	// Truth is a gene_modules.tsv written by `genestore simulate`
	// (gene, module); "" skips module_ari. A "<dataset>_gene_modules.tsv"
	// beside it, when present, gives that dataset's rewired modules.
	Truth string
	// Seed seeds sampling and clustering.
	Seed uint64
	// ConsensusOn names a dataset whose selected genes the consensus GO
	// metrics are also scored on (go_auroc_consensus_on,
	// knn_go_auroc_consensus_on). The plain consensus metrics cover the union
	// of every dataset's genes, which grows as datasets are added; these
	// score the same genes whatever else the model was trained on, so a
	// curve over the number of datasets measures the evidence they add.
	ConsensusOn string
}

// geneRep is one representation of the genes of several datasets: per
// dataset a matrix of gene vectors.
type geneRep struct {
	name string
	sets []geneSet
}

type geneSet struct {
	dataset string
	genes   []string // symbol per row
	// own is the dataset's own symbol per row where it differs from genes
	// anywhere (a gene of another species joined to a home gene); nil when
	// it never does. Truth files name the dataset's own genes.
	own   []string
	dim   int
	vecs  []float32
	edges [][2]int // co-expression edges as row pairs
}

// EvalGenes scores the trained gene embeddings and two baselines computed
// from the same preprocessed data — PCA gene loadings and Pearson
// co-expression rows — with the same protocol:
//
//   - go_auroc, knn_go_auroc, edge_auc, module_ari: per dataset, averaged
//     over datasets;
//   - go_auroc_consensus, knn_go_auroc_consensus, module_ari_consensus: one
//     vector per gene over all datasets jointly (the union of the datasets'
//     selected genes; modules: the canonical truth file). For the model, its
//     consensus vectors. For "pearson", per gene the mean over the datasets
//     that have it of its Fisher-z-transformed correlation row (|r| clipped
//     at 0.999) over the union of genes, a pair's entry averaged over the
//     datasets that hold both genes and 0 where none does. For "pca", the
//     gene loadings of the cells of every dataset stacked on the union of
//     genes, each dataset's genes standardised over its own cells and a
//     gene a dataset lacks set to 0 in its cells (cells weigh equally, so
//     larger datasets weigh more; above Coexpr.MaxCells cells in all, a
//     seeded proportional sample), as many components as the model has
//     dimensions;
//   - batch_asw, ilisi, graph_connectivity, common_ratio, share_overlap:
//     over the stacked (gene, dataset) vectors, with Leiden clusters of the
//     stacked vectors as labels. Pearson rows enter these restricted to the
//     genes every dataset has, so their coordinates are comparable;
//   - ilisi_modality_<a>+<b>, ilisi_species_<a>+<b>: iLISI of each pair of
//     datasets of two modalities (species) alone, averaged (scorePairs).
func EvalGenes(ctx context.Context, db *store.DB, o GeneEvalOptions, log io.Writer) (*Evaluation, error) {
	ev, err := evalGenes(ctx, db, o, log)
	if err == nil && ctx.Err() != nil {
		// a metric cut short by the cancellation is left out, not an error
		// of its own: the evaluation is incomplete, not successful
		return nil, ctx.Err()
	}
	return ev, err
}

func evalGenes(ctx context.Context, db *store.DB, o GeneEvalOptions, log io.Writer) (*Evaluation, error) {
	if log == nil {
		log = io.Discard
	}
	r, err := buildGeneReps(ctx, db, o.Seed, log)
	if err != nil {
		return nil, err
	}
	model, pca, pear, consensus, pcaCons, pearCons, names := r.model, r.pca, r.pear, r.consensus, r.pcaCons, r.pearCons, r.names

	var sets [][]string
	if o.GMT != "" {
		f, err := os.Open(o.GMT)
		if err != nil {
			return nil, err
		}
		gs, err := annot.ParseGMT(bufio.NewReader(f), o.GMT)
		f.Close()
		if err != nil {
			return nil, err
		}
		for _, s := range gs {
			sets = append(sets, s.Genes)
		}
	}
	truth, err := readTruth(o.Truth, names)
	if err != nil {
		return nil, err
	}

	var on []string // the genes of o.ConsensusOn
	if o.ConsensusOn != "" {
		for _, gs := range model.sets {
			if gs.dataset == o.ConsensusOn {
				on = gs.genes
			}
		}
		if on == nil {
			return nil, fmt.Errorf("%w: consensus genes of dataset %q: not in the gene model", store.ErrNotFound, o.ConsensusOn)
		}
	}
	out := &Evaluation{Baselines: map[string]Metrics{}}
	for _, rep := range []struct {
		geneRep
		consensus geneSet
	}{{model, consensus}, {pca, pcaCons}, {pear, pearCons}} {
		fmt.Fprintf(log, "eval genes: scoring %s\n", rep.name)
		m, err := scoreGenes(ctx, rep.geneRep, sets, truth, o.Seed)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rep.name, err)
		}
		scoreConsensus(ctx, m, rep.consensus, sets, truth, o.Seed)
		if on != nil && sets != nil {
			scoreConsensusOn(ctx, m, rep.consensus, on, sets, o.Seed)
		}
		if err := scorePairs(ctx, m, rep.geneRep, r.infos, o.Seed); err != nil {
			return nil, fmt.Errorf("%s: %w", rep.name, err)
		}
		if rep.name == "model" {
			out.Model = m
		} else {
			out.Baselines[rep.name] = m
		}
	}
	return out, nil
}

// scoreConsensus adds the metrics of one consensus representation (one
// vector per gene over all datasets) to m: go_auroc_consensus,
// knn_go_auroc_consensus and module_ari_consensus (against the canonical
// modules).
func scoreConsensus(ctx context.Context, m Metrics, gs geneSet, sets [][]string, truth map[string]map[string]int, seed uint64) {
	if len(gs.genes) == 0 {
		return
	}
	if sets != nil {
		scoreGO(ctx, m, gs, sets, seed, "_consensus")
	}
	if truth != nil {
		if v, ok := moduleARI(ctx, gs, truth["*"], seed); ok {
			m["module_ari_consensus"] = v
		}
	}
}

// scoreConsensusOn adds go_auroc_consensus_on and knn_go_auroc_consensus_on:
// the consensus GO metrics over the rows of gs whose gene is in on.
func scoreConsensusOn(ctx context.Context, m Metrics, gs geneSet, on []string, sets [][]string, seed uint64) {
	want := make(map[string]bool, len(on))
	for _, g := range on {
		want[g] = true
	}
	sub := geneSet{dataset: gs.dataset, dim: gs.dim}
	for i, g := range gs.genes {
		if want[g] {
			sub.genes = append(sub.genes, g)
			sub.vecs = append(sub.vecs, gs.vecs[i*gs.dim:(i+1)*gs.dim]...)
		}
	}
	if len(sub.genes) > 0 {
		scoreGO(ctx, m, sub, sets, seed, "_consensus_on")
	}
}

// scoreGO adds go_auroc<suffix> and knn_go_auroc<suffix> of gs's unique
// rows; a metric that cannot be computed is left out.
func scoreGO(ctx context.Context, m Metrics, gs geneSet, sets [][]string, seed uint64, suffix string) {
	genes := uniqueRows(&gs)
	if v, err := eval.GOCoAnnotationAUROC(gs.vecs, gs.dim, genes, sets, eval.GeneSetOptions{Seed: seed}); err == nil {
		m["go_auroc"+suffix] = v
	}
	if v, err := eval.KNNGOPredictionAUROC(ctx, gs.vecs, gs.dim, genes, sets, eval.GeneSetOptions{Seed: seed}); err == nil {
		m["knn_go_auroc"+suffix] = v
	}
}

// uniqueRows returns gs.genes with repeated symbols (a symbol duplicated
// within a dataset) made unique, since the GO metrics need unique genes.
func uniqueRows(gs *geneSet) []string {
	seen := map[string]int{}
	out := make([]string, len(gs.genes))
	for i, g := range gs.genes {
		seen[g]++
		out[i] = g
		if seen[g] > 1 {
			out[i] = fmt.Sprintf("%s#%d", g, seen[g])
		}
	}
	return out
}

func remapEdges(fromGenes []string, edges [][2]int, toGenes []string) [][2]int {
	pos := map[string]int{}
	for i, g := range toGenes {
		if _, ok := pos[g]; !ok {
			pos[g] = i
		}
	}
	var out [][2]int
	for _, e := range edges {
		a, okA := pos[fromGenes[e[0]]]
		b, okB := pos[fromGenes[e[1]]]
		if okA && okB {
			out = append(out, [2]int{a, b})
		}
	}
	return out
}

// readTruth reads gene → module maps: "*" for the canonical file and one
// per dataset whose rewired file sits beside it.
func readTruth(path string, datasets []string) (map[string]map[string]int, error) {
	if path == "" {
		return nil, nil
	}
	read := func(p string) (map[string]int, error) {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		m := map[string]int{}
		codes := map[string]int{}
		sc := bufio.NewScanner(f)
		line := 0
		for sc.Scan() {
			line++
			text := strings.TrimRight(sc.Text(), "\r")
			if line == 1 {
				text = strings.TrimPrefix(text, "\ufeff") // a byte-order mark
			}
			fields := strings.Split(text, "\t")
			if line == 1 && fields[0] == "gene" {
				continue
			}
			if len(fields) != 2 {
				return nil, fmt.Errorf("%s:%d: want 2 tab-separated fields (gene, module), got %d", p, line, len(fields))
			}
			if fields[1] != "" {
				c, ok := codes[fields[1]]
				if !ok {
					c = len(codes)
					codes[fields[1]] = c
				}
				m[fields[0]] = c
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", p, line+1, err)
		}
		return m, nil
	}
	out := map[string]map[string]int{}
	var err error
	if out["*"], err = read(path); err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	for _, d := range datasets {
		m, err := read(filepath.Join(dir, d+"_gene_modules.tsv"))
		if errors.Is(err, os.ErrNotExist) {
			out[d] = out["*"]
			continue
		}
		if err != nil {
			return nil, err
		}
		out[d] = m
	}
	return out, nil
}

// moduleARI clusters the vectors of genes in a truth module (Leiden on a
// cosine SNN kNN graph, k 15) and compares with the truth.
func moduleARI(ctx context.Context, gs geneSet, truth map[string]int, seed uint64) (float64, bool) {
	var sel []float32
	var lab []int
	for i, g := range gs.genes {
		if gs.own != nil {
			g = gs.own[i]
		}
		if m, ok := truth[g]; ok {
			sel = append(sel, gs.vecs[i*gs.dim:(i+1)*gs.dim]...)
			lab = append(lab, m)
		}
	}
	n := len(lab)
	if n < 20 {
		return 0, false
	}
	res, err := leiden(ctx, sel, n, gs.dim, seed)
	if err != nil {
		return 0, false
	}
	ari, err := eval.ARI(res.Labels, lab)
	return ari, err == nil
}

func leiden(ctx context.Context, vecs []float32, n, dim int, seed uint64) (cluster.Result, error) {
	g, err := cluster.KNNGraph(ctx, vecs, n, dim, min(15, n-1), cluster.Cosine, cluster.DefaultGraphOptions())
	if err != nil {
		return cluster.Result{}, err
	}
	o := cluster.DefaultOptions()
	o.Seed = seed
	return cluster.Cluster(ctx, g, o)
}

func scoreGenes(ctx context.Context, rep geneRep, sets [][]string, truth map[string]map[string]int, seed uint64) (Metrics, error) {
	m := Metrics{}
	mean := func(name string, f func(gs *geneSet) (float64, bool)) {
		var sum float64
		var k int
		for i := range rep.sets {
			if v, ok := f(&rep.sets[i]); ok && !math.IsNaN(v) {
				sum += v
				k++
			}
		}
		if k > 0 {
			m[name] = sum / float64(k)
		}
	}
	if sets != nil {
		mean("go_auroc", func(gs *geneSet) (float64, bool) {
			v, err := eval.GOCoAnnotationAUROC(gs.vecs, gs.dim, uniqueRows(gs), sets, eval.GeneSetOptions{Seed: seed})
			return v, err == nil
		})
		mean("knn_go_auroc", func(gs *geneSet) (float64, bool) {
			v, err := eval.KNNGOPredictionAUROC(ctx, gs.vecs, gs.dim, uniqueRows(gs), sets, eval.GeneSetOptions{Seed: seed})
			return v, err == nil
		})
	}
	mean("edge_auc", func(gs *geneSet) (float64, bool) {
		if len(gs.edges) == 0 {
			return 0, false
		}
		v, err := eval.EdgeAUC(gs.vecs, len(gs.genes), gs.dim, gs.edges, eval.EdgeOptions{Seed: seed})
		return v, err == nil
	})
	if truth != nil {
		mean("module_ari", func(gs *geneSet) (float64, bool) { return moduleARI(ctx, *gs, truth[gs.dataset], seed) })
	}
	if len(rep.sets) < 2 {
		return m, nil
	}
	// Cross-dataset metrics over stacked (gene, dataset) vectors.
	stacked, err := stackGeneSets(rep)
	if err != nil || stacked == nil {
		return m, err
	}
	n := len(stacked.genes)
	res, err := leiden(ctx, stacked.vecs, n, stacked.dim, seed)
	if err != nil {
		return nil, err
	}
	if v, err := eval.GeneBatchASW(stacked.vecs, stacked.dim, stacked.genes, stacked.datasets, res.Labels, cluster.Cosine); err == nil {
		m["batch_asw"] = v
	}
	if v, err := eval.CommonRatio(stacked.genes, res.Labels); err == nil {
		m["common_ratio"] = v
	}
	graphs := map[int]map[string][]string{}
	for d, gs := range rep.sets {
		adj := map[string][]string{}
		for _, e := range gs.edges {
			a, b := gs.genes[e[0]], gs.genes[e[1]]
			adj[a] = append(adj[a], b)
			adj[b] = append(adj[b], a)
		}
		graphs[d] = adj
	}
	if v, err := eval.ShareOverlap(stacked.genes, stacked.datasets, res.Labels, graphs, eval.ShareOptions{Seed: seed}); err == nil {
		m["share_overlap"] = v
	}
	common, err := eval.CommonEntries(stacked.genes, stacked.datasets)
	if err != nil || len(common) < 20 {
		return m, nil
	}
	cv := make([]float32, 0, len(common)*stacked.dim)
	cb := make([]int, len(common))
	clab := make([]int, len(common))
	for i, e := range common {
		cv = append(cv, unit(stacked.vecs[e*stacked.dim:(e+1)*stacked.dim])...)
		cb[i] = stacked.datasets[e]
		clab[i] = res.Labels[e]
	}
	if v, err := eval.ILISIVectors(ctx, cv, len(common), stacked.dim, cb); err == nil {
		m["ilisi"] = v
	}
	if g, err := cluster.KNNGraph(ctx, cv, len(common), stacked.dim, min(15, len(common)-1), cluster.Cosine, cluster.DefaultGraphOptions()); err == nil {
		if v, err := eval.GraphConnectivity(g, clab); err == nil {
			m["graph_connectivity"] = v
		}
	}
	return m, nil
}

type stackedGenes struct {
	genes    []string
	datasets []int
	dim      int
	vecs     []float32
}

// stackGeneSets stacks a representation's per-dataset vectors. Sets of
// different dimension (Pearson rows: one coordinate per gene of the dataset)
// are re-expressed over the genes every dataset has, so coordinates align.
func stackGeneSets(rep geneRep) (*stackedGenes, error) {
	sameDim := true
	for _, gs := range rep.sets {
		sameDim = sameDim && gs.dim == rep.sets[0].dim
	}
	out := &stackedGenes{}
	if sameDim && rep.name != "pearson" {
		out.dim = rep.sets[0].dim
		for d, gs := range rep.sets {
			for i, g := range gs.genes {
				out.genes = append(out.genes, g)
				out.datasets = append(out.datasets, d)
				out.vecs = append(out.vecs, unit(gs.vecs[i*gs.dim:(i+1)*gs.dim])...)
			}
		}
		return out, nil
	}
	// Coordinates = correlation with each common gene.
	count := map[string]int{}
	for _, gs := range rep.sets {
		seen := map[string]bool{}
		for _, g := range gs.genes {
			if !seen[g] {
				seen[g] = true
				count[g]++
			}
		}
	}
	var common []string
	for _, g := range rep.sets[0].genes {
		if count[g] == len(rep.sets) {
			common = append(common, g)
		}
	}
	if len(common) < 2 {
		return nil, nil
	}
	out.dim = len(common)
	for d, gs := range rep.sets {
		pos := map[string]int{}
		for i, g := range gs.genes {
			if _, ok := pos[g]; !ok {
				pos[g] = i
			}
		}
		cols := make([]int, len(common))
		for k, g := range common {
			cols[k] = pos[g]
		}
		for i, g := range gs.genes {
			row := make([]float32, len(common))
			for k, c := range cols {
				row[k] = gs.vecs[i*gs.dim+c]
			}
			out.genes = append(out.genes, g)
			out.datasets = append(out.datasets, d)
			out.vecs = append(out.vecs, unit(row)...)
		}
	}
	return out, nil
}

func unit(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	if s == 0 {
		return out
	}
	inv := float32(1 / math.Sqrt(s))
	for i, x := range v {
		out[i] = x * inv
	}
	return out
}

// geneReps are the model's and the baselines' gene vectors over the same
// datasets, as EvalGenes scores them.
type geneReps struct {
	model, pca, pear             geneRep
	consensus, pcaCons, pearCons geneSet
	names                        []string // datasets, in the model's order
	infos                        []store.DatasetInfo
}

// buildGeneReps reads the model's per-dataset and consensus gene vectors and
// computes the PCA-loading and Pearson-row baselines from the same
// preprocessed data (the settings the model recorded).
func buildGeneReps(ctx context.Context, db *store.DB, seed uint64, log io.Writer) (*geneReps, error) {
	// The model's vectors, and the settings it was trained with.
	var (
		model     geneRep
		consensus geneSet
		gopts     = DefaultGeneOptions()
		names     []string
		infos     []store.DatasetInfo
	)
	model.name = "model"
	err := db.View(func(tx *store.Tx) error {
		info, err := tx.Space(vocab.SpaceGenes)
		if err != nil {
			return fmt.Errorf("%w: no gene embeddings: run `genestore train genes` first", err)
		}
		for _, set := range info.Sets {
			ids, dim, vecs, err := tx.Embeddings(vocab.SpaceGenes, set.Dataset)
			if err != nil {
				return err
			}
			gs := geneSet{dim: dim, vecs: vecs}
			var d store.DatasetInfo
			if set.Dataset != vocab.Consensus {
				if d, err = tx.DatasetByID(set.Dataset); err != nil {
					return err
				}
			}
			if gs.genes, gs.own, err = geneSymbols(tx, ids, d.Species); err != nil {
				return err
			}
			if set.Dataset == vocab.Consensus {
				gs.dataset = "*"
				consensus = gs
				applyRecordedGeneParams(&gopts, set.Provenance.Params)
				continue
			}
			gs.dataset = d.Name
			names = append(names, d.Name)
			infos = append(infos, d)
			model.sets = append(model.sets, gs)
		}
		if len(names) == 0 {
			// Its datasets were dropped: naming none would select every
			// dataset of the store below.
			return fmt.Errorf("%w: the gene space holds no dataset's vectors: run `genestore train genes`", store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	gopts.Datasets = names
	fmt.Fprintf(log, "eval genes: preparing baselines for %d datasets\n", len(names))
	ins, err := PrepareGenes(ctx, db, gopts, log)
	if err != nil {
		return nil, err
	}
	pca := geneRep{name: "pca"}
	pear := geneRep{name: "pearson"}
	dim := consensus.dim
	symbolOf := map[uint32]string{}
	for i, in := range ins {
		var syms, own []string
		err := db.View(func(tx *store.Tx) (err error) {
			syms, own, err = geneSymbols(tx, in.Input.Genes, in.Info.Species)
			return err
		})
		if err != nil {
			return nil, err
		}
		for k, id := range in.Input.Genes {
			symbolOf[id] = syms[k]
		}
		edges := make([][2]int, len(in.Input.Edges))
		for k, e := range in.Input.Edges {
			edges[k] = [2]int{int(e.A), int(e.B)}
		}
		// The model's rows for this dataset follow its own gene order; map
		// its edges onto them by symbol.
		model.sets[i].edges = remapEdges(syms, edges, model.sets[i].genes)
		k, loadings, err := pcaLoadings(ctx, in.Input.X, dim, seed+1)
		if err != nil {
			return nil, fmt.Errorf("pca baseline: %w", err)
		}
		pca.sets = append(pca.sets, geneSet{dataset: in.Info.Name, genes: syms, own: own, dim: k, vecs: loadings, edges: edges})
		pr, err := prep.PearsonRows(ctx, in.Input.X, gopts.Coexpr)
		if err != nil {
			return nil, fmt.Errorf("pearson baseline: %w", err)
		}
		pear.sets = append(pear.sets, geneSet{dataset: in.Info.Name, genes: syms, own: own, dim: in.Input.X.Cols, vecs: pr, edges: edges})
	}
	symbols := func(ids []uint32) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = symbolOf[id]
		}
		return out
	}
	fmt.Fprintf(log, "eval genes: consensus baselines\n")
	ids, k, vecs, err := pcaConsensus(ctx, ins, dim, gopts.Coexpr.MaxCells, seed+2)
	if err != nil {
		return nil, fmt.Errorf("pca consensus baseline: %w", err)
	}
	pcaCons := geneSet{dataset: "*", genes: symbols(ids), dim: k, vecs: vecs}
	rows := make([][]float32, len(pear.sets)) // each dataset's Pearson matrix
	for i, gs := range pear.sets {
		rows[i] = gs.vecs
	}
	ids, vecs, err = pearsonConsensus(ctx, ins, rows)
	if err != nil {
		return nil, fmt.Errorf("pearson consensus baseline: %w", err)
	}
	pearCons := geneSet{dataset: "*", genes: symbols(ids), dim: len(ids), vecs: vecs}
	return &geneReps{model: model, pca: pca, pear: pear, consensus: consensus, pcaCons: pcaCons, pearCons: pearCons, names: names, infos: infos}, nil
}

// geneSymbols returns the symbols of gene ids (the home species' for a
// joined gene) and, when any differs, each gene's symbol in species (its own
// name in a dataset of that species); own is nil otherwise.
func geneSymbols(tx *store.Tx, ids []uint32, species string) (syms, own []string, err error) {
	syms = make([]string, len(ids))
	own = make([]string, len(ids))
	differs := false
	for i, id := range ids {
		g, err := tx.Gene(id)
		if err != nil {
			return nil, nil, err
		}
		syms[i], own[i] = g.Symbol, g.SymbolIn(species)
		differs = differs || own[i] != syms[i]
	}
	if !differs {
		own = nil
	}
	return syms, own, nil
}

// scorePairs adds iLISI per modality pair and per species pair to m:
// "ilisi_modality_<a>+<b>" (a before b alphabetically) is the mean over
// pairs of datasets of modalities a and b of the iLISI of their two sets
// alone, and "ilisi_species_<a>+<b>" the same over datasets of two species
// (a dataset naming no species is of the home species). Pairs of one
// modality and one species add nothing.
func scorePairs(ctx context.Context, m Metrics, rep geneRep, infos []store.DatasetInfo, seed uint64) error {
	if len(infos) != len(rep.sets) {
		return nil
	}
	home := ""
	for _, in := range infos {
		if in.Species != "" {
			home = in.Species
			break
		}
	}
	species := func(in store.DatasetInfo) string {
		if in.Species == "" {
			return home
		}
		return in.Species
	}
	sum, n := map[string]float64{}, map[string]int{}
	for i := range infos {
		for j := i + 1; j < len(infos); j++ {
			var keys []string
			if a, b := string(infos[i].Modality), string(infos[j].Modality); a != b {
				keys = append(keys, "ilisi_modality_"+pairName(a, b))
			}
			if a, b := species(infos[i]), species(infos[j]); a != b {
				keys = append(keys, "ilisi_species_"+pairName(a, b))
			}
			if len(keys) == 0 {
				continue
			}
			pm, err := scoreGenes(ctx, geneRep{name: rep.name, sets: []geneSet{rep.sets[i], rep.sets[j]}}, nil, nil, seed)
			if err != nil {
				return err
			}
			v, ok := pm["ilisi"]
			if !ok {
				continue
			}
			for _, k := range keys {
				sum[k] += v
				n[k]++
			}
		}
	}
	for k, s := range sum {
		m[k] = s / float64(n[k])
	}
	return nil
}

// pairName joins two labels in alphabetical order.
func pairName(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return a + "+" + b
}
