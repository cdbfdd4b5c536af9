//go:build !amd64 || purego

package f32

// haveAVX2FMA is false: the assembly kernels are amd64-only.
var haveAVX2FMA = false

func kern6x16(k int, a, b, c *float32) { panic("f32: kern6x16 without AVX2") }

func kern6x16acc(k int, a, b, c *float32, ldc int) { panic("f32: kern6x16acc without AVX2") }

func axpy8(n int, a float32, x, y *float32) { panic("f32: axpy8 without AVX2") }
