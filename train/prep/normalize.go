package prep

import (
	"fmt"
	"math"

	"genestore/internal/sparse"
	"genestore/internal/stats"
	"genestore/vocab"
)

// Normalize returns a new matrix ready for correlation and for the models:
//
//   - Counts: each cell is scaled so that its values sum to targetSum, then
//     log1p. targetSum ≤ 0 means the median of the non-zero cell totals
//     (scanpy's default); cells whose total is zero stay zero.
//   - Normalized (CPM, TPM, FPKM): log1p only.
//   - Log: an unchanged copy.
//
// Negative, NaN or infinite values in Counts or Normalized input are an
// error.
func Normalize(X *sparse.CSR, values vocab.ValueType, targetSum float64) (*sparse.CSR, error) {
	if X == nil {
		return nil, fmt.Errorf("%w: nil matrix", ErrInput)
	}
	if math.IsNaN(targetSum) || math.IsInf(targetSum, 0) {
		return nil, fmt.Errorf("%w: target sum %v", ErrInput, targetSum)
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
		if !(v >= 0) || math.IsInf(float64(v), 1) {
			return nil, fmt.Errorf("%w: value %v in %s input: want finite and ≥ 0", ErrInput, v, values)
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
		// Over the cells with counts, as scanpy's normalize_total: empty
		// cells would pull the target down, to 0 once they are half.
		var nonzero []float64
		for _, t := range totals {
			if t > 0 {
				nonzero = append(nonzero, t)
			}
		}
		targetSum = median(nonzero)
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

// median is stats.Median, 0 for no values.
func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	return stats.Median(x)
}

// TFIDF is Signac's default normalisation of scATAC-seq features (RunTFIDF,
// method 1), applied here to gene-activity counts: each value becomes
// log1p(x / cell total × cells / feature total × scale), scale 10,000 when
// scale ≤ 0. Term frequency removes depth; inverse document frequency
// down-weights features accessible in most cells (housekeeping promoters),
// which otherwise dominate correlations. Features with no counts stay 0.
func TFIDF(X *sparse.CSR, scale float64) (*sparse.CSR, error) {
	if X == nil {
		return nil, fmt.Errorf("%w: nil matrix", ErrInput)
	}
	if scale <= 0 {
		scale = 1e4
	}
	rows := make([]float64, X.Rows)
	cols := make([]float64, X.Cols)
	for r := range X.Rows {
		for k := X.Indptr[r]; k < X.Indptr[r+1]; k++ {
			v := float64(X.Data[k])
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: value %v in counts", ErrInput, v)
			}
			rows[r] += v
			cols[X.Indices[k]] += v
		}
	}
	out := &sparse.CSR{Rows: X.Rows, Cols: X.Cols,
		Indptr:  append([]int64(nil), X.Indptr...),
		Indices: append([]int32(nil), X.Indices...),
		Data:    make([]float32, len(X.Data))}
	n := float64(X.Rows)
	for r := range X.Rows {
		if rows[r] == 0 {
			continue
		}
		for k := X.Indptr[r]; k < X.Indptr[r+1]; k++ {
			// A stored zero (mtx and sparse HDF5 keep them) of a feature
			// with no counts would be 0/0.
			if c := X.Indices[k]; cols[c] > 0 {
				out.Data[k] = float32(math.Log1p(float64(X.Data[k]) / rows[r] * n / cols[c] * scale))
			}
		}
	}
	return out, nil
}

// Binarize returns X with every positive value set to 1 (accessible or not),
// the other common treatment of scATAC counts.
func Binarize(X *sparse.CSR) *sparse.CSR {
	out := &sparse.CSR{Rows: X.Rows, Cols: X.Cols,
		Indptr:  append([]int64(nil), X.Indptr...),
		Indices: append([]int32(nil), X.Indices...),
		Data:    make([]float32, len(X.Data))}
	for k, v := range X.Data {
		if v > 0 {
			out.Data[k] = 1
		}
	}
	return out
}
