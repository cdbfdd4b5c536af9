package eval

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
)

// AUROC is the area under the ROC curve of scores for separating the
// positives from the rest: the probability that a random positive scores
// above a random negative, ties counting one half (the Mann–Whitney U
// statistic with mid-ranks; sklearn's roc_auc_score). Higher scores mean
// "more positive". It returns ErrUndefined without positives or negatives.
func AUROC(scores []float64, positives []bool) (float64, error) {
	if len(scores) != len(positives) {
		return 0, fmt.Errorf("%w: %d scores for %d labels", ErrInvalidInput, len(scores), len(positives))
	}
	items := make([]rocItem, len(scores))
	for i, s := range scores {
		if math.IsNaN(s) {
			return 0, fmt.Errorf("%w: score %d is NaN", ErrInvalidInput, i)
		}
		items[i].score = s
		if positives[i] {
			items[i].pos = 1
		} else {
			items[i].neg = 1
		}
	}
	return aurocGrouped(items)
}

// rocItem is a group of items sharing one score.
type rocItem struct {
	score    float64
	pos, neg float64
}

// aurocGrouped computes AUROC over weighted groups (groups with equal
// scores are merged as ties).
func aurocGrouped(items []rocItem) (float64, error) {
	slices.SortFunc(items, func(a, b rocItem) int { return cmp.Compare(a.score, b.score) })
	var P, N float64
	for _, it := range items {
		P += it.pos
		N += it.neg
	}
	if P == 0 || N == 0 {
		return math.NaN(), fmt.Errorf("%w: AUROC needs positives and negatives (have %v and %v)", ErrUndefined, P, N)
	}
	var negBelow, u float64
	for i := 0; i < len(items); {
		j := i
		var gp, gn float64
		for j < len(items) && items[j].score == items[i].score {
			gp += items[j].pos
			gn += items[j].neg
			j++
		}
		u += gp * (negBelow + gn/2)
		negBelow += gn
		i = j
	}
	return u / (P * N), nil
}

// Accuracy is the share of predictions equal to the truth.
func Accuracy(truth, pred []string) (float64, error) {
	if len(truth) != len(pred) {
		return 0, fmt.Errorf("%w: %d true labels, %d predictions", ErrInvalidInput, len(truth), len(pred))
	}
	if len(truth) == 0 {
		return 0, fmt.Errorf("%w: no items", ErrUndefined)
	}
	ok := 0
	for i := range truth {
		if truth[i] == pred[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(truth)), nil
}

// MacroF1 is the unweighted mean over labels of F1 = 2·TP / (2·TP + FP + FN),
// the labels being the union of those in truth and pred (sklearn's
// f1_score(average="macro") with zero_division=0). A label predicted but
// never true (such as "Unassigned") therefore counts with F1 = 0.
func MacroF1(truth, pred []string) (float64, error) {
	if len(truth) != len(pred) {
		return 0, fmt.Errorf("%w: %d true labels, %d predictions", ErrInvalidInput, len(truth), len(pred))
	}
	if len(truth) == 0 {
		return 0, fmt.Errorf("%w: no items", ErrUndefined)
	}
	tp, fp, fn := map[string]int{}, map[string]int{}, map[string]int{}
	labels := map[string]bool{}
	for i := range truth {
		labels[truth[i]], labels[pred[i]] = true, true
		if truth[i] == pred[i] {
			tp[truth[i]]++
		} else {
			fp[pred[i]]++
			fn[truth[i]]++
		}
	}
	sum := 0.0
	for _, l := range slices.Sorted(maps.Keys(labels)) { // key order: the same sum every call
		if d := 2*tp[l] + fp[l] + fn[l]; d > 0 {
			sum += 2 * float64(tp[l]) / float64(d)
		}
	}
	return sum / float64(len(labels)), nil
}
