package prep

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"sort"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"genestore/internal/sparse"
)

// Correction is the multiple-testing correction applied over all gene pairs.
type Correction int

const (
	// BH is Benjamini–Hochberg false discovery rate control (the default).
	BH Correction = iota
	// Bonferroni controls the family-wise error rate.
	Bonferroni
	// NoCorrection tests every pair at level Alpha on its own.
	NoCorrection
)

// String returns "bh", "bonferroni" or "none".
func (c Correction) String() string {
	switch c {
	case BH:
		return "bh"
	case Bonferroni:
		return "bonferroni"
	case NoCorrection:
		return "none"
	}
	return fmt.Sprintf("Correction(%d)", int(c))
}

// Edge is one co-expression edge between columns A < B of the matrix given to
// [Coexpression]. Weight is the signed Pearson correlation.
type Edge struct {
	A, B   int32
	Weight float32
}

// CoexprOptions control [Coexpression] and [PearsonRows].
type CoexprOptions struct {
	// TopK keeps a significant pair only when it is among the TopK partners
	// of either gene by |r|. Default 10.
	TopK int
	// MinAbsR is the smallest |r| kept. Default 0.
	MinAbsR float64
	// Alpha is the significance level of the Fisher z test, after
	// Correction. Default 0.01. Must lie in (0, 1].
	Alpha float64
	// Correction is the multiple-testing correction over all G(G-1)/2 pairs.
	Correction Correction
	// MaxCells caps the cells used; above it a uniform subsample drawn with
	// Seed is used. Default 20,000.
	MaxCells int
	// Seed draws the cell subsample.
	Seed uint64
}

// DefaultCoexprOptions returns TopK 10, MinAbsR 0, Alpha 0.01 with BH,
// MaxCells 20,000, Seed 0.
func DefaultCoexprOptions() CoexprOptions {
	return CoexprOptions{TopK: 10, Alpha: 0.01, Correction: BH, MaxCells: 20000}
}

// Validate reports every invalid field.
func (o CoexprOptions) Validate() error {
	var errs []error
	if o.TopK < 1 {
		errs = append(errs, fmt.Errorf("%w: TopK %d < 1", ErrOptions, o.TopK))
	}
	if o.MinAbsR < 0 || o.MinAbsR > 1 || math.IsNaN(o.MinAbsR) {
		errs = append(errs, fmt.Errorf("%w: MinAbsR %v outside [0, 1]", ErrOptions, o.MinAbsR))
	}
	if !(o.Alpha > 0 && o.Alpha <= 1) {
		errs = append(errs, fmt.Errorf("%w: Alpha %v outside (0, 1]", ErrOptions, o.Alpha))
	}
	if o.Correction < BH || o.Correction > NoCorrection {
		errs = append(errs, fmt.Errorf("%w: unknown correction %d", ErrOptions, int(o.Correction)))
	}
	if o.MaxCells < 4 {
		errs = append(errs, fmt.Errorf("%w: MaxCells %d < 4", ErrOptions, o.MaxCells))
	}
	return errors.Join(errs...)
}

// standardized returns the genes × cells matrix (row-major float32) whose row
// g is column g of X centred and scaled to unit Euclidean norm, so that the
// dot product of two rows is their Pearson r. Constant columns become zero.
// It also returns the number of cells used.
func standardized(X *sparse.CSR, maxCells int, seed uint64) ([]float32, int) {
	rows := X.Rows
	var pick []int
	if rows > maxCells {
		pick = rand.New(rand.NewSource(int64(seed))).Perm(rows)[:maxCells]
		sort.Ints(pick)
		rows = maxCells
	}
	G := X.Cols
	zt := make([]float32, G*rows)
	for i := 0; i < rows; i++ {
		r := i
		if pick != nil {
			r = pick[i]
		}
		idx, val := X.Row(r)
		for k, c := range idx {
			zt[int(c)*rows+i] = val[k]
		}
	}
	for g := 0; g < G; g++ {
		row := zt[g*rows : (g+1)*rows]
		s := 0.0
		for _, v := range row {
			s += float64(v)
		}
		m := s / float64(rows)
		ss := 0.0
		for _, v := range row {
			d := float64(v) - m
			ss += d * d
		}
		if ss <= 1e-24 {
			clear(row)
			continue
		}
		inv := 1 / math.Sqrt(ss)
		for i, v := range row {
			row[i] = float32((float64(v) - m) * inv)
		}
	}
	return zt, rows
}

const blockGenes = 256

// PearsonRows returns the genes × genes Pearson correlation matrix of the
// columns of Xnorm, row-major (row g is gene g's correlation with every gene,
// 1 on the diagonal unless g is constant). Only MaxCells and Seed of opts are
// used. Memory is G² float32: meant for a few thousand selected genes.
func PearsonRows(ctx context.Context, Xnorm *sparse.CSR, opts CoexprOptions) ([]float32, error) {
	if Xnorm == nil || Xnorm.Rows < 4 {
		return nil, fmt.Errorf("%w: need a matrix with at least 4 cells", ErrInput)
	}
	if opts.MaxCells < 4 {
		return nil, fmt.Errorf("%w: MaxCells %d < 4", ErrOptions, opts.MaxCells)
	}
	zt, n := standardized(Xnorm, opts.MaxCells, opts.Seed)
	G := Xnorm.Cols
	out := make([]float32, G*G)
	impl := blas32.Implementation()
	for b0 := 0; b0 < G; b0 += blockGenes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b1 := min(b0+blockGenes, G)
		impl.Sgemm(blas.NoTrans, blas.Trans, b1-b0, G, n, 1, zt[b0*n:], n, zt, n, 0, out[b0*G:], G)
	}
	return out, nil
}

type partner struct {
	j    int32
	absR float32
}

// minHeap keeps the TopK largest |r| of one gene; ties prefer the lower j.
type minHeap []partner

func (h minHeap) Len() int { return len(h) }
func (h minHeap) Less(a, b int) bool {
	if h[a].absR != h[b].absR {
		return h[a].absR < h[b].absR
	}
	return h[a].j > h[b].j
}
func (h minHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *minHeap) Push(x any)   { *h = append(*h, x.(partner)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (h *minHeap) offer(p partner, k int) {
	if len(*h) < k {
		heap.Push(h, p)
		return
	}
	top := (*h)[0]
	if p.absR > top.absR || (p.absR == top.absR && p.j < top.j) {
		(*h)[0] = p
		heap.Fix(h, 0)
	}
}

const histBins = 1 << 16

// Coexpression returns the co-expression edges between the columns of the
// normalised matrix Xnorm (cells × genes), sorted by (A, B), each pair once.
// See the package documentation for the rule.
func Coexpression(ctx context.Context, Xnorm *sparse.CSR, opts CoexprOptions) ([]Edge, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if Xnorm == nil || Xnorm.Rows < 4 {
		return nil, fmt.Errorf("%w: need a matrix with at least 4 cells", ErrInput)
	}
	for i, v := range Xnorm.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("%w: value %d (gene %d) is %v", ErrInput, i, Xnorm.Indices[i], v)
		}
	}
	G := Xnorm.Cols
	if G < 2 {
		return nil, nil
	}
	zt, n := standardized(Xnorm, opts.MaxCells, opts.Seed)
	k := min(opts.TopK, G-1)
	heaps := make([]minHeap, G)
	var hist [histBins]int64
	impl := blas32.Implementation()
	buf := make([]float32, blockGenes*G)
	for b0 := 0; b0 < G; b0 += blockGenes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b1 := min(b0+blockGenes, G)
		w := G - b0 // columns b0..G-1 only: the other half is symmetric
		impl.Sgemm(blas.NoTrans, blas.Trans, b1-b0, w, n, 1, zt[b0*n:], n, zt[b0*n:], n, 0, buf, w)
		for i := b0; i < b1; i++ {
			row := buf[(i-b0)*w : (i-b0+1)*w]
			for j := i + 1; j < G; j++ {
				a := row[j-b0]
				if a < 0 {
					a = -a
				}
				if a > 1 {
					a = 1
				}
				hist[min(int(a*histBins), histBins-1)]++
				heaps[i].offer(partner{int32(j), a}, k)
				heaps[j].offer(partner{int32(i), a}, k)
			}
		}
	}
	rCrit := criticalR(hist[:], n, float64(G)*float64(G-1)/2, opts.Alpha, opts.Correction)
	thr := math.Max(rCrit, opts.MinAbsR)
	var edges []Edge
	for i := range heaps {
		for _, p := range heaps[i] {
			if float64(p.absR) < thr {
				continue
			}
			a, b := int32(i), p.j
			if a > b {
				a, b = b, a
			}
			edges = append(edges, Edge{A: a, B: b})
		}
	}
	sort.Slice(edges, func(x, y int) bool {
		if edges[x].A != edges[y].A {
			return edges[x].A < edges[y].A
		}
		return edges[x].B < edges[y].B
	})
	out := edges[:0]
	for i, e := range edges {
		if i > 0 && e.A == edges[i-1].A && e.B == edges[i-1].B {
			continue
		}
		// The weight is recomputed with a float64 sum so that it does not
		// depend on which gene's row the pair came from.
		ra, rb := zt[int(e.A)*n:int(e.A+1)*n], zt[int(e.B)*n:int(e.B+1)*n]
		s := 0.0
		for c := range ra {
			s += float64(ra[c]) * float64(rb[c])
		}
		e.Weight = float32(math.Max(-1, math.Min(1, s)))
		out = append(out, e)
	}
	return out, nil
}

// pValue is the two-sided p-value of a Pearson r over n samples by the Fisher
// z transform.
func pValue(r float64, n int) float64 {
	if r >= 1 {
		return 0
	}
	z := math.Atanh(r) * math.Sqrt(float64(n-3))
	return math.Erfc(z / math.Sqrt2)
}

// criticalR returns the smallest |r| declared significant.
func criticalR(hist []int64, n int, m, alpha float64, corr Correction) float64 {
	if n <= 3 {
		return math.Inf(1)
	}
	switch corr {
	case Bonferroni, NoCorrection:
		p := alpha
		if corr == Bonferroni {
			p = alpha / m
		}
		if p >= 1 {
			return 0
		}
		z := math.Sqrt2 * math.Erfcinv(p)
		return math.Tanh(z / math.Sqrt(float64(n-3)))
	}
	// BH: the smallest bin edge t with p(t) ≤ (#pairs with |r| ≥ t) / m · α.
	var ge int64
	geAt := make([]int64, len(hist))
	for b := len(hist) - 1; b >= 0; b-- {
		ge += hist[b]
		geAt[b] = ge
	}
	for b := range hist {
		t := float64(b) / float64(len(hist))
		if geAt[b] > 0 && pValue(t, n) <= float64(geAt[b])/m*alpha {
			return t
		}
	}
	return math.Inf(1)
}
