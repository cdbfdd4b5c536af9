// Package sets holds small operations on sorted slices used as sets.
package sets

import "cmp"

// Jaccard returns |a ∩ b| / |a ∪ b| of two sorted slices without
// duplicates; 0 when both are empty.
func Jaccard[T cmp.Ordered](a, b []T) float64 {
	i, j, inter := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			inter++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	union := len(a) + len(b) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}
