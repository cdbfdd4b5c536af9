package stats

import (
	"slices"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		x    []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{-1, -1, 5, 5}, 2},
	} {
		in := slices.Clone(c.x)
		if got := Median(c.x); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.x, got, c.want)
		}
		if !slices.Equal(in, c.x) {
			t.Errorf("Median modified its input: %v", c.x)
		}
		s := slices.Sorted(slices.Values(c.x))
		if got := MedianSorted(s); got != c.want {
			t.Errorf("MedianSorted(%v) = %v, want %v", s, got, c.want)
		}
	}
}
