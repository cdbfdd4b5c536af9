//go:build linux

package f32

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"genestore/internal/testutil/guardmem"
)

// TestGemmGuarded runs Gemm on operands of exactly the length BLAS
// requires (the last row of each only as long as the matrix is wide),
// ending at an inaccessible page.
func TestGemmGuarded(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sz := range [][3]int{{1, 1, 1}, {6, 16, 1}, {6, 16, 7}, {7, 17, 9}, {12, 32, 3}, {13, 33, 257}, {97, 15, 2}, {5, 65, 31}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, acc := range []bool{false, true} {
					name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/acc=%v", m, n, k, tA, tB, acc)
					ar, ac := m, k
					if tA {
						ar, ac = k, m
					}
					br, bc := k, n
					if tB {
						br, bc = n, k
					}
					lda, ldb, ldc := ac+1, bc+2, n+3
					a := guardmem.Slice[float32](t, (ar-1)*lda+ac)
					b := guardmem.Slice[float32](t, (br-1)*ldb+bc)
					c := guardmem.Slice[float32](t, (m-1)*ldc+n)
					for _, s := range [][]float32{a, b, c} {
						for i := range s {
							s[i] = float32(rng.NormFloat64())
						}
					}
					want := make([]float32, len(c))
					copy(want, c)
					GemmBLAS(tA, tB, m, n, k, a, lda, b, ldb, acc, want, ldc)
					Gemm(2, tA, tB, m, n, k, a, lda, b, ldb, acc, c, ldc)
					for i := range c {
						if math.Abs(float64(c[i]-want[i])) > 1e-4*math.Sqrt(float64(k))*4 {
							t.Fatalf("%s: c[%d] = %g, want %g", name, i, c[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestAxpyGuarded: every length, x and y ending at an inaccessible page.
func TestAxpyGuarded(t *testing.T) {
	for n := range 70 {
		checkAxpy(t, guardmem.Slice[float32](t, n), guardmem.Slice[float32](t, n))
	}
}
