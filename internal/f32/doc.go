// Package f32 holds the float32 dense kernels the training packages share:
// a matrix product (Gemm) and y += a·x (Axpy).
//
// On amd64 with AVX2 and FMA, Gemm packs its operands in the usual
// GotoBLAS way (depth blocks of 256, row blocks of 96) and runs a 6×16
// FMA micro-kernel written in Go assembly (kernel_amd64.s). Elsewhere, or
// with -tags purego, it calls gonum's pure-Go Sgemm; with -tags netlib (cgo,
// CGO_LDFLAGS=-lopenblas) it calls the system's CBLAS. BenchmarkGemm
// compares the kernel with gonum on one thread.
//
// # Caveats
//
// Matrices are row-major with explicit leading dimensions; shapes are the
// caller's responsibility and a wrong one panics (index out of range), as
// in gonum. The kernel's sums run in a different order from gonum's, so
// results agree to float32 rounding, not bit for bit; for a fixed build,
// thread count and shape they are deterministic, and each output element
// is computed the same way whatever the other rows of A are.
package f32
