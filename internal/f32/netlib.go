//go:build netlib

package f32

import (
	"gonum.org/v1/netlib/blas/netlib"
)

// useCBLAS sends the dense products to the system's CBLAS (OpenBLAS:
// CGO_LDFLAGS=-lopenblas go build -tags netlib) instead of the Go
// assembly kernel. The element-wise kernels stay in Go assembly.
const useCBLAS = true

// cblas is the netlib (cgo) implementation.
var cblas = netlib.Implementation{}
