//go:build !amd64 || purego

package vae

// haveAVX2FMA is false: the assembly kernels are amd64-only.
var haveAVX2FMA = false

func expShiftSum(n int, src, dst *float32, shift float32) float32 {
	panic("vae: expShiftSum without AVX2")
}

func nbRow(n int, l, x, theta, logTheta, drow, dacc *float32, a *nbArgs) {
	panic("vae: nbRow without AVX2")
}
