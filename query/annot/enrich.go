package annot

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// EnrichOptions configure Enrich. The zero value tests every set with at
// least one gene in the universe.
type EnrichOptions struct {
	// MinSize and MaxSize bound the sets tested by their size within the
	// universe. 0 means no bound (MinSize 0 acts as 1).
	MinSize, MaxSize int
}

// DefaultEnrichOptions tests sets of 10–500 universe genes (the sizes of the
// bundled GO collection).
func DefaultEnrichOptions() EnrichOptions { return EnrichOptions{MinSize: 10, MaxSize: 500} }

// Validate reports every problem with o at once.
func (o EnrichOptions) Validate() error {
	var errs []error
	if o.MinSize < 0 || o.MaxSize < 0 {
		errs = append(errs, fmt.Errorf("%w: negative size bound (%d, %d)", ErrInvalidInput, o.MinSize, o.MaxSize))
	}
	if o.MaxSize > 0 && o.MinSize > o.MaxSize {
		errs = append(errs, fmt.Errorf("%w: min size %d above max size %d", ErrInvalidInput, o.MinSize, o.MaxSize))
	}
	return errors.Join(errs...)
}

// Result is one set's over-representation test.
type Result struct {
	// Set is the gene set tested (as given; Genes is not restricted).
	Set GeneSet
	// Size is the number of the set's genes in the universe (K).
	Size int
	// Overlap is the number of query genes in the set (k); Genes lists them, sorted.
	Overlap int
	Genes   []string
	// Expected is the overlap expected by chance, n·K/N.
	Expected float64
	// PValue is the hypergeometric upper tail P(X ≥ k); LogPValue its
	// natural logarithm (finite where PValue underflows to 0).
	PValue, LogPValue float64
	// FDR is the Benjamini–Hochberg adjusted p-value over all sets tested.
	FDR float64
}

// Collection is a gene-set collection indexed against a universe, for
// repeated enrichment queries.
type Collection struct {
	universe map[string]int32
	names    []string
	sets     []GeneSet
	members  [][]int32 // per set: universe indices, sorted
}

// NewCollection indexes sets against universe. An empty universe means the
// union of the sets' genes (the usual choice when the query comes from an
// embedding, pass the embedded genes instead). Repeated universe genes are
// kept once.
func NewCollection(sets []GeneSet, universe []string) (*Collection, error) {
	c := &Collection{universe: map[string]int32{}, sets: sets, members: make([][]int32, len(sets))}
	add := func(g string) {
		if _, ok := c.universe[g]; !ok {
			c.universe[g] = int32(len(c.names))
			c.names = append(c.names, g)
		}
	}
	if len(universe) > 0 {
		for _, g := range universe {
			add(g)
		}
	} else {
		for _, s := range sets {
			for _, g := range s.Genes {
				add(g)
			}
		}
	}
	seen := map[string]bool{}
	for i, s := range sets {
		if s.ID == "" {
			return nil, fmt.Errorf("%w: set %d has an empty ID", ErrInvalidInput, i)
		}
		if seen[s.ID] {
			return nil, fmt.Errorf("%w: duplicate set ID %q", ErrInvalidInput, s.ID)
		}
		seen[s.ID] = true
		var m []int32
		for _, g := range s.Genes {
			if j, ok := c.universe[g]; ok {
				m = append(m, j)
			}
		}
		slices.Sort(m)
		c.members[i] = slices.Compact(m)
	}
	return c, nil
}

// UniverseSize is N, the number of distinct universe genes.
func (c *Collection) UniverseSize() int { return len(c.names) }

// Enrich tests each set of the collection for over-representation of the
// query genes (restricted to the universe; unknown and repeated genes are
// dropped) with the one-sided hypergeometric test, X ~ Hypergeometric(N
// universe genes, K set genes, n query genes), p = P(X ≥ k), computed
// exactly as a sum of log-space terms (log C via math.Lgamma). FDR is
// Benjamini–Hochberg over every set tested (those within the size bounds,
// including sets the query misses, with p = 1). Sets with no query gene are
// not returned. Results are sorted by p-value, then by set ID.
func (c *Collection) Enrich(query []string, opts EnrichOptions) ([]Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	inQ := make([]bool, len(c.names))
	n := 0
	for _, g := range query {
		if j, ok := c.universe[g]; ok && !inQ[j] {
			inQ[j] = true
			n++
		}
	}
	N := len(c.names)
	lcN := logChoose(N, n)
	var out []Result
	tested := 0
	for i, m := range c.members {
		K := len(m)
		if K == 0 || K < opts.MinSize || (opts.MaxSize > 0 && K > opts.MaxSize) {
			continue
		}
		tested++
		var genes []string
		for _, j := range m {
			if inQ[j] {
				genes = append(genes, c.names[j])
			}
		}
		if len(genes) == 0 {
			continue
		}
		slices.Sort(genes)
		lp := logHyperUpper(len(genes), N, K, n, lcN)
		out = append(out, Result{Set: c.sets[i], Size: K, Overlap: len(genes), Genes: genes,
			Expected: float64(n) * float64(K) / float64(N), PValue: math.Exp(lp), LogPValue: lp})
	}
	slices.SortFunc(out, func(a, b Result) int {
		if a.LogPValue != b.LogPValue {
			if a.LogPValue < b.LogPValue {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Set.ID, b.Set.ID)
	})
	// Benjamini–Hochberg with m = tested; the untested-by-overlap sets have
	// p = 1 and rank after every returned one, so they change only m.
	m := float64(tested)
	minQ := 1.0
	for i := len(out) - 1; i >= 0; i-- {
		q := out[i].PValue * m / float64(i+1)
		minQ = min(minQ, q)
		out[i].FDR = minQ
	}
	return out, nil
}

// Enrich is NewCollection(sets, universe) followed by Collection.Enrich.
func Enrich(query, universe []string, sets []GeneSet, opts EnrichOptions) ([]Result, error) {
	c, err := NewCollection(sets, universe)
	if err != nil {
		return nil, err
	}
	return c.Enrich(query, opts)
}

// logChoose is log C(n, k) (−Inf outside 0 ≤ k ≤ n).
func logChoose(n, k int) float64 {
	if k < 0 || k > n {
		return math.Inf(-1)
	}
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// logHyperUpper is log P(X ≥ k) for X ~ Hypergeometric(N, K, n), lcN =
// log C(N, n). The first term comes from log-binomials (math.Lgamma); the
// following ones from the exact ratio
// P(x+1)/P(x) = (K−x)(n−x) / ((x+1)(N−K−n+x+1)), summed until they fall
// below 1e-17 of the running sum (terms decrease past the mode), with
// rescaling to avoid overflow.
func logHyperUpper(k, N, K, n int, lcN float64) float64 {
	lo := max(k, 0, n-(N-K))
	hi := min(K, n)
	if lo > hi {
		return math.Inf(-1)
	}
	if lo == max(0, n-(N-K)) {
		return 0 // the whole support: P = 1
	}
	lt := logChoose(K, lo) + logChoose(N-K, n-lo) - lcN
	sum, r := 1.0, 1.0
	for x := lo; x < hi; x++ {
		r *= float64(K-x) * float64(n-x) / (float64(x+1) * float64(N-K-n+x+1))
		sum += r
		if r < 1e-17*sum {
			break
		}
		if sum > 1e250 {
			lt += math.Log(sum)
			r /= sum
			sum = 1
		}
	}
	return min(0, lt+math.Log(sum))
}
