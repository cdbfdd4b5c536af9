package prep

import (
	"fmt"
	"math"
	"sort"

	"genestore/internal/sparse"
	"genestore/vocab"
)

// Normalize returns a new matrix ready for correlation and for the models:
//
//   - Counts: each cell is scaled so that its values sum to targetSum, then
//     log1p. targetSum ≤ 0 means the median of the cells' totals (scanpy's
//     default); cells whose total is zero stay zero.
//   - Normalized (CPM, TPM, FPKM): log1p only.
//   - Log: an unchanged copy.
//
// Negative values in Counts or Normalized input are an error.
func Normalize(X *sparse.CSR, values vocab.ValueType, targetSum float64) (*sparse.CSR, error) {
	if X == nil {
		return nil, fmt.Errorf("%w: nil matrix", ErrInput)
	}
	out := &sparse.CSR{Rows: X.Rows, Cols: X.Cols,
		Indptr:  append([]int64(nil), X.Indptr...),
		Indices: append([]int32(nil), X.Indices...),
		Data:    make([]float32, len(X.Data))}
	switch values {
	case vocab.Log:
		copy(out.Data, X.Data)
		return out, nil
	case vocab.Counts, vocab.Normalized:
	default:
		return nil, fmt.Errorf("%w: %q", ErrValueType, values)
	}
	for _, v := range X.Data {
		if v < 0 {
			return nil, fmt.Errorf("%w: negative value %v in %s input", ErrInput, v, values)
		}
	}
	if values == vocab.Normalized {
		for i, v := range X.Data {
			out.Data[i] = float32(math.Log1p(float64(v)))
		}
		return out, nil
	}
	totals := make([]float64, X.Rows)
	for r := 0; r < X.Rows; r++ {
		_, val := X.Row(r)
		s := 0.0
		for _, v := range val {
			s += float64(v)
		}
		totals[r] = s
	}
	if targetSum <= 0 {
		targetSum = median(totals)
	}
	for r := 0; r < X.Rows; r++ {
		lo, hi := X.Indptr[r], X.Indptr[r+1]
		if totals[r] == 0 {
			continue
		}
		f := targetSum / totals[r]
		for k := lo; k < hi; k++ {
			out.Data[k] = float32(math.Log1p(float64(X.Data[k]) * f))
		}
	}
	return out, nil
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
