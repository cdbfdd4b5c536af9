package f32

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"genestore/internal/cputime"
)

func TestGemmMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, sz := range [][3]int{{1, 1, 1}, {5, 17, 3}, {7, 33, 300}, {100, 40, 513}, {13, 2000, 9}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, acc := range []bool{false, true} {
					for _, threads := range []int{0, 1, 3} { // 0: GemmBLAS
						t.Run(fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/acc=%v/threads=%d", m, n, k, tA, tB, acc, threads), func(t *testing.T) {
							lda, ldb, ldc := k+1, n+2, n+3
							if tA {
								lda = m + 1
							}
							if tB {
								ldb = k + 2
							}
							rows := func(r, ld int) []float32 {
								v := make([]float32, r*ld)
								for i := range v {
									v[i] = float32(rng.NormFloat64())
								}
								return v
							}
							a := rows(map[bool]int{false: m, true: k}[tA], lda)
							b := rows(map[bool]int{false: k, true: n}[tB], ldb)
							c := rows(m, ldc)
							want := append([]float32(nil), c...)
							for i := range m {
								for j := range n {
									s := 0.0
									if acc {
										s = float64(want[i*ldc+j])
									}
									for p := range k {
										var av, bv float32
										if tA {
											av = a[p*lda+i]
										} else {
											av = a[i*lda+p]
										}
										if tB {
											bv = b[j*ldb+p]
										} else {
											bv = b[p*ldb+j]
										}
										s += float64(av) * float64(bv)
									}
									want[i*ldc+j] = float32(s)
								}
							}
							if threads == 0 {
								GemmBLAS(tA, tB, m, n, k, a, lda, b, ldb, acc, c, ldc)
							} else {
								Gemm(threads, tA, tB, m, n, k, a, lda, b, ldb, acc, c, ldc)
							}
							for i := range m {
								for j := range ldc {
									got, w := c[i*ldc+j], want[i*ldc+j]
									if j >= n {
										if got != w {
											t.Fatalf("wrote outside the matrix at (%d,%d)", i, j)
										}
										continue
									}
									if math.Abs(float64(got-w)) > 1e-4*math.Sqrt(float64(k))*4 {
										t.Fatalf("c[%d,%d] = %g, want %g", i, j, got, w)
									}
								}
							}
						})
					}
				}
			}
		}
	}
}

// TestGemmEmptyInnerDimension: with k = 0 the product is zero, so C becomes
// zero (NaN included, as BLAS with β = 0) or stays as it is when accumulating.
func TestGemmEmptyInnerDimension(t *testing.T) {
	for _, threads := range []int{0, 1} { // 0: GemmBLAS
		for _, acc := range []bool{false, true} {
			c := []float32{float32(math.NaN()), 2, float32(math.Inf(1)), 4}
			if threads == 0 {
				GemmBLAS(false, false, 2, 2, 0, nil, 1, nil, 2, acc, c, 2)
			} else {
				Gemm(threads, false, false, 2, 2, 0, nil, 1, nil, 2, acc, c, 2)
			}
			for i, v := range c {
				switch {
				case !acc && v != 0:
					t.Errorf("threads %d: c[%d] = %v, want 0", threads, i, v)
				case acc && i == 1 && v != 2:
					t.Errorf("threads %d, acc: c[1] = %v, want 2", threads, v)
				}
			}
		}
	}
}

func TestAxpy(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 256, 259} {
		checkAxpy(t, make([]float32, n), make([]float32, n))
	}
}

// checkAxpy fills x and y (of one length) and checks Axpy(0.5, x, y).
func checkAxpy(t *testing.T, x, y []float32) {
	t.Helper()
	for i := range x {
		x[i], y[i] = float32(i), float32(2*i+1)
	}
	Axpy(0.5, x, y)
	for i := range y {
		if want := float32(2*i+1) + 0.5*float32(i); y[i] != want {
			t.Fatalf("n=%d: y[%d] = %g, want %g", len(x), i, y[i], want)
		}
	}
}

// BenchmarkGemm times the decoder-sized product (256×256 · 256×2000) on
// one thread; GFLOP/cpu-s is the figure to trust on a shared machine.
func BenchmarkGemm(b *testing.B) {
	const m, n, k = 256, 2000, 256
	a, bb, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range a {
		a[i] = 1
	}
	for _, impl := range []string{"kernel", "gonum"} {
		b.Run(impl, func(b *testing.B) {
			cpu0 := cputime.Used()
			for b.Loop() {
				if impl == "gonum" {
					blas32.Implementation().Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
				} else {
					Gemm(1, false, false, m, n, k, a, k, bb, n, false, c, n)
				}
			}
			fl := 2 * m * n * k * float64(b.N) / 1e9
			b.ReportMetric(fl/b.Elapsed().Seconds(), "GFLOP/s")
			b.ReportMetric(fl/(cputime.Used()-cpu0).Seconds(), "GFLOP/cpu-s")
		})
	}
}

// mustPanic reports whether f panicked.
func mustPanic(f func()) (panicked bool) {
	defer func() { panicked = recover() != nil }()
	f()
	return false
}

// TestAxpyShortY: a y shorter than x panics, as BLAS's Saxpy does, rather
// than the kernel writing past the end of y.
func TestAxpyShortY(t *testing.T) {
	for _, n := range []int{8, 9, 16, 33} {
		buf := make([]float32, n+8)
		for i := range buf {
			buf[i] = -7 // sentinels past y
		}
		x, y := make([]float32, n), buf[:n-1:n-1]
		for i := range x {
			x[i] = 1
		}
		if !mustPanic(func() { Axpy(1, x, y) }) {
			t.Errorf("n=%d: Axpy with len(y) = %d did not panic", n, len(y))
		}
		for i := n - 1; i < len(buf); i++ {
			if buf[i] != -7 {
				t.Fatalf("n=%d: wrote past y at %d", n, i)
			}
		}
	}
}

// TestGemmShortC: a c too short for m rows of stride ldc panics, as BLAS
// does, rather than the kernel writing past its end (acc skips the
// clearing that would otherwise catch it).
func TestGemmShortC(t *testing.T) {
	const m, n, k, ldc = 6, 16, 3, 16
	a, b := make([]float32, m*k), make([]float32, k*n)
	for i := range a {
		a[i] = 1
	}
	for i := range b {
		b[i] = 1
	}
	for _, acc := range []bool{false, true} {
		buf := make([]float32, m*ldc+4)
		for i := range buf {
			buf[i] = -7
		}
		c := buf[: m*ldc-1 : m*ldc-1]
		if !mustPanic(func() { Gemm(1, false, false, m, n, k, a, k, b, n, acc, c, ldc) }) {
			t.Errorf("acc=%v: Gemm with len(c) = %d < %d did not panic", acc, len(c), m*ldc)
		}
		for i := len(c); i < len(buf); i++ {
			if buf[i] != -7 {
				t.Fatalf("acc=%v: wrote past c at %d", acc, i)
			}
		}
	}
}
