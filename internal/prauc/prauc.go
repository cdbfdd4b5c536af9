// Package prauc scores a ranking of positives against negatives by the
// area under its precision-recall curve. It is a leaf: the DeepMCL trainer
// uses it for early stopping and the pipeline's tests for their protocol
// figures, so both count ties the same way.
package prauc

import (
	"cmp"
	"slices"
)

// AveragePrecision is the step-wise area under the precision-recall curve
// of positive scores against negative ones: the mean, over positives, of
// the precision at its rank. Ties are counted pessimistically (negatives
// first within a tied block). With no positives it is 0.
func AveragePrecision(pos, neg []float64) float64 {
	if len(pos) == 0 {
		return 0
	}
	type scored struct {
		v float64
		p bool
	}
	all := make([]scored, 0, len(pos)+len(neg))
	for _, v := range pos {
		all = append(all, scored{v, true})
	}
	for _, v := range neg {
		all = append(all, scored{v, false})
	}
	slices.SortStableFunc(all, func(a, b scored) int {
		if c := cmp.Compare(b.v, a.v); c != 0 {
			return c
		}
		switch {
		case a.p == b.p:
			return 0
		case b.p: // negatives first within ties
			return -1
		}
		return 1
	})
	tp, ap := 0, 0.0
	for i, x := range all {
		if x.p {
			tp++
			ap += float64(tp) / float64(i+1)
		}
	}
	return ap / float64(len(pos))
}
