//go:build !netlib

package f32

import "gonum.org/v1/gonum/blas/blas32"

// useCBLAS is false without the netlib build tag: dense products use the Go
// assembly kernel where the CPU has AVX2 and FMA, gonum otherwise.
const useCBLAS = false

// cblas is unused without the netlib tag.
var cblas = blas32.Implementation()
