//go:build netlib

package prep

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
)

// Under the netlib build tag the gonum float32 BLAS calls of the process
// (Coexpression's and PearsonRows' products here, and any other blas32
// caller linked with this package) go to OpenBLAS. The gene GNN's products
// go through internal/f32, which picks CBLAS itself under the tag. Set
// OPENBLAS_NUM_THREADS=1 on a busy 2-core machine: more threads were
// measured slower there.
func init() { blas32.Use(netlib.Implementation{}) }
