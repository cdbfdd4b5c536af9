//go:build purego || !amd64

package index

import "testing"

// forEachKernel runs f with the only kernels this build has.
func forEachKernel(t *testing.T, f func(t *testing.T)) { t.Run("portable", f) }
