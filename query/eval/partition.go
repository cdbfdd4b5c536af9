package eval

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
)

// contingency counts co-occurrences of a's and b's labels.
type contingency struct {
	n     int
	cells map[[2]int]int
	rows  map[int]int
	cols  map[int]int
}

func newContingency(a, b []int) (*contingency, error) {
	if len(a) != len(b) {
		return nil, fmt.Errorf("%w: partitions of %d and %d items", ErrInvalidInput, len(a), len(b))
	}
	c := &contingency{n: len(a), cells: map[[2]int]int{}, rows: map[int]int{}, cols: map[int]int{}}
	for i := range a {
		c.cells[[2]int{a[i], b[i]}]++
		c.rows[a[i]]++
		c.cols[b[i]]++
	}
	return c, nil
}

func comb2(x int) float64 { return float64(x) * float64(x-1) / 2 }

// ARI is the adjusted Rand index of two partitions of the same items
// (Hubert & Arabie 1985; sklearn's adjusted_rand_score, which scIB uses):
//
//	ARI = (Σ_ij C(n_ij,2) − E) / (½[Σ_i C(a_i,2) + Σ_j C(b_j,2)] − E),
//	E = Σ_i C(a_i,2) Σ_j C(b_j,2) / C(n,2).
//
// Label values are arbitrary integers. As sklearn, ARI is 1 when the
// denominator vanishes (both partitions trivial in the same way) and for
// fewer than two items.
func ARI(a, b []int) (float64, error) {
	c, err := newContingency(a, b)
	if err != nil {
		return 0, err
	}
	if c.n < 2 {
		return 1, nil
	}
	var sij, sa, sb float64
	for _, v := range c.cells {
		sij += comb2(v)
	}
	for _, v := range c.rows {
		sa += comb2(v)
	}
	for _, v := range c.cols {
		sb += comb2(v)
	}
	exp := sa * sb / comb2(c.n)
	den := (sa+sb)/2 - exp
	if den == 0 {
		return 1, nil
	}
	return (sij - exp) / den, nil
}

// NMI is the normalised mutual information of two partitions with the
// arithmetic-mean normalisation, NMI = I(a;b) / ((H(a)+H(b))/2) — sklearn's
// normalized_mutual_info_score(average_method="arithmetic"), as in scIB.
// Natural logarithms (the base cancels). NMI is symmetric; it is 1 when
// both partitions have a single cluster and 0 when only one does.
func NMI(a, b []int) (float64, error) {
	c, err := newContingency(a, b)
	if err != nil {
		return 0, err
	}
	if c.n == 0 {
		return 1, nil
	}
	n := float64(c.n)
	// Sums run in key order: map order would change the last bits from
	// call to call, and a best-resolution choice over NMI with it.
	ent := func(m map[int]int) float64 {
		h := 0.0
		for _, k := range slices.Sorted(maps.Keys(m)) {
			p := float64(m[k]) / n
			h -= p * math.Log(p)
		}
		return h
	}
	ha, hb := ent(c.rows), ent(c.cols)
	if len(c.rows) == 1 && len(c.cols) == 1 {
		return 1, nil
	}
	if ha == 0 || hb == 0 {
		return 0, nil
	}
	mi := 0.0
	cells := slices.SortedFunc(maps.Keys(c.cells), func(x, y [2]int) int {
		return cmp.Or(cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1]))
	})
	for _, k := range cells {
		nij := float64(c.cells[k])
		mi += nij / n * math.Log(n*nij/(float64(c.rows[k[0]])*float64(c.cols[k[1]])))
	}
	return max(0, mi/((ha+hb)/2)), nil
}

// Codes maps string labels to integer codes 0..k−1 in order of first
// appearance, for the metrics that take []int; names[code] is the label.
func Codes(labels []string) (codes []int, names []string) {
	m := map[string]int{}
	codes = make([]int, len(labels))
	for i, l := range labels {
		c, ok := m[l]
		if !ok {
			c = len(names)
			m[l] = c
			names = append(names, l)
		}
		codes[i] = c
	}
	return codes, names
}
