//go:build amd64 && !purego

package vae

import "golang.org/x/sys/cpu"

// haveAVX2FMA gates the assembly kernels; without them the products fall
// back to gonum.
var haveAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// nbArgs carries nbRow's scalars in and its sums out; the layout is read
// by the assembly (offsets 0, 4, 8, 12, 16, 20).
type nbArgs struct {
	invS, lib, cst, negScale float32
	ll, sumR                 float32
}

//go:noescape
func expShiftSum(n int, src, dst *float32, shift float32) float32

//go:noescape
func nbRow(n int, l, x, theta, logTheta, drow, dacc *float32, a *nbArgs)
