//go:build !amd64 || purego || netlib

package vae

// haveAVX2FMA is false: the assembly kernels are amd64-only (and the netlib
// build leaves the products to CBLAS).
const haveAVX2FMA = false

func kern6x16(k int, a, b, c *float32) { panic("vae: kern6x16 without AVX2") }

func axpy8(n int, a float32, x, y *float32) { panic("vae: axpy8 without AVX2") }
