package f32

import (
	"sync"

	"genestore/internal/par"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// The gonum fallback reached ~10 GFLOP/s on one core here; the kernel
// reaches several times that (BenchmarkGemm).

const (
	mr, nr = 6, 16   // micro-tile
	kcBlk  = 256     // depth of one packed block
	mcBlk  = 16 * mr // rows of one packed A block
)

var packPool = sync.Pool{New: func() any { return new([]float32) }}

func getBuf(n int) *[]float32 {
	p := packPool.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

// CBLAS reports whether this build sends Gemm to the system's CBLAS
// (-tags netlib).
const CBLAS = useCBLAS

// Accelerated reports whether Gemm and Axpy run the assembly kernels.
func Accelerated() bool { return haveAVX2FMA && !useCBLAS }

// Gemm computes c = op(a)·op(b) (+ c when acc) for row-major matrices, with
// op(a) m × k and op(b) k × n, using up to threads goroutines (the CBLAS
// and gonum paths use their own threading).
func Gemm(threads int, tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, acc bool, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if !Accelerated() {
		GemmBLAS(tA, tB, m, n, k, a, lda, b, ldb, acc, c, ldc)
		return
	}
	// kern6x16acc writes c through a raw pointer: check c as BLAS does,
	// or a short c would be overwritten past its end when acc skips the
	// clearing below.
	if ldc < n || len(c) < (m-1)*ldc+n {
		panic("f32: Gemm: bad ldc or short c")
	}
	if !acc {
		for i := range m {
			clear(c[i*ldc : i*ldc+n])
		}
	}
	if k == 0 {
		return
	}
	npan := (n + nr - 1) / nr
	bp := getBuf(min(kcBlk, k) * npan * nr)
	ap := getBuf(min(kcBlk, k) * ((min(mcBlk, m) + mr - 1) / mr) * mr)
	defer packPool.Put(bp)
	defer packPool.Put(ap)
	threads = max(1, min(threads, npan))
	tiles := make([][mr * nr]float32, threads)
	for pc := 0; pc < k; pc += kcBlk {
		kc := min(kcBlk, k-pc)
		packB(*bp, tB, b, ldb, pc, kc, n, npan)
		for ic := 0; ic < m; ic += mcBlk {
			mc := min(mcBlk, m-ic)
			mpan := (mc + mr - 1) / mr
			packA(*ap, tA, a, lda, ic, mc, pc, kc, mpan)
			run := func(t, jlo, jhi int) {
				tile := &tiles[t]
				for jp := jlo; jp < jhi; jp++ {
					bpan := (*bp)[jp*kc*nr:]
					j0 := jp * nr
					nn := min(nr, n-j0)
					for ip := range mpan {
						i0 := ic + ip*mr
						if nn == nr && i0+mr <= m {
							kern6x16acc(kc, &(*ap)[ip*kc*mr], &bpan[0], &c[i0*ldc+j0], ldc)
							continue
						}
						kern6x16(kc, &(*ap)[ip*kc*mr], &bpan[0], &tile[0])
						for ii := range min(mr, m-i0) {
							crow := c[(i0+ii)*ldc+j0 : (i0+ii)*ldc+j0+nn]
							trow := tile[ii*nr : ii*nr+nn]
							for jj, v := range trow {
								crow[jj] += v
							}
						}
					}
				}
			}
			par.For(threads, npan, run)
		}
	}
}

// GemmBLAS is Gemm through the BLAS implementation of the build: gonum's
// pure-Go Sgemm, or CBLAS under -tags netlib. It is the reference the
// kernel is tested against, and what callers use to opt out of the kernel.
func GemmBLAS(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, acc bool, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	beta := float32(0)
	if acc {
		beta = 1
	}
	if k == 0 {
		// C = 0 (or unchanged when accumulating), as BLAS does for β = 0:
		// scaling by β would keep a NaN already in C.
		if !acc {
			for i := range m {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	if tA {
		ta = blas.Trans
	}
	if tB {
		tb = blas.Trans
	}
	if useCBLAS {
		cblas.Sgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
		return
	}
	blas32.Implementation().Sgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
}

// packB copies rows [pc, pc+kc) of op(b) into npan panels of kc × 16,
// zero-padding columns beyond n.
func packB(dst []float32, tB bool, b []float32, ldb, pc, kc, n, npan int) {
	for jp := range npan {
		pan := dst[jp*kc*nr : (jp+1)*kc*nr]
		j0 := jp * nr
		nn := min(nr, n-j0)
		if !tB {
			for p := range kc {
				row := b[(pc+p)*ldb+j0 : (pc+p)*ldb+j0+nn]
				out := pan[p*nr : p*nr+nr]
				copy(out, row)
				clear(out[nn:])
			}
			continue
		}
		if nn < nr {
			clear(pan)
		}
		for jj := range nn {
			col := b[(j0+jj)*ldb+pc : (j0+jj)*ldb+pc+kc]
			for p, v := range col {
				pan[p*nr+jj] = v
			}
		}
	}
}

// packA copies rows [ic, ic+mc) × depth [pc, pc+kc) of op(a) into mpan
// panels of kc × 6, zero-padding rows beyond mc.
func packA(dst []float32, tA bool, a []float32, lda, ic, mc, pc, kc, mpan int) {
	for ip := range mpan {
		pan := dst[ip*kc*mr : (ip+1)*kc*mr]
		i0 := ip * mr
		mm := min(mr, mc-i0)
		if mm < mr {
			clear(pan)
		}
		if tA {
			for p := range kc {
				row := a[(pc+p)*lda+ic+i0 : (pc+p)*lda+ic+i0+mm]
				copy(pan[p*mr:p*mr+mm], row)
			}
			continue
		}
		for ii := range mm {
			row := a[(ic+i0+ii)*lda+pc : (ic+i0+ii)*lda+pc+kc]
			for p, v := range row {
				pan[p*mr+ii] = v
			}
		}
	}
}

// Axpy does y += a·x. It panics if len(y) < len(x), as BLAS does.
func Axpy(a float32, x, y []float32) {
	n := len(x)
	if len(y) < n {
		panic("f32: Axpy: len(y) < len(x)")
	}
	if haveAVX2FMA && n >= 8 {
		n8 := n &^ 7
		axpy8(n8, a, &x[0], &y[0])
		for i := n8; i < n; i++ {
			y[i] += a * x[i]
		}
		return
	}
	blas32.Implementation().Saxpy(n, a, x, 1, y, 1)
}
