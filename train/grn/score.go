package grn

import (
	"context"
	"fmt"
	"math"
	"runtime"
)

// scoreBatch is the number of pairs Score pushes through the network at
// once: its memory, not the number of pairs scored, bounds Score's
// footprint (about 0.25 MB of activations per image with the default
// shape, 9 images per pair with 3 views and 2 neighbours).
const scoreBatch = 64

// Score streams the model's score for every directed pair (r, t), r in
// regulators, t in targets, t ≠ r, to emit: regulator by regulator, in the
// order given, and within one regulator in the targets' order. nil
// regulators or targets mean all genes; a gene listed twice is scored once,
// at its first place. The Score is the predicted
// probability that r regulates t; the Sign is that of the view-attention
// weighted Pearson correlation of the pair (0 when it is exactly 0).
//
// views must be the views the model was trained on, or views of the same
// genes in the same order from the same number of sources; ev, the
// evidence of those views (as given to Train in Options.Evidence) with a
// row for every regulator scored, is required by a model trained with
// evidence and ignored otherwise. An error from
// emit stops the scan and is returned as is.
func (m *Model) Score(ctx context.Context, views []View, ev *Evidence, regulators, targets []int, emit func(Edge) error) error {
	return m.ScoreAttention(ctx, views, ev, regulators, targets, func(e Edge, _ []float32) error { return emit(e) })
}

// ScoreAttention is Score that also passes each edge's view attention
// weights (one per view, summing to 1; a single 1 for the single-view
// baseline). The slice is reused: it is valid only during the call.
func (m *Model) ScoreAttention(ctx context.Context, views []View, ev *Evidence, regulators, targets []int, emit func(Edge, []float32) error) error {
	if len(views) != m.hp.Views {
		return fmt.Errorf("%w: %d views, the model was trained on %d", ErrInput, len(views), m.hp.Views)
	}
	if err := checkViews(views, m.hp.Genes); err != nil {
		return err
	}
	G := m.hp.Genes
	regs, err := geneList(regulators, G, "regulator")
	if err != nil {
		return err
	}
	if regulators != nil {
		regs = firstOccurrences(regulators) // the caller's order
	}
	tgts, err := geneList(targets, G, "target")
	if err != nil {
		return err
	}
	if targets != nil {
		tgts = firstOccurrences(targets)
	}
	switch {
	case m.hp.Evidence > 0 && ev == nil:
		return fmt.Errorf("%w: the model reads %d evidence features per view and none were given", ErrInput, m.hp.Evidence)
	case m.hp.Evidence == 0:
		ev = nil
	case ev.Features != m.hp.Evidence:
		return fmt.Errorf("%w: %d evidence features per view, the model reads %d", ErrInput, ev.Features, m.hp.Evidence)
	}
	if ev != nil {
		if err := ev.check(m.hp.attViews(), G, regs); err != nil {
			return err
		}
	}
	threads := runtime.GOMAXPROCS(0)
	in := views
	if m.hp.SingleView {
		in = poolViews(views)
	}
	prep := prepare(in, m.hp.Bins, m.hp.Neighbours, threads, !m.hp.RangeBins)
	w := newWork(m.hp, scoreBatch, threads)
	b := newBatcher(prep, m.hp, threads, ev)
	V := m.hp.attViews()
	att := make([]float32, V)
	keys := make([]int64, 0, scoreBatch)
	flush := func() error {
		if len(keys) == 0 {
			return nil
		}
		b.fill(w, keys)
		w.forwardCommittee(m, len(keys))
		for i, k := range keys {
			r, t := int(k>>32), int(k&0xffffffff)
			copy(att, w.beta[i*V:(i+1)*V])
			s := float32(0)
			for v := range V {
				s += att[v] * prep.corr(v, r, t)
			}
			var sign int8
			switch {
			case s > 0:
				sign = 1
			case s < 0:
				sign = -1
			}
			e := Edge{Regulator: int32(r), Target: int32(t), Score: sigmoid(float64(w.logit[i])), Sign: sign}
			if math.IsNaN(e.Score) {
				return fmt.Errorf("%w: score of %d → %d is NaN", ErrNumeric, r, t)
			}
			if err := emit(e, att); err != nil {
				return err
			}
		}
		keys = keys[:0]
		return nil
	}
	for _, r := range regs {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, t := range tgts {
			if t == r {
				continue
			}
			keys = append(keys, pairKey(r, t))
			if len(keys) == scoreBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
	}
	return nil
}

// firstOccurrences returns genes without repeats, each at its first place.
func firstOccurrences(genes []int) []int {
	seen := make(map[int]bool, len(genes))
	out := make([]int, 0, len(genes))
	for _, g := range genes {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}
