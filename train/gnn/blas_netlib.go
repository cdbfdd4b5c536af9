//go:build netlib

package gnn

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
)

// Under the netlib build tag every float32 BLAS call of the process (this
// package's and train/prep's) goes to OpenBLAS. Set OPENBLAS_NUM_THREADS=1
// on a busy 2-core machine: more threads were measured slower there.
func init() { blas32.Use(netlib.Implementation{}) }
