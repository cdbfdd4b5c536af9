package eval

import (
	"fmt"
	"math"
)

// SilhouetteSamples returns each item's silhouette s(i) = (b − a)/max(a, b),
// a the mean distance to the other members of its cluster, b the smallest
// mean distance to another cluster (Rousseeuw 1987; sklearn's
// silhouette_samples). Items in singleton clusters get 0. Needs at least
// two clusters. Cost O(n² dim), blocked and parallel: fine up to a few
// tens of thousands of items.
func SilhouetteSamples(vecs []float32, n, dim int, labels []int, metric Metric) ([]float64, error) {
	if err := checkVecs(vecs, n, dim); err != nil {
		return nil, err
	}
	if len(labels) != n {
		return nil, fmt.Errorf("%w: %d labels for %d vectors", ErrInvalidInput, len(labels), n)
	}
	codes, k := compactInts(labels)
	if k < 2 || k >= n {
		return nil, fmt.Errorf("%w: silhouette needs 2 ≤ clusters < items (have %d clusters, %d items)", ErrUndefined, k, n)
	}
	size := make([]int, k)
	for _, c := range codes {
		size[c]++
	}
	sums := make([]float64, n*k) // per item, distance sum to each cluster
	crossDistances(vecs, n, nil, n, dim, metric, numWorkers(n), func(_, i, j0 int, d []float32) {
		s := sums[i*k : (i+1)*k]
		for j, x := range d {
			if j0+j != i { // an item's distance to itself is not one of a's (sklearn zeroes it; cosine makes it 1 for a zero vector)
				s[codes[j0+j]] += float64(x)
			}
		}
	})
	out := make([]float64, n)
	for i := 0; i < n; i++ {
		c := codes[i]
		if size[c] == 1 {
			continue
		}
		s := sums[i*k : (i+1)*k]
		a := s[c] / float64(size[c]-1)
		b := math.Inf(1)
		for o := 0; o < k; o++ {
			if o != c {
				b = min(b, s[o]/float64(size[o]))
			}
		}
		if m := max(a, b); m > 0 {
			out[i] = (b - a) / m
		}
	}
	return out, nil
}

// Silhouette is the mean of SilhouetteSamples (sklearn's silhouette_score).
func Silhouette(vecs []float32, n, dim int, labels []int, metric Metric) (float64, error) {
	s, err := SilhouetteSamples(vecs, n, dim, labels, metric)
	if err != nil {
		return 0, err
	}
	return mean(s), nil
}

// LabelASW is scIB's cell-type ASW: (Silhouette + 1)/2 over the true
// labels, in [0, 1], higher is better separated. scIB uses Euclidean.
func LabelASW(vecs []float32, n, dim int, labels []int, metric Metric) (float64, error) {
	s, err := Silhouette(vecs, n, dim, labels, metric)
	if err != nil {
		return 0, err
	}
	return (s + 1) / 2, nil
}

// BatchASW is scIB's silhouette_batch: for each label (cell type, or gene
// cluster for gene spaces), the silhouette of its items with batches as
// the clusters; each item scores 1 − |s(i)|; scores are averaged within a
// label and then across labels. Labels whose items come from a single
// batch, or from as many batches as items, are skipped (as scIB). 1 means
// batches are perfectly mixed within every label. ErrUndefined if every
// label is skipped.
func BatchASW(vecs []float32, n, dim int, labels, batches []int, metric Metric) (float64, error) {
	if err := checkVecs(vecs, n, dim); err != nil {
		return 0, err
	}
	if len(labels) != n || len(batches) != n {
		return 0, fmt.Errorf("%w: %d labels and %d batches for %d vectors", ErrInvalidInput, len(labels), len(batches), n)
	}
	groups := map[int][]int{}
	var order []int
	for i, l := range labels {
		if _, ok := groups[l]; !ok {
			order = append(order, l)
		}
		groups[l] = append(groups[l], i)
	}
	var per []float64
	for _, l := range order {
		idx := groups[l]
		sub := make([]float32, 0, len(idx)*dim)
		bs := make([]int, len(idx))
		nb := map[int]bool{}
		for j, i := range idx {
			sub = append(sub, vecs[i*dim:(i+1)*dim]...)
			bs[j] = batches[i]
			nb[batches[i]] = true
		}
		if len(nb) == 1 || len(nb) == len(idx) {
			continue
		}
		s, err := SilhouetteSamples(sub, len(idx), dim, bs, metric)
		if err != nil {
			return 0, err
		}
		for j := range s {
			s[j] = 1 - math.Abs(s[j])
		}
		per = append(per, mean(s))
	}
	if len(per) == 0 {
		return 0, fmt.Errorf("%w: no label has items from 2 or more batches", ErrUndefined)
	}
	return mean(per), nil
}

func mean(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// compactInts renumbers labels to 0..k−1 in order of first appearance.
func compactInts(labels []int) ([]int, int) {
	m := map[int]int{}
	out := make([]int, len(labels))
	for i, l := range labels {
		c, ok := m[l]
		if !ok {
			c = len(m)
			m[l] = c
		}
		out[i] = c
	}
	return out, len(m)
}
