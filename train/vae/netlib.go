//go:build netlib

package vae

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
)

// With the netlib build tag the dense products run on the system's CBLAS
// (OpenBLAS: CGO_LDFLAGS=-lopenblas go build -tags netlib).
func init() { blas32.Use(netlib.Implementation{}) }
