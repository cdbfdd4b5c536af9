//go:build amd64 && !purego

package f32

import "golang.org/x/sys/cpu"

// haveAVX2FMA gates the assembly kernels; without them the products fall
// back to gonum.
var haveAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func kern6x16(k int, a, b, c *float32)

//go:noescape
func kern6x16acc(k int, a, b, c *float32, ldc int)

//go:noescape
func axpy8(n int, a float32, x, y *float32)
