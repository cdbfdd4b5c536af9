//go:build netlib

package warm

import _ "gonum.org/v1/netlib/blas/netlib"
