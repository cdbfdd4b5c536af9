package par

import (
	"sync/atomic"
	"testing"
)

// TestForCoversEachIndexOnce: every index of [0, n) is handed to exactly one
// part, parts are numbered 0… and never exceed n, and one part runs inline.
func TestForCoversEachIndexOnce(t *testing.T) {
	for _, c := range []struct{ parts, n int }{{0, 5}, {1, 5}, {3, 10}, {4, 3}, {7, 7}, {2, 0}, {16, 1000}} {
		hits := make([]atomic.Int32, c.n)
		var calls, maxPart atomic.Int32
		For(c.parts, c.n, func(part, lo, hi int) {
			calls.Add(1)
			for {
				m := maxPart.Load()
				if int32(part) <= m || maxPart.CompareAndSwap(m, int32(part)) {
					break
				}
			}
			for i := lo; i < hi; i++ {
				hits[i].Add(1)
			}
		})
		for i := range hits {
			if h := hits[i].Load(); h != 1 {
				t.Fatalf("parts %d, n %d: index %d handled %d times", c.parts, c.n, i, h)
			}
		}
		want := max(1, min(c.parts, c.n))
		if int(calls.Load()) != want || int(maxPart.Load()) != want-1 {
			t.Errorf("parts %d, n %d: %d calls, highest part %d; want %d calls", c.parts, c.n, calls.Load(), maxPart.Load(), want)
		}
	}
}
