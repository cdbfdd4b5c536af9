package eval

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"genestore/internal/sets"
	"genestore/query/cluster"
)

// GeneSetOptions configure the GO (gene-set) metrics. The zero value is valid.
type GeneSetOptions struct {
	// MinSize and MaxSize bound the terms used, by their number of distinct
	// genes in the collection (not only in the embedding). 0 means 10 and 200.
	MinSize, MaxSize int
	// Pairs is the number of positive and of negative pairs sampled by
	// GOCoAnnotationAUROC. 0 means 10,000.
	Pairs int
	// K is the number of neighbours KNNGOPredictionAUROC votes with. 0 means 10.
	K int
	// Seed seeds the pair sampling.
	Seed uint64
}

// DefaultGeneSetOptions returns terms of 10–200 genes, 10,000 pairs, k = 10, seed 0.
func DefaultGeneSetOptions() GeneSetOptions {
	return GeneSetOptions{MinSize: 10, MaxSize: 200, Pairs: 10000, K: 10}
}

// Validate reports every problem with o at once.
func (o GeneSetOptions) Validate() error {
	var errs []error
	if o.MinSize < 0 || o.MaxSize < 0 || o.Pairs < 0 || o.K < 0 {
		errs = append(errs, fmt.Errorf("%w: negative option in %+v", ErrInvalidInput, o))
	}
	if o.MaxSize != 0 && o.MinSize > o.MaxSize {
		errs = append(errs, fmt.Errorf("%w: min size %d above max size %d", ErrInvalidInput, o.MinSize, o.MaxSize))
	}
	return errors.Join(errs...)
}

func (o GeneSetOptions) withDefaults() GeneSetOptions {
	d := DefaultGeneSetOptions()
	if o.MinSize == 0 {
		o.MinSize = d.MinSize
	}
	if o.MaxSize == 0 {
		o.MaxSize = d.MaxSize
	}
	if o.Pairs == 0 {
		o.Pairs = d.Pairs
	}
	if o.K == 0 {
		o.K = d.K
	}
	return o
}

// annotation is a gene-set collection mapped onto the embedded genes.
type annotation struct {
	kept      [][]int32 // kept terms: embedded member indices (≥ 2 members), sorted
	geneKept  [][]int32 // per embedded gene: kept term numbers, sorted
	geneAll   [][]int32 // per embedded gene: every term it belongs to, sorted
	annotated []int32   // embedded genes in ≥ 1 kept term, ascending
}

func annotate(genes []string, sets [][]string, o GeneSetOptions) (*annotation, error) {
	idx := make(map[string]int32, len(genes))
	for i, g := range genes {
		if _, dup := idx[g]; dup {
			return nil, fmt.Errorf("%w: gene %q listed twice", ErrInvalidInput, g)
		}
		idx[g] = int32(i)
	}
	a := &annotation{geneKept: make([][]int32, len(genes)), geneAll: make([][]int32, len(genes))}
	for t, set := range sets {
		uniq := map[string]bool{}
		var members []int32
		for _, g := range set {
			if uniq[g] {
				continue
			}
			uniq[g] = true
			if i, ok := idx[g]; ok {
				members = append(members, i)
			}
		}
		slices.Sort(members)
		for _, i := range members {
			a.geneAll[i] = append(a.geneAll[i], int32(t))
		}
		if len(uniq) < o.MinSize || len(uniq) > o.MaxSize || len(members) < 2 {
			continue
		}
		k := int32(len(a.kept))
		a.kept = append(a.kept, members)
		for _, i := range members {
			a.geneKept[i] = append(a.geneKept[i], k)
		}
	}
	for i, ts := range a.geneKept {
		if len(ts) > 0 {
			a.annotated = append(a.annotated, int32(i))
		}
	}
	return a, nil
}

func sharesAny(a, b []int32) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			return true
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return false
}

func unitRows(vecs []float32, n, dim int) []float32 {
	x, _ := prepare(vecs, n, dim, cluster.Cosine)
	return x
}

func cosRows(x []float32, dim int, i, j int32) float64 {
	var s float32
	a, b := x[int(i)*dim:int(i+1)*dim], x[int(j)*dim:int(j+1)*dim]
	for k := range a {
		s += a[k] * b[k]
	}
	return float64(s)
}

// GOCoAnnotationAUROC measures how well cosine similarity in the gene space
// separates co-annotated gene pairs from unrelated ones (issue 4). Terms of
// MinSize–MaxSize genes are kept. Positives: opts.Pairs pairs drawn by
// picking a kept term with probability ∝ its number of embedded gene pairs,
// then a pair of its embedded genes. Negatives: opts.Pairs pairs of distinct
// genes, both annotated with some kept term, drawn uniformly and rejected if
// they share any term of the collection (of any size). Score: cosine.
// vecs is row-major len(genes)×dim; genes must be unique (pass consensus
// vectors, or one dataset's vectors, not the stacked per-dataset entries).
func GOCoAnnotationAUROC(vecs []float32, dim int, genes []string, sets [][]string, opts GeneSetOptions) (float64, error) {
	if err := opts.Validate(); err != nil {
		return 0, err
	}
	opts = opts.withDefaults()
	n := len(genes)
	if err := checkVecs(vecs, n, dim); err != nil {
		return 0, err
	}
	a, err := annotate(genes, sets, opts)
	if err != nil {
		return 0, err
	}
	if len(a.kept) == 0 || len(a.annotated) < 2 {
		return 0, fmt.Errorf("%w: no term of %d–%d genes has two embedded genes", ErrUndefined, opts.MinSize, opts.MaxSize)
	}
	x := unitRows(vecs, n, dim)
	rng := rand.New(rand.NewPCG(opts.Seed, 0x60a))
	cum := make([]float64, len(a.kept))
	total := 0.0
	for t, m := range a.kept {
		total += float64(len(m)) * float64(len(m)-1) / 2
		cum[t] = total
	}
	items := make([]rocItem, 0, 2*opts.Pairs)
	for p := 0; p < opts.Pairs; p++ {
		t, _ := slices.BinarySearch(cum, rng.Float64()*total)
		t = min(t, len(cum)-1)
		m := a.kept[t]
		i := rng.IntN(len(m))
		j := rng.IntN(len(m) - 1)
		if j >= i {
			j++
		}
		items = append(items, rocItem{score: cosRows(x, dim, m[i], m[j]), pos: 1})
	}
	negs := 0
	for tries := 0; negs < opts.Pairs && tries < 50*opts.Pairs; tries++ {
		i := a.annotated[rng.IntN(len(a.annotated))]
		j := a.annotated[rng.IntN(len(a.annotated))]
		if i == j || sharesAny(a.geneAll[i], a.geneAll[j]) {
			continue
		}
		items = append(items, rocItem{score: cosRows(x, dim, i, j), neg: 1})
		negs++
	}
	if negs == 0 {
		return 0, fmt.Errorf("%w: found no annotated gene pair sharing no term", ErrUndefined)
	}
	return aurocGrouped(items)
}

// KNNGOPredictionAUROC measures how well a gene's nearest neighbours predict
// its terms (issue 4). Among the genes annotated with some kept term
// (MinSize–MaxSize genes), each gene's opts.K nearest others by cosine vote:
// score(g, t) = Σ_j w_j [j ∈ t] / Σ_j w_j with w_j = (1 + cos(g, j))/2. The
// AUROC is taken over every (annotated gene, kept term) pair, positive when
// the gene is annotated with the term (micro-averaged; most pairs score 0
// and tie). Genes must be unique, as for GOCoAnnotationAUROC; the kNN
// search is exact (O(n² dim)): about 5 CPU-s for 16k genes × 32 dims.
func KNNGOPredictionAUROC(ctx context.Context, vecs []float32, dim int, genes []string, sets [][]string, opts GeneSetOptions) (float64, error) {
	if err := opts.Validate(); err != nil {
		return 0, err
	}
	opts = opts.withDefaults()
	n := len(genes)
	if err := checkVecs(vecs, n, dim); err != nil {
		return 0, err
	}
	a, err := annotate(genes, sets, opts)
	if err != nil {
		return 0, err
	}
	na := len(a.annotated)
	if len(a.kept) == 0 || na < 2 {
		return 0, fmt.Errorf("%w: fewer than two annotated genes", ErrUndefined)
	}
	sub := make([]float32, 0, na*dim)
	for _, g := range a.annotated {
		sub = append(sub, vecs[int(g)*dim:int(g+1)*dim]...)
	}
	ids, dists, err := cluster.KNN(ctx, sub, na, dim, opts.K, cluster.Cosine)
	if err != nil {
		return 0, err
	}
	var totalPos float64
	for _, g := range a.annotated {
		totalPos += float64(len(a.geneKept[g]))
	}
	totalNeg := float64(na)*float64(len(a.kept)) - totalPos
	var items []rocItem
	var scoredPos, scoredNeg float64
	score := map[int32]float64{}
	for qi, g := range a.annotated {
		clear(score)
		wsum := 0.0
		for r, j := range ids[qi] {
			w := 1 - float64(dists[qi][r])/2
			wsum += w
			for _, t := range a.geneKept[a.annotated[j]] {
				score[t] += w
			}
		}
		if wsum == 0 {
			continue
		}
		for t, s := range score {
			if s == 0 {
				continue
			}
			it := rocItem{score: s / wsum}
			if _, ok := slices.BinarySearch(a.geneKept[g], t); ok {
				it.pos = 1
				scoredPos++
			} else {
				it.neg = 1
				scoredNeg++
			}
			items = append(items, it)
		}
	}
	items = append(items, rocItem{score: 0, pos: totalPos - scoredPos, neg: totalNeg - scoredNeg})
	return aurocGrouped(items)
}

// EdgeOptions configure EdgeAUC. The zero value is valid.
type EdgeOptions struct {
	// MaxPairs bounds the number of scored pairs: with n(n−1)/2 ≤ MaxPairs
	// every pair is scored; otherwise all edges and max(MaxPairs − |edges|,
	// |edges|) random non-edges (at least as many non-edges as edges, so
	// more than MaxPairs pairs when edges are over half of it). 0 means
	// 2,000,000.
	MaxPairs int
	// Seed seeds the non-edge sampling.
	Seed uint64
}

// EdgeAUC is MuSe-GNN's edge AUC for one dataset: the AUROC of cosine
// similarity between gene vectors (MuSe-GNN applies a sigmoid, which leaves
// the ranking unchanged) for telling the co-expression edges of that
// dataset's graph from the other gene pairs. vecs holds the dataset's n
// gene vectors (row-major n×dim); edges are index pairs into them (either
// orientation, duplicates and self-loops ignored). Unlike MuSe-GNN, the
// diagonal is not scored. Average over datasets for the reported figure.
func EdgeAUC(vecs []float32, n, dim int, edges [][2]int, opts EdgeOptions) (float64, error) {
	if err := checkVecs(vecs, n, dim); err != nil {
		return 0, err
	}
	if opts.MaxPairs < 0 {
		return 0, fmt.Errorf("%w: max pairs %d", ErrInvalidInput, opts.MaxPairs)
	}
	if opts.MaxPairs == 0 {
		opts.MaxPairs = 2_000_000
	}
	key := func(i, j int) uint64 {
		if i > j {
			i, j = j, i
		}
		return uint64(i)<<32 | uint64(j)
	}
	isEdge := map[uint64]bool{}
	for _, e := range edges {
		if e[0] < 0 || e[1] < 0 || e[0] >= n || e[1] >= n {
			return 0, fmt.Errorf("%w: edge %v outside %d genes", ErrInvalidInput, e, n)
		}
		if e[0] != e[1] {
			isEdge[key(e[0], e[1])] = true
		}
	}
	x := unitRows(vecs, n, dim)
	allPairs := float64(n) * float64(n-1) / 2
	var items []rocItem
	if allPairs <= float64(opts.MaxPairs) {
		items = make([]rocItem, 0, int(allPairs))
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				it := rocItem{score: cosRows(x, dim, int32(i), int32(j))}
				if isEdge[key(i, j)] {
					it.pos = 1
				} else {
					it.neg = 1
				}
				items = append(items, it)
			}
		}
		return aurocGrouped(items)
	}
	for k := range isEdge {
		items = append(items, rocItem{score: cosRows(x, dim, int32(k>>32), int32(k&0xffffffff)), pos: 1})
	}
	slices.SortFunc(items, func(a, b rocItem) int { return cmpFloat(a.score, b.score) }) // map order → fixed order
	rng := rand.New(rand.NewPCG(opts.Seed, 0xed9e))
	want := max(opts.MaxPairs-len(items), len(items))
	for got, tries := 0, 0; got < want && tries < 20*want; tries++ {
		i, j := rng.IntN(n), rng.IntN(n)
		if i == j || isEdge[key(i, j)] {
			continue
		}
		items = append(items, rocItem{score: cosRows(x, dim, int32(i), int32(j)), neg: 1})
		got++
	}
	return aurocGrouped(items)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CommonEntries returns the positions of entries (gene, dataset) whose gene
// occurs in every dataset present — the "common genes" MuSe-GNN restricts
// batch ASW, iLISI and graph connectivity to.
func CommonEntries(genes []string, datasets []int) ([]int, error) {
	if len(genes) != len(datasets) {
		return nil, fmt.Errorf("%w: %d genes, %d datasets", ErrInvalidInput, len(genes), len(datasets))
	}
	_, nd := compactInts(datasets)
	in := map[string]map[int]bool{}
	for i, g := range genes {
		if in[g] == nil {
			in[g] = map[int]bool{}
		}
		in[g][datasets[i]] = true
	}
	var out []int
	for i, g := range genes {
		if len(in[g]) == nd {
			out = append(out, i)
		}
	}
	return out, nil
}

// CommonRatio is MuSe-GNN's "common ratio": entries are (gene, dataset)
// vectors with a cluster each; for each cluster c with n_c entries of u_c
// distinct genes, 1 − u_c/n_c, weighted by n_c/N:
//
//	CommonRatio = Σ_c (n_c − u_c) / N.
//
// It grows when the vectors of one gene from different datasets fall into
// the same cluster (0 when no cluster holds a gene twice).
func CommonRatio(genes []string, clusters []int) (float64, error) {
	if len(genes) != len(clusters) {
		return 0, fmt.Errorf("%w: %d genes, %d cluster labels", ErrInvalidInput, len(genes), len(clusters))
	}
	if len(genes) == 0 {
		return 0, fmt.Errorf("%w: no entries", ErrUndefined)
	}
	type key struct {
		c int
		g string
	}
	uniq := map[key]bool{}
	for i, g := range genes {
		uniq[key{clusters[i], g}] = true
	}
	return float64(len(genes)-len(uniq)) / float64(len(genes)), nil
}

// ShareOptions configure ShareOverlap. The zero value is valid.
type ShareOptions struct {
	// MaxPairs bounds the cross-dataset pairs scored per cluster; clusters
	// with more are sampled. 0 means 20,000.
	MaxPairs int
	// Seed seeds the sampling.
	Seed uint64
}

// ShareOverlap is MuSe-GNN's "share overlap": for each cluster, the mean over
// pairs of its entries (g1, d1), (g2, d2) from different datasets (d1 ≠ d2)
// of the Jaccard index of g1's neighbours in dataset d1's co-expression
// graph and g2's neighbours in d2's (neighbours compared by gene name);
// clusters weighted by their share of entries; a cluster with no
// cross-dataset pair contributes 0, as does a pair whose two neighbour sets
// are empty. graphs[d][gene] lists gene's neighbours in dataset d.
func ShareOverlap(genes []string, datasets, clusters []int, graphs map[int]map[string][]string, opts ShareOptions) (float64, error) {
	n := len(genes)
	if len(datasets) != n || len(clusters) != n {
		return 0, fmt.Errorf("%w: %d genes, %d datasets, %d clusters", ErrInvalidInput, n, len(datasets), len(clusters))
	}
	if n == 0 {
		return 0, fmt.Errorf("%w: no entries", ErrUndefined)
	}
	if opts.MaxPairs < 0 {
		return 0, fmt.Errorf("%w: max pairs %d", ErrInvalidInput, opts.MaxPairs)
	}
	if opts.MaxPairs == 0 {
		opts.MaxPairs = 20000
	}
	// neighbour sets per entry as sorted name lists
	nb := make([][]string, n)
	for i, g := range genes {
		s := slices.Clone(graphs[datasets[i]][g])
		slices.Sort(s)
		nb[i] = slices.Compact(s)
	}
	members := map[int][]int{}
	var order []int
	for i, c := range clusters {
		if _, ok := members[c]; !ok {
			order = append(order, c)
		}
		members[c] = append(members[c], i)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x5ba7e))
	total := 0.0
	for _, c := range order {
		m := members[c]
		var cross float64 // unordered cross-dataset pairs
		byDS := map[int]int{}
		for _, i := range m {
			byDS[datasets[i]]++
		}
		sq := 0.0
		for _, k := range byDS {
			sq += float64(k) * float64(k)
		}
		cross = (float64(len(m))*float64(len(m)) - sq) / 2
		if cross == 0 {
			continue
		}
		sum, cnt := 0.0, 0.0
		if cross <= float64(opts.MaxPairs) {
			for x := 0; x < len(m); x++ {
				for y := x + 1; y < len(m); y++ {
					if datasets[m[x]] != datasets[m[y]] {
						sum += sets.Jaccard(nb[m[x]], nb[m[y]])
						cnt++
					}
				}
			}
		} else {
			for cnt < float64(opts.MaxPairs) {
				x, y := m[rng.IntN(len(m))], m[rng.IntN(len(m))]
				if datasets[x] == datasets[y] {
					continue
				}
				sum += sets.Jaccard(nb[x], nb[y])
				cnt++
			}
		}
		total += sum / cnt * float64(len(m)) / float64(n)
	}
	return total, nil
}

// GeneBatchASW is MuSe-GNN's gene ASW: BatchASW over the entries of genes
// common to all datasets (CommonEntries), with the datasets as batches and
// the entries' clusters (Leiden on the gene space) as labels.
func GeneBatchASW(vecs []float32, dim int, genes []string, datasets, clusters []int, metric Metric) (float64, error) {
	n := len(genes)
	if err := checkVecs(vecs, n, dim); err != nil {
		return 0, err
	}
	if len(clusters) != n {
		return 0, fmt.Errorf("%w: %d clusters for %d entries", ErrInvalidInput, len(clusters), n)
	}
	idx, err := CommonEntries(genes, datasets)
	if err != nil {
		return 0, err
	}
	sub := make([]float32, 0, len(idx)*dim)
	l := make([]int, len(idx))
	b := make([]int, len(idx))
	for k, i := range idx {
		sub = append(sub, vecs[i*dim:(i+1)*dim]...)
		l[k], b[k] = clusters[i], datasets[i]
	}
	return BatchASW(sub, len(idx), dim, l, b, metric)
}
