// Package stats holds small numeric summaries shared by packages that
// would otherwise each carry a copy.
package stats

import "slices"

// MedianSorted is the median of s, which must be sorted ascending: the
// middle value, or the mean of the middle two for an even length. It
// panics on an empty s.
func MedianSorted(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Median is the median of x (a sorted copy's MedianSorted); x is not
// modified. It panics on an empty x.
func Median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return MedianSorted(s)
}
