//go:build !amd64 || purego

package vae

// haveAVX2FMA is false: the assembly kernels are amd64-only.
var haveAVX2FMA = false

func kern6x16(k int, a, b, c *float32) { panic("vae: kern6x16 without AVX2") }

func axpy8(n int, a float32, x, y *float32) { panic("vae: axpy8 without AVX2") }

type nbArgs struct {
	invS, lib, cst, negScale float32
	ll, sumR                 float32
}

func expShiftSum(n int, src, dst *float32, shift float32) float32 {
	panic("vae: expShiftSum without AVX2")
}

func nbRow(n int, l, x, theta, logTheta, drow, dacc *float32, a *nbArgs) {
	panic("vae: nbRow without AVX2")
}

func kern6x16acc(k int, a, b, c *float32, ldc int) { panic("vae: kern6x16acc without AVX2") }
