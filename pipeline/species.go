package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"genestore/store"
)

// ErrSpecies reports an ortholog-retrieval request that cannot be answered.
var ErrSpecies = errors.New("pipeline: ortholog retrieval")

// OrthologRetrieval is the answer of RetrieveOrthologs: per representation
// (the gene model and the baselines of `eval genes`), the share of the genes
// selected in both datasets whose vector in the second dataset is among the
// K nearest (cosine) of the second dataset's genes to its vector in the
// first.
type OrthologRetrieval struct {
	From, To string             // datasets: queries come from From, candidates from To
	K        int                // neighbours searched
	Genes    int                // genes selected (embedded) in both
	Chance   float64            // K / genes of To: the share a random ranking hits
	Share    map[string]float64 // "model", "pca", "pearson"
}

// RetrieveOrthologs measures how well the stored gene model places the
// same gene of two datasets together: for every gene embedded in both from
// and to (for datasets of two species, a gene of to joined to a from gene
// through the ortholog table at ingest is the same gene), it ranks to's
// genes by cosine similarity to the gene's from vector and counts a hit
// when the gene's own to vector is among the k nearest. A joined pair
// shares one consensus vector, so the test runs on the per-dataset
// vectors, where each species keeps its own. The baselines are the ones
// `eval genes` computes from the same preprocessed data: "pca", each
// dataset's own PCA gene loadings (their axes are not aligned between
// datasets, so it is the floor), and "pearson", each gene's correlation with
// the genes both datasets share (joined through the same table).
//
// pairs, when not nil, names the gene of to (its symbol as stored: the home
// symbol for a joined gene, else its own) that each from gene should find,
// by from symbol; only genes it names are scored. That scores pairs the
// model was not told are the same gene: orthologs held out of the table at
// ingest, which stay species-private genes.
func RetrieveOrthologs(ctx context.Context, db *store.DB, from, to string, pairs map[string]string, k int, seed uint64, log io.Writer) (*OrthologRetrieval, error) {
	if log == nil {
		log = io.Discard
	}
	if k < 1 {
		return nil, fmt.Errorf("%w: k = %d, want ≥ 1", ErrSpecies, k)
	}
	r, err := buildGeneReps(ctx, db, seed, log)
	if err != nil {
		return nil, err
	}
	a, b := slices.Index(r.names, from), slices.Index(r.names, to)
	if a < 0 || b < 0 || a == b {
		return nil, fmt.Errorf("%w: want two different datasets of the gene model (%v), got %q and %q", ErrSpecies, r.names, from, to)
	}
	out := &OrthologRetrieval{From: from, To: to, K: k, Share: map[string]float64{}}
	for _, rep := range []geneRep{r.model, r.pca, r.pear} {
		st, err := stackGeneSets(geneRep{name: rep.name, sets: []geneSet{rep.sets[a], rep.sets[b]}})
		if err != nil {
			return nil, err
		}
		if st == nil {
			return nil, fmt.Errorf("%w: %s and %s share fewer than 2 genes", ErrSpecies, from, to)
		}
		share, n, nTo := retrieval(st, k, pairs)
		if n == 0 {
			return nil, fmt.Errorf("%w: no gene is embedded in both %s and %s", ErrSpecies, from, to)
		}
		out.Share[rep.name] = share
		out.Genes = n
		out.Chance = min(1, float64(k)/float64(nTo))
	}
	return out, nil
}

// retrieval scores stacked unit vectors of two datasets (0 and 1): the
// share of dataset-0 genes whose partner's dataset-1 row is among the k
// rows of dataset 1 most similar to its dataset-0 row (partner: pairs[g],
// or g itself when pairs is nil); also the number of genes scored and of
// dataset-1 rows.
func retrieval(st *stackedGenes, k int, pairs map[string]string) (share float64, n, nTo int) {
	var to []int
	first := map[string]int{} // symbol → its first dataset-0 row
	row := map[string]int{}   // symbol → its first dataset-1 row
	for i, g := range st.genes {
		if st.datasets[i] == 1 {
			to = append(to, i)
			if _, ok := row[g]; !ok {
				row[g] = i
			}
		} else if _, ok := first[g]; !ok {
			first[g] = i
		}
	}
	dot := func(i, j int) float32 {
		var s float32
		x, y := st.vecs[i*st.dim:(i+1)*st.dim], st.vecs[j*st.dim:(j+1)*st.dim]
		for d := range x {
			s += x[d] * y[d]
		}
		return s
	}
	hits := 0
	for g, q := range first {
		partner := g
		if pairs != nil {
			var ok bool
			if partner, ok = pairs[g]; !ok {
				continue
			}
		}
		target, ok := row[partner]
		if !ok {
			continue
		}
		n++
		sim := dot(q, target)
		better := 0
		for _, j := range to {
			if j != target && dot(q, j) > sim {
				better++
			}
		}
		if better < k {
			hits++
		}
	}
	if n == 0 {
		return 0, 0, len(to)
	}
	return float64(hits) / float64(n), n, len(to)
}
