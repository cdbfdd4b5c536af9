package fromgenes

import (
	"context"
	"errors"
	"fmt"
	"math"

	"genestore/internal/sparse"
)

// Weight says how a cell's expression weighs its genes' vectors.
type Weight string

const (
	// Expression is GenePT-w: the expression-weighted mean of the vectors
	// of the covered genes a cell expresses.
	Expression Weight = "expression"
	// Scaled weighs each gene by its expression standardised over the
	// cells of every embedded dataset pooled (Embed's Moments).
	Scaled Weight = "scaled"
	// ScaledPerDataset standardises each gene over the	// dataset's cells.
	ScaledPerDataset Weight = "scaled-per-dataset"
)

// Weights lists the weightings Embed knows, the default first.
func Weights() []Weight { return []Weight{Scaled, ScaledPerDataset, Expression} }

// Moments are per-column sums of values and of their squares over N cells:
// what standardisation needs, and what adds across datasets.
type Moments struct {
	N          float64
	Sum, SumSq []float64
}

// ColumnMoments returns X's column moments.
func ColumnMoments(X *sparse.CSR) Moments {
	m := Moments{N: float64(X.Rows), Sum: make([]float64, X.Cols), SumSq: make([]float64, X.Cols)}
	for t, j := range X.Indices {
		v := float64(X.Data[t])
		m.Sum[j] += v
		m.SumSq[j] += v * v
	}
	return m
}

// standardisation returns column j's mean and 1/sd (sample sd, n − 1, as
// sc.pp.scale); inv is 0 for a column that does not vary.
func (m Moments) standardisation(j int) (mean, inv float64) {
	if m.N < 2 {
		return 0, 0
	}
	mean = m.Sum[j] / m.N
	v := (m.SumSq[j] - m.N*mean*mean) / (m.N - 1)
	if !(v > 1e-12*max(1, mean*mean)) {
		return mean, 0
	}
	return mean, 1 / math.Sqrt(v)
}

// ErrInput reports input Embed cannot use.
var ErrInput = errors.New("fromgenes: invalid input")

// Result is one dataset's cell vectors.
type Result struct {
	Dim  int
	Vecs []float32 // X.Rows × Dim, row-major; rows of Empty cells are zero
	// Empty marks the cells that have no vector: under Expression, cells
	// expressing none of the covered genes; under either weighting, cells
	// whose vector is zero. They must not be indexed.
	Empty   []bool
	Covered int // genes with a vector (and, under Scaled, varying) used
}

// Embed returns the vectors of X's cells. X is cells × genes,
// log-normalised (non-negative, finite); E[j] is column j's gene vector
// (len dim) or nil when the gene has none. Under Scaled, pooled holds the
// moments of X's columns over the cells of every dataset embedded together
// (ColumnMoments of each, added per gene by the caller; nil: X's own, as
// ScaledPerDataset); the other weights ignore it. It fails when no column
// is covered.
func Embed(ctx context.Context, X *sparse.CSR, E [][]float32, dim int, w Weight, pooled *Moments) (*Result, error) {
	if X == nil {
		return nil, fmt.Errorf("%w: nil matrix", ErrInput)
	}
	if err := X.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	if len(E) != X.Cols {
		return nil, fmt.Errorf("%w: %d gene vectors for %d columns", ErrInput, len(E), X.Cols)
	}
	if dim <= 0 {
		return nil, fmt.Errorf("%w: dimension %d", ErrInput, dim)
	}
	for j, e := range E {
		if e != nil && len(e) != dim {
			return nil, fmt.Errorf("%w: gene vector of column %d has length %d, want %d", ErrInput, j, len(e), dim)
		}
	}
	for _, v := range X.Data {
		if v < 0 {
			return nil, fmt.Errorf("%w: negative expression %v (want log-normalised values)", ErrInput, v)
		}
	}
	switch w {
	case Expression:
		return embedExpression(ctx, X, E, dim)
	case Scaled, ScaledPerDataset:
		m := ColumnMoments(X)
		if w == Scaled && pooled != nil {
			if len(pooled.Sum) != X.Cols || len(pooled.SumSq) != X.Cols {
				return nil, fmt.Errorf("%w: pooled moments of %d columns for %d", ErrInput, len(pooled.Sum), X.Cols)
			}
			m = *pooled
		}
		return embedScaled(ctx, X, E, dim, m)
	}
	return nil, fmt.Errorf("%w: weight %q (want one of %v)", ErrInput, w, Weights())
}

func embedExpression(ctx context.Context, X *sparse.CSR, E [][]float32, dim int) (*Result, error) {
	res := &Result{Dim: dim, Vecs: make([]float32, X.Rows*dim), Empty: make([]bool, X.Rows)}
	for _, e := range E {
		if e != nil {
			res.Covered++
		}
	}
	if res.Covered == 0 {
		return nil, fmt.Errorf("%w: none of the %d genes has a vector", ErrInput, X.Cols)
	}
	acc := make([]float64, dim)
	for i := range X.Rows {
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		clear(acc)
		sum := 0.0
		idx, val := X.Row(i)
		for t, j := range idx {
			e, x := E[j], float64(val[t])
			if e == nil || x == 0 {
				continue
			}
			sum += x
			for d, v := range e {
				acc[d] += x * float64(v)
			}
		}
		if sum == 0 {
			res.Empty[i] = true
			continue
		}
		out := res.Vecs[i*dim : (i+1)*dim]
		zero := true
		for d := range out {
			out[d] = float32(acc[d] / sum)
			zero = zero && out[d] == 0
		}
		res.Empty[i] = zero // no direction: zero vectors or cancelling ones
	}
	return res, nil
}

func embedScaled(ctx context.Context, X *sparse.CSR, E [][]float32, dim int, m Moments) (*Result, error) {
	// scale[j] = 1/sd (0: gene not used); b = Σ mean/sd · e.
	scale := make([]float64, X.Cols)
	b := make([]float64, dim)
	res := &Result{Dim: dim, Vecs: make([]float32, X.Rows*dim), Empty: make([]bool, X.Rows)}
	for j, e := range E {
		if e == nil {
			continue
		}
		mean, s := m.standardisation(j)
		if s == 0 {
			continue // constant over the cells: carries nothing
		}
		scale[j] = s
		res.Covered++
		for d, ev := range e {
			b[d] += mean * s * float64(ev)
		}
	}
	if res.Covered == 0 {
		return nil, fmt.Errorf("%w: none of the %d genes has a vector and varies across the %v cells", ErrInput, X.Cols, m.N)
	}
	g := float64(res.Covered)
	acc := make([]float64, dim)
	for i := range X.Rows {
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		copy(acc, b)
		for d := range acc {
			acc[d] = -acc[d]
		}
		idx, val := X.Row(i)
		for t, j := range idx {
			s := scale[j]
			if s == 0 {
				continue
			}
			x := float64(val[t]) * s
			for d, v := range E[j] {
				acc[d] += x * float64(v)
			}
		}
		out := res.Vecs[i*dim : (i+1)*dim]
		zero := true
		for d := range out {
			out[d] = float32(acc[d] / g)
			zero = zero && out[d] == 0
		}
		res.Empty[i] = zero
	}
	return res, nil
}

// Centre returns unit-length copies of vecs (n × dim, row-major) minus
// their mean: the gene vectors Embed expects. Zero rows stay zero and do
// not count in the mean.
func Centre(vecs []float32, dim int) []float32 {
	out := make([]float32, len(vecs))
	mean := make([]float64, dim)
	n := 0
	for i := 0; i+dim <= len(vecs); i += dim {
		row := vecs[i : i+dim]
		s := 0.0
		for _, v := range row {
			s += float64(v) * float64(v)
		}
		if s == 0 {
			continue
		}
		inv := 1 / math.Sqrt(s)
		for d, v := range row {
			out[i+d] = float32(float64(v) * inv)
			mean[d] += float64(v) * inv
		}
		n++
	}
	if n == 0 {
		return out
	}
	for d := range mean {
		mean[d] /= float64(n)
	}
	for i := 0; i+dim <= len(out); i += dim {
		if allZero(vecs[i : i+dim]) { // zero rows stay zero
			continue
		}
		for d := range dim {
			out[i+d] -= float32(mean[d])
		}
	}
	return out
}

func allZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}
