package prep

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"

	"genestore/internal/par"
	"genestore/internal/sparse"
)

// Spatial data: a spot's expression is noisy (few counts, several cells per
// spot), and its neighbours in the tissue usually share its cell types, so
// co-expression on spatial data is computed on smoothed expression, and
// spatially patterned genes are found with Moran's I. Both use the same
// neighbour graph: each spot's k nearest spots by Euclidean distance on the
// stored x/y (ties broken by row order).

// SpatialKNN returns each spot's k nearest other spots, nearest first. It
// is exact (all pairs), parallel over spots: 10,000 spots take about a
// second.
func SpatialKNN(ctx context.Context, coords [][2]float64, k int) ([][]int32, error) {
	n := len(coords)
	if k < 1 {
		return nil, fmt.Errorf("%w: spatial k %d < 1", ErrInput, k)
	}
	k = min(k, n-1)
	out := make([][]int32, n)
	type cand struct {
		d float64
		j int32
	}
	err := forEach(ctx, n, func(i int) error {
		c := make([]cand, 0, n-1)
		for j := range coords {
			if j != i {
				dx, dy := coords[i][0]-coords[j][0], coords[i][1]-coords[j][1]
				c = append(c, cand{dx*dx + dy*dy, int32(j)})
			}
		}
		slices.SortFunc(c, func(a, b cand) int {
			if r := cmp.Compare(a.d, b.d); r != 0 {
				return r
			}
			return cmp.Compare(a.j, b.j)
		})
		nb := make([]int32, k)
		for t := range nb {
			nb[t] = c[t].j
		}
		out[i] = nb
		return nil
	})
	return out, err
}

// SmoothSpatial returns x with each row replaced by self·x_i + (1−self)·
// mean of its neighbours' rows (nbrs from SpatialKNN). self = 1 returns a
// copy; 0.5, the default of the gene model, gives the spot and its
// neighbourhood equal weight.
func SmoothSpatial(x *sparse.CSR, nbrs [][]int32, self float32) (*sparse.CSR, error) {
	if len(nbrs) != x.Rows {
		return nil, fmt.Errorf("%w: %d neighbour lists for %d spots", ErrInput, len(nbrs), x.Rows)
	}
	if !(self >= 0 && self <= 1) {
		return nil, fmt.Errorf("%w: smoothing self weight %v outside [0, 1]", ErrInput, self)
	}
	out := &sparse.CSR{Rows: x.Rows, Cols: x.Cols, Indptr: make([]int64, 1, x.Rows+1)}
	acc := make([]float32, x.Cols)
	touched := make([]int32, 0, 256)
	add := func(r int, w float32) {
		idx, val := x.Row(r)
		for t, c := range idx {
			if acc[c] == 0 {
				touched = append(touched, c)
			}
			acc[c] += w * val[t]
			if acc[c] == 0 { // cancelled exactly: keep it listed once
				acc[c] = float32(math.SmallestNonzeroFloat32)
			}
		}
	}
	for i := range x.Rows {
		touched = touched[:0]
		add(i, self)
		if len(nbrs[i]) > 0 && self < 1 {
			w := (1 - self) / float32(len(nbrs[i]))
			for _, j := range nbrs[i] {
				add(int(j), w)
			}
		}
		slices.Sort(touched)
		for _, c := range touched {
			if v := acc[c]; v > float32(math.SmallestNonzeroFloat32) || v < 0 {
				out.Indices = append(out.Indices, c)
				out.Data = append(out.Data, v)
			}
			acc[c] = 0
		}
		out.Indptr = append(out.Indptr, int64(len(out.Data)))
	}
	return out, nil
}

// Moran is one gene's spatial autocorrelation.
type Moran struct {
	I float64 // Moran's I with row-standardised kNN weights
	// Z and PNorm are the z-score and one-sided p-value (I above its
	// expectation −1/(n−1)) under the normality assumption (Cliff & Ord).
	Z, PNorm float64
}

// MoransI computes Moran's I of every column of x (spots × genes, e.g.
// log-normalised expression) over the kNN graph nbrs with row-standardised
// weights w_ij = 1/k_i. A constant column gets I = 0, p = 1.
func MoransI(ctx context.Context, x *sparse.CSR, nbrs [][]int32) ([]Moran, error) {
	if len(nbrs) != x.Rows {
		return nil, fmt.Errorf("%w: %d neighbour lists for %d spots", ErrInput, len(nbrs), x.Rows)
	}
	n := x.Rows
	if n < 3 {
		return nil, fmt.Errorf("%w: Moran's I needs at least 3 spots, have %d", ErrInput, n)
	}
	xt := x.Transpose()
	s0, s1, s2 := weightSums(nbrs)
	out := make([]Moran, x.Cols)
	err := forEach(ctx, x.Cols, func(g int) error {
		col := make([]float64, n)
		idx, val := xt.Row(g)
		for t, r := range idx {
			col[r] = float64(val[t])
		}
		out[g] = moranOf(col, nbrs, s0, s1, s2)
		return nil
	})
	return out, err
}

// forEach runs fn(0..n-1) over GOMAXPROCS parts, stopping at the first
// error or when ctx is done.
func forEach(ctx context.Context, n int, fn func(i int) error) error {
	errs := make([]error, runtime.GOMAXPROCS(0))
	par.For(len(errs), n, func(part, lo, hi int) {
		for i := lo; i < hi; i++ {
			if i%64 == 0 {
				if err := ctx.Err(); err != nil {
					errs[part] = err
					return
				}
			}
			if err := fn(i); err != nil {
				errs[part] = err
				return
			}
		}
	})
	return errors.Join(errs...)
}

// weightSums are S0, S1 and S2 of the row-standardised weight matrix.
func weightSums(nbrs [][]int32) (s0, s1, s2 float64) {
	n := len(nbrs)
	w := make([]map[int32]float64, n)
	for i, nb := range nbrs {
		w[i] = make(map[int32]float64, len(nb))
		for _, j := range nb {
			w[i][j] += 1 / float64(len(nb))
		}
	}
	colSum := make([]float64, n)
	for i := range n {
		for j, v := range w[i] {
			s0 += v
			colSum[j] += v
			back, both := w[j][int32(i)]
			sym := v + back
			switch {
			case int(j) == i:
			case both:
				s1 += sym * sym / 2 // the pair is visited from both ends
			default:
				s1 += sym * sym // a one-way kNN pair is visited once
			}
		}
	}
	for i := range n {
		rs := 0.0
		for _, v := range w[i] {
			rs += v
		}
		s2 += (rs + colSum[i]) * (rs + colSum[i])
	}
	return s0, s1, s2
}

// moranOf is Moran's I of one variable with its normal-approximation test.
func moranOf(col []float64, nbrs [][]int32, s0, s1, s2 float64) Moran {
	n := float64(len(col))
	mean := 0.0
	for _, v := range col {
		mean += v
	}
	mean /= n
	var m2, m4 float64
	z := make([]float64, len(col))
	for i, v := range col {
		z[i] = v - mean
		d := z[i] * z[i]
		m2 += d
		m4 += d * d
	}
	if m2 <= 1e-12*n {
		return Moran{PNorm: 1}
	}
	num := 0.0
	for i, nb := range nbrs {
		if len(nb) == 0 {
			continue
		}
		s := 0.0
		for _, j := range nb {
			s += z[j]
		}
		num += z[i] * s / float64(len(nb))
	}
	I := n / s0 * num / m2
	e := -1 / (n - 1)
	// Variance under normality (Cliff & Ord 1981).
	v := (n*n*s1-n*s2+3*s0*s0)/((n*n-1)*s0*s0) - e*e
	if v <= 0 {
		return Moran{I: I, PNorm: 1}
	}
	zs := (I - e) / math.Sqrt(v)
	return Moran{I: I, Z: zs, PNorm: 0.5 * math.Erfc(zs/math.Sqrt2)}
}

// MoranPermutation returns the permutation p-value of a gene's Moran's I:
// (1 + #{I of a random relabelling of the spots ≥ I}) / (perms + 1).
func MoranPermutation(col []float64, nbrs [][]int32, perms int, rng *rand.Rand) float64 {
	s0, s1, s2 := weightSums(nbrs)
	obs := moranOf(col, nbrs, s0, s1, s2).I
	p := append([]float64(nil), col...)
	ge := 0
	for range perms {
		rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
		if moranOf(p, nbrs, s0, s1, s2).I >= obs {
			ge++
		}
	}
	return float64(1+ge) / float64(perms+1)
}
