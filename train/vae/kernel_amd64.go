//go:build amd64 && !purego

package vae

import "golang.org/x/sys/cpu"

// haveAVX2FMA gates the assembly kernels; without them the products fall
// back to gonum.
var haveAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func expShiftSum(n int, src, dst *float32, shift float32) float32

//go:noescape
func nbRow(n int, l, x, theta, logTheta, drow, dacc *float32, a *nbArgs)
