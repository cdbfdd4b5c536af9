package layout

import (
	"fmt"
	"math"
	"sort"
)

// Trustworthiness is sklearn.manifold.trustworthiness with the Euclidean
// metric: 1 − 2/(nk(2n − 3k − 1)) Σ_i Σ_{j ∈ U_i} (r(i, j) − k), where U_i
// are the k nearest neighbours of i in the embedding y (n × dy) that are
// not among its k nearest in x (n × dx), and r(i, j) is j's rank among i's
// neighbours in x. Exact, O(n² log n): for evaluation on samples.
func Trustworthiness(x []float32, dx int, y []float32, dy, k int) (float64, error) {
	n, err := evalShape(x, dx, y, dy, k)
	if err != nil {
		return 0, err
	}
	var t float64
	rank := make([]int, n)
	for i := 0; i < n; i++ {
		ox := order(x, dx, i, n)
		for r, j := range ox {
			rank[j] = r + 1
		}
		oy := order(y, dy, i, n)
		for _, j := range oy[:k] {
			if r := rank[j]; r > k {
				t += float64(r - k)
			}
		}
	}
	nf, kf := float64(n), float64(k)
	return 1 - 2/(nf*kf*(2*nf-3*kf-1))*t, nil
}

// KNNPreservation is the mean share of each point's k nearest neighbours in
// x (n × dx) that are also among its k nearest in y (n × dy), Euclidean.
func KNNPreservation(x []float32, dx int, y []float32, dy, k int) (float64, error) {
	n, err := evalShape(x, dx, y, dy, k)
	if err != nil {
		return 0, err
	}
	var s float64
	in := make([]int, n)
	for i := 0; i < n; i++ {
		for _, j := range order(x, dx, i, n)[:k] {
			in[j] = i + 1
		}
		hit := 0
		for _, j := range order(y, dy, i, n)[:k] {
			if in[j] == i+1 {
				hit++
			}
		}
		s += float64(hit) / float64(k)
	}
	return s / float64(n), nil
}

func evalShape(x []float32, dx int, y []float32, dy, k int) (int, error) {
	if dx <= 0 || dy <= 0 || len(x)%dx != 0 || len(y)%dy != 0 || len(x)/dx != len(y)/dy {
		return 0, fmt.Errorf("%w: %d×%d and %d×%d values", ErrInvalid, len(x), dx, len(y), dy)
	}
	n := len(x) / dx
	if k < 1 || 2*n-3*k-1 <= 0 {
		return 0, fmt.Errorf("%w: k %d for %d points", ErrInvalid, k, n)
	}
	return n, nil
}

// order returns the other points sorted by distance to point i (ties by index).
func order(v []float32, d, i, n int) []int {
	dist := make([]float64, n)
	p := v[i*d : (i+1)*d]
	for j := 0; j < n; j++ {
		var s float64
		for c, a := range v[j*d : (j+1)*d] {
			x := float64(a) - float64(p[c])
			s += x * x
		}
		dist[j] = s
	}
	dist[i] = math.Inf(-1)
	idx := make([]int, n)
	for j := range idx {
		idx[j] = j
	}
	sort.Slice(idx, func(a, b int) bool {
		if dist[idx[a]] != dist[idx[b]] {
			return dist[idx[a]] < dist[idx[b]]
		}
		return idx[a] < idx[b]
	})
	return idx[1:]
}
