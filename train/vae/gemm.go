package vae

import "genestore/internal/f32"

// gemm computes c = op(a)·op(b) (+ c when acc) for row-major matrices, with
// op(a) m × k and op(b) k × n: on internal/f32's assembly kernel while
// haveAVX2FMA holds (tests clear it to run the reference BLAS path), else on
// the build's BLAS.
func gemm(threads int, tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, acc bool, c []float32, ldc int) {
	if haveAVX2FMA {
		f32.Gemm(threads, tA, tB, m, n, k, a, lda, b, ldb, acc, c, ldc)
		return
	}
	f32.GemmBLAS(tA, tB, m, n, k, a, lda, b, ldb, acc, c, ldc)
}

// axpy does y += a·x.
func axpy(a float32, x, y []float32) {
	if haveAVX2FMA {
		f32.Axpy(a, x, y)
		return
	}
	for i, v := range x {
		y[i] += a * v
	}
}

// nbArgs carries nbRow's scalars in and its sums out; the layout is read
// by nbkernel_amd64.s (offsets 0, 4, 8, 12, 16, 20).
type nbArgs struct {
	invS, lib, cst, negScale float32
	ll, sumR                 float32
}

// useCBLAS reports a -tags netlib build, whose products go to CBLAS.
const useCBLAS = f32.CBLAS
