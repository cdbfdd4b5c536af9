package eval

import (
	"fmt"
)

// KNNTransfer predicts a label for each query vector by majority vote of
// its k nearest reference vectors (exact search, metric distance); a tie
// goes to the tied label whose nearest member is closest. Pair it with
// Accuracy and MacroF1 against the query's true labels.
func KNNTransfer(refVecs []float32, refLabels []string, queryVecs []float32, dim, k int, metric Metric) ([]string, error) {
	if dim <= 0 || len(refVecs)%dim != 0 || len(queryVecs)%dim != 0 {
		return nil, fmt.Errorf("%w: vector blocks of %d and %d values are not multiples of dim %d", ErrInvalidInput, len(refVecs), len(queryVecs), dim)
	}
	nr, nq := len(refVecs)/dim, len(queryVecs)/dim
	if err := checkVecs(refVecs, nr, dim); err != nil {
		return nil, err
	}
	if err := checkVecs(queryVecs, nq, dim); err != nil {
		return nil, err
	}
	if len(refLabels) != nr {
		return nil, fmt.Errorf("%w: %d reference labels for %d vectors", ErrInvalidInput, len(refLabels), nr)
	}
	if k <= 0 || nr == 0 {
		return nil, fmt.Errorf("%w: k = %d with %d reference vectors", ErrInvalidInput, k, nr)
	}
	if nq == 0 {
		return []string{}, nil
	}
	k = min(k, nr)
	workers := numWorkers(nq)
	tops := make([][]nbr, nq)
	crossDistances(queryVecs, nq, refVecs, nr, dim, metric, workers, func(_, i, j0 int, d []float32) {
		t := tops[i]
		for j, x := range d {
			t = pushTop(t, k, nbr{x, int32(j0 + j)})
		}
		tops[i] = t
	})
	out := make([]string, nq)
	for i, t := range tops {
		count := map[string]int{}
		first := map[string]int{}
		for r, nb := range t {
			l := refLabels[nb.id]
			count[l]++
			if _, ok := first[l]; !ok {
				first[l] = r
			}
		}
		best, found := "", false // "" may be a label (a missing cell type)
		for l, c := range count {
			if !found || c > count[best] || (c == count[best] && first[l] < first[best]) {
				best, found = l, true
			}
		}
		out[i] = best
	}
	return out, nil
}

type nbr struct {
	d  float32
	id int32
}

// pushTop keeps the k smallest neighbours sorted by (distance, id).
func pushTop(t []nbr, k int, x nbr) []nbr {
	less := func(a, b nbr) bool { return a.d < b.d || (a.d == b.d && a.id < b.id) }
	if len(t) == k {
		if !less(x, t[k-1]) {
			return t
		}
		t = t[:k-1]
	}
	p := len(t)
	for p > 0 && less(x, t[p-1]) {
		p--
	}
	t = append(t, nbr{})
	copy(t[p+1:], t[p:])
	t[p] = x
	return t
}
