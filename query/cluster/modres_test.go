package cluster

import (
	"errors"
	"math"
	"testing"
)

// TestModularityResolutionChecked: Modularity refuses the resolutions
// Cluster refuses (negative, NaN, infinite) instead of returning a Q that
// no clustering could have (2 for γ = −1 on one edge, NaN for NaN).
func TestModularityResolutionChecked(t *testing.T) {
	g := edgesToCSR(t, 3, [][3]float64{{0, 1, 1}})
	for _, r := range []float64{-1, math.NaN(), math.Inf(1)} {
		if q, err := Modularity(g, []int{0, 0, 1}, r); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("resolution %v: Q = %v, err = %v; want ErrInvalidOptions", r, q, err)
		}
	}
	if q, err := Modularity(g, []int{0, 0, 1}, 0); err != nil || q != 1 {
		t.Errorf("resolution 0: Q = %v, %v; want 1 (the share of internal weight)", q, err)
	}
}
