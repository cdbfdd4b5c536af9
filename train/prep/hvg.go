package prep

import (
	"fmt"
	"math"
	"sort"

	"genestore/internal/sparse"
	"genestore/vocab"
)

// HVG returns the n most highly variable columns of X, in increasing column
// order. X is the matrix as ingested (raw counts for Counts, not
// normalised by this package): Counts use the seurat_v3 flavour, Normalized
// and Log use the seurat dispersion flavour (Log values are expm1-ed first).
// Ties are broken by the lower column index. n ≥ X.Cols returns every column.
func HVG(X *sparse.CSR, values vocab.ValueType, n int) ([]int, error) {
	if n <= 0 {
		return nil, fmt.Errorf("%w: n = %d", ErrInput, n)
	}
	scores, err := HVGScores(X, values)
	if err != nil {
		return nil, err
	}
	order := HVGOrder(scores)
	if n > len(order) {
		n = len(order)
	}
	out := append([]int(nil), order[:n]...)
	sort.Ints(out)
	return out, nil
}

// HVGOrder returns the indices of scores (HVGScores) from the most
// variable to the least: larger scores first, NaN (undefined dispersion)
// last, ties by the lower index.
func HVGOrder(scores []float64) []int {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		sa, sb := scores[order[a]], scores[order[b]]
		if na, nb := math.IsNaN(sa), math.IsNaN(sb); na || nb {
			return !na && nb // NaN last; two NaNs keep their order
		}
		return sa > sb
	})
	return order
}

// HVGScores returns one variability score per column, larger meaning more
// variable: the seurat_v3 standardised variance for Counts, the seurat
// normalised dispersion for Normalized and Log (NaN for genes whose
// dispersion is zero or undefined, as in scanpy).
func HVGScores(X *sparse.CSR, values vocab.ValueType) ([]float64, error) {
	if X == nil {
		return nil, fmt.Errorf("%w: nil matrix", ErrInput)
	}
	if X.Rows < 2 {
		return nil, fmt.Errorf("%w: %d cells, need at least 2", ErrInput, X.Rows)
	}
	switch values {
	case vocab.Counts:
		return seuratV3(X)
	case vocab.Normalized, vocab.Log:
		return seuratDispersion(X, values == vocab.Log)
	default:
		return nil, fmt.Errorf("%w: %q", ErrValueType, values)
	}
}

// colMeanVar returns per-column mean and variance (ddof 1) of f(x) over all
// rows, where implicit zeros map to f(0) = 0.
func colMeanVar(X *sparse.CSR, f func(float64) float64) (mean, variance []float64) {
	n := float64(X.Rows)
	sum := make([]float64, X.Cols)
	sq := make([]float64, X.Cols)
	for k, c := range X.Indices {
		v := f(float64(X.Data[k]))
		sum[c] += v
		sq[c] += v * v
	}
	mean = make([]float64, X.Cols)
	variance = make([]float64, X.Cols)
	for c := range sum {
		m := sum[c] / n
		mean[c] = m
		v := (sq[c] - n*m*m) / (n - 1)
		if v < 0 {
			v = 0
		}
		variance[c] = v
	}
	return mean, variance
}

func seuratV3(X *sparse.CSR) ([]float64, error) {
	for _, v := range X.Data {
		if !(v >= 0) || math.IsInf(float64(v), 1) {
			return nil, fmt.Errorf("%w: count %v: want finite and ≥ 0", ErrInput, v)
		}
	}
	ident := func(v float64) float64 { return v }
	mean, variance := colMeanVar(X, ident)
	var xs, ys []float64
	var idx []int
	for c := range mean {
		if variance[c] > 0 {
			xs = append(xs, math.Log10(mean[c]))
			ys = append(ys, math.Log10(variance[c]))
			idx = append(idx, c)
		}
	}
	regStd := make([]float64, X.Cols)
	for c := range regStd {
		regStd[c] = 1 // scanpy: estimated log variance 0 for constant genes
	}
	if len(xs) > 0 {
		fit := loessFit(xs, ys, 0.3, 512)
		for i, c := range idx {
			regStd[c] = math.Sqrt(math.Pow(10, fit[i]))
		}
	}
	n := float64(X.Rows)
	vmax := math.Sqrt(n)
	sum := make([]float64, X.Cols)
	sq := make([]float64, X.Cols)
	for k, c := range X.Indices {
		v := float64(X.Data[k])
		if clip := regStd[c]*vmax + mean[c]; v > clip {
			v = clip
		}
		sum[c] += v
		sq[c] += v * v
	}
	out := make([]float64, X.Cols)
	for c := range out {
		m := mean[c]
		out[c] = (n*m*m + sq[c] - 2*sum[c]*m) / ((n - 1) * regStd[c] * regStd[c])
	}
	return out, nil
}

func seuratDispersion(X *sparse.CSR, isLog bool) ([]float64, error) {
	f := func(v float64) float64 { return v }
	if isLog {
		f = math.Expm1
	}
	mean, variance := colMeanVar(X, f)
	const nBins = 20
	disp := make([]float64, len(mean))
	lmean := make([]float64, len(mean))
	for c := range mean {
		m := mean[c]
		if m == 0 {
			m = 1e-12
		}
		d := variance[c] / m
		if d == 0 {
			disp[c] = math.NaN()
		} else {
			disp[c] = math.Log(d)
		}
		lmean[c] = math.Log1p(m)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, m := range lmean {
		lo = math.Min(lo, m)
		hi = math.Max(hi, m)
	}
	bin := make([]int, len(lmean))
	w := (hi - lo) / nBins
	for c, m := range lmean {
		b := 0
		if w > 0 {
			// pandas.cut: right-closed equal-width bins
			b = int(math.Ceil((m-lo)/w)) - 1
		}
		bin[c] = min(max(b, 0), nBins-1)
	}
	var cnt [nBins]int
	var s, s2 [nBins]float64
	for c, d := range disp {
		if math.IsNaN(d) {
			continue
		}
		cnt[bin[c]]++
		s[bin[c]] += d
	}
	var bmean, bstd [nBins]float64
	for b := range cnt {
		if cnt[b] > 0 {
			bmean[b] = s[b] / float64(cnt[b])
		}
	}
	for c, d := range disp {
		if !math.IsNaN(d) {
			e := d - bmean[bin[c]]
			s2[bin[c]] += e * e
		}
	}
	for b := range cnt {
		if cnt[b] > 1 {
			bstd[b] = math.Sqrt(s2[b] / float64(cnt[b]-1))
		} else {
			// scanpy: a bin with one gene gets std = its mean and mean 0
			bstd[b] = bmean[b]
			bmean[b] = 0
		}
	}
	out := make([]float64, len(disp))
	for c, d := range disp {
		out[c] = (d - bmean[bin[c]]) / bstd[bin[c]]
	}
	return out, nil
}
