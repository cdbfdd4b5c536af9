package gnn

import (
	"math"
	"runtime"

	"genestore/internal/f32"
	"genestore/internal/par"
)

// gemm computes C = alpha·op(A)·op(B) + beta·C for row-major float32
// matrices, op(A) m×k and op(B) k×n, with beta 0 or 1 and alpha 1 unless
// beta is 0. It runs on internal/f32 (the AVX2/FMA kernel, gonum's Sgemm
// without AVX2, OpenBLAS under the netlib build tag) with GOMAXPROCS
// workers; the result does not depend on their number.
func gemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if beta != 0 && beta != 1 || alpha != 1 && beta != 0 {
		panic("gnn: gemm supports beta 0 or 1, and alpha ≠ 1 only with beta 0")
	}
	f32.Gemm(runtime.GOMAXPROCS(0), tA, tB, m, n, k, a, lda, b, ldb, beta == 1, c, ldc)
	if alpha != 1 {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] *= alpha
			}
		}
	}
}

// parFor splits [0, n) into contiguous ranges, one per worker. Results never
// depend on the number of workers: each index is handled by exactly one
// call and ranges do not share outputs.
func parFor(n int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), max(1, n/64)) // ≥ 64 rows each
	par.For(workers, n, func(_, lo, hi int) { fn(lo, hi) })
}

// adjacency is a square CSR matrix of float32 weights (the normalised graph
// operator of one dataset).
type adjacency struct {
	n      int
	indptr []int32
	idx    []int32
	val    []float32
}

// spmm computes out = A·X for A with a.n rows and X (one row per column of
// A, cols wide, row-major); out is a.n × cols. A need not be square.
func (a *adjacency) spmm(x []float32, cols int, out []float32) {
	parFor(a.n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			o := out[i*cols : (i+1)*cols]
			clear(o)
			for k := a.indptr[i]; k < a.indptr[i+1]; k++ {
				w := a.val[k]
				xr := x[int(a.idx[k])*cols : int(a.idx[k]+1)*cols]
				for c, v := range xr {
					o[c] += w * v
				}
			}
		}
	})
}

// sigmoid and softplus in float64 for stable loss accounting.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func dot(a, b []float32) float32 {
	var s float32
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// expNeg is a fast float32 e^x for x ≤ 0 (InfoNCE's shifted logits): x·log₂e
// is split into an integer n and f ∈ [−½, ½), 2^f comes from a degree-6
// Taylor polynomial and 2^n goes into the exponent bits. Relative error is
// below 5e-6, most of it the float32 rounding of x·log₂e. Below −87: 0.
func expNeg(x float32) float32 {
	if x < -87 {
		return 0
	}
	t := x * 1.4426950408889634
	r := t + 0.5
	n := int32(r)
	if float32(n) > r {
		n--
	}
	f := (t - float32(n)) * 0.6931471805599453
	p := 1 + f*(1+f*(0.5+f*(1.0/6+f*(1.0/24+f*(1.0/120+f*(1.0/720))))))
	return math.Float32frombits(uint32(n+127)<<23) * p
}
