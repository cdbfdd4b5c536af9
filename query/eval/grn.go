package eval

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// RegPair is one directed regulator → target pair over gene indices
// [0, genes). As a prediction, Score ranks it (higher = more confident;
// BEELINE takes |Score|, and so does GRN); as truth, Score is ignored. Sign
// is +1 (activation), −1 (repression) or 0 (unknown / any); it matters only
// when GRNOptions.Signed is set.
type RegPair struct {
	Regulator, Target int
	Score             float64
	Sign              int8
}

// GRNOptions configure GRN. The zero value gives BEELINE's unsigned
// evaluation.
type GRNOptions struct {
	// Signed makes a prediction a true positive only when its pair is in the
	// truth with the same sign (a truth sign of 0 accepts either sign, and a
	// pair listed with both signs accepts both). A prediction of sign 0
	// never matches a signed truth edge. Unsigned (false) compares pairs only.
	Signed bool
}

// GRNScores are BEELINE's network-inference metrics (Pratapa et al. 2020,
// "Benchmarking algorithms for gene regulatory network inference from
// single-cell transcriptomic data", Nat. Methods 17:147–154). Every figure
// is computed over all genes·(genes−1) ordered pairs without self-loops.
type GRNScores struct {
	// TrueEdges is the number of distinct reference pairs (self-loops and
	// duplicates dropped); Pairs is genes·(genes−1).
	TrueEdges, Pairs int
	// Density is TrueEdges / Pairs: the precision of a random predictor.
	Density float64
	// AUROC is the Mann–Whitney statistic, ties counting one half.
	AUROC float64
	// AUPRC is the average precision as sklearn's average_precision_score
	// computes it: Σ_k (R_k − R_{k−1})·P_k over the distinct score
	// thresholds, a tied group entering at once.
	AUPRC float64
	// AUPRCTrapezoid is BEELINE's own figure: sklearn.metrics.auc (the
	// trapezoid rule) over precision_recall_curve's points, which include
	// the point (recall 0, precision 1). It can be above or below AUPRC
	// (the linear interpolation is optimistic where precision falls
	// between thresholds, pessimistic where it rises).
	AUPRCTrapezoid float64
	// AUPRCRatio is AUPRC / Density.
	AUPRCRatio float64
	// EarlyPrecision is BEELINE's early precision: the share of true pairs
	// among the top-k predictions, k = TrueEdges (or fewer predictions when
	// fewer are given). Ties as BEELINE: scores are |Score| rounded to 6
	// decimals, and every prediction scoring at least the k-th score (and
	// above 0) is kept, so the top set can be larger than k.
	EarlyPrecision float64
	// EPR is EarlyPrecision / Density.
	EPR float64
}

// GRN scores predictions pred against the reference network truth over
// genes genes. Pairs absent from pred score 0, as in BEELINE: below every
// prediction of |Score| > 0, tied with those scored 0; self-loops in either list are ignored, as are later
// duplicates of a predicted pair (the first is kept). Index out of
// [0, genes), a NaN score, or a truth without edges is an error; fewer than
// 2 genes is an error.
func GRN(genes int, truth, pred []RegPair, o GRNOptions) (GRNScores, error) {
	var s GRNScores
	if genes < 2 {
		return s, fmt.Errorf("%w: GRN needs at least 2 genes, have %d", ErrInvalidInput, genes)
	}
	if genes > 1<<20 {
		return s, fmt.Errorf("%w: GRN over %d genes: at most %d", ErrInvalidInput, genes, 1<<20)
	}
	key := func(r, t int) int64 { return int64(r)*int64(genes) + int64(t) }
	// signs: bit 1 = +, bit 2 = −, bit 4 = unsigned/any
	ref := make(map[int64]uint8, len(truth))
	for i, e := range truth {
		if e.Regulator < 0 || e.Regulator >= genes || e.Target < 0 || e.Target >= genes {
			return s, fmt.Errorf("%w: truth edge %d (%d → %d) outside %d genes", ErrInvalidInput, i, e.Regulator, e.Target, genes)
		}
		if e.Regulator == e.Target {
			continue
		}
		ref[key(e.Regulator, e.Target)] |= signBit(e.Sign)
	}
	if len(ref) == 0 {
		return s, fmt.Errorf("%w: the reference network has no edge between distinct genes", ErrUndefined)
	}
	s.TrueEdges = len(ref)
	s.Pairs = genes * (genes - 1)
	s.Density = float64(s.TrueEdges) / float64(s.Pairs)

	type scored struct {
		score float64
		pos   bool
	}
	seen := make(map[int64]bool, len(pred))
	kept := make([]scored, 0, len(pred))
	for i, e := range pred {
		if e.Regulator < 0 || e.Regulator >= genes || e.Target < 0 || e.Target >= genes {
			return s, fmt.Errorf("%w: prediction %d (%d → %d) outside %d genes", ErrInvalidInput, i, e.Regulator, e.Target, genes)
		}
		if math.IsNaN(e.Score) {
			return s, fmt.Errorf("%w: prediction %d (%d → %d) has a NaN score", ErrInvalidInput, i, e.Regulator, e.Target)
		}
		if e.Regulator == e.Target {
			continue
		}
		k := key(e.Regulator, e.Target)
		if seen[k] {
			continue
		}
		seen[k] = true
		bits, ok := ref[k]
		pos := ok && (!o.Signed || bits&4 != 0 || bits&signBit(e.Sign)&3 != 0)
		kept = append(kept, scored{math.Abs(e.Score), pos})
	}

	// ROC and PR over all pairs: the unpredicted ones form one group at 0.
	posPred := 0
	items := make([]rocItem, 0, len(kept)+1)
	for _, k := range kept {
		it := rocItem{score: k.score}
		if k.pos {
			it.pos, posPred = 1, posPred+1
		} else {
			it.neg = 1
		}
		items = append(items, it)
	}
	rest := s.Pairs - len(kept)
	// In signed mode a true pair predicted with the wrong sign is a
	// negative at its score and its reference edge is never recalled
	// (recall stays below 1); the unpredicted positives are the reference
	// pairs never predicted.
	restPos := 0
	for k := range ref {
		if !seen[k] {
			restPos++
		}
	}
	if rest > 0 {
		// Score 0, as BEELINE's computeScores gives every pair it was not
		// given: a prediction scored 0 ties with them.
		items = append(items, rocItem{score: 0, pos: float64(restPos), neg: float64(rest - restPos)})
	}
	if posPred+restPos == 0 {
		return s, fmt.Errorf("%w: no positive pair", ErrUndefined)
	}
	auroc, err := aurocGrouped(items) // sorts items ascending
	if err != nil {
		return s, err
	}
	s.AUROC = auroc
	s.AUPRC, s.AUPRCTrapezoid = precisionRecall(items, float64(s.TrueEdges))
	s.AUPRCRatio = s.AUPRC / s.Density

	// Early precision on the given predictions, BEELINE's way.
	round := func(x float64) float64 { return math.Round(x*1e6) / 1e6 }
	slices.SortStableFunc(kept, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	if len(kept) > 0 {
		maxk := min(len(kept), s.TrueEdges)
		top := round(kept[maxk-1].score)
		nonZeroMin := math.Inf(1)
		for _, k := range kept {
			if r := round(k.score); r != 0 && r < nonZeroMin {
				nonZeroMin = r
			}
		}
		best := max(top, nonZeroMin)
		var n, tp int
		for _, k := range kept {
			if round(k.score) >= best {
				n++
				if k.pos {
					tp++
				}
			}
		}
		if n > 0 {
			s.EarlyPrecision = float64(tp) / float64(n)
		}
	}
	s.EPR = s.EarlyPrecision / s.Density
	return s, nil
}

// signBit maps a sign to the bit GRN stores it under.
func signBit(sign int8) uint8 {
	switch {
	case sign > 0:
		return 1
	case sign < 0:
		return 2
	}
	return 4
}

// precisionRecall returns the average precision and the trapezoid area of
// the precision–recall curve (sklearn's precision_recall_curve points plus
// (0, 1)) of items sorted by ascending score, P positives in all.
func precisionRecall(items []rocItem, P float64) (ap, trap float64) {
	var tp, fp float64
	prevR, prevP := 0.0, 1.0
	for j := len(items) - 1; j >= 0; {
		i := j
		for i >= 0 && items[i].score == items[j].score {
			tp += items[i].pos
			fp += items[i].neg
			i--
		}
		r, p := tp/P, tp/(tp+fp)
		ap += (r - prevR) * p
		trap += (r - prevR) * (p + prevP) / 2
		prevR, prevP = r, p
		j = i
	}
	return ap, trap
}

// GenePairs maps named edges (regulator, target, sign, score) onto indices
// of genes, for GRN. Edges naming a gene outside genes are dropped and
// counted in dropped; a gene listed twice in genes is an error.
func GenePairs(genes []string, regulators, targets []string, signs []int8, scores []float64) (pairs []RegPair, dropped int, err error) {
	if len(regulators) != len(targets) || (signs != nil && len(signs) != len(targets)) || (scores != nil && len(scores) != len(targets)) {
		return nil, 0, fmt.Errorf("%w: GenePairs: %d regulators, %d targets, %d signs, %d scores", ErrInvalidInput, len(regulators), len(targets), len(signs), len(scores))
	}
	idx := make(map[string]int, len(genes))
	for i, g := range genes {
		if _, dup := idx[g]; dup {
			return nil, 0, fmt.Errorf("%w: gene %q listed twice", ErrInvalidInput, g)
		}
		idx[g] = i
	}
	for i := range regulators {
		r, ok1 := idx[regulators[i]]
		t, ok2 := idx[targets[i]]
		if !ok1 || !ok2 {
			dropped++
			continue
		}
		p := RegPair{Regulator: r, Target: t}
		if signs != nil {
			p.Sign = signs[i]
		}
		if scores != nil {
			p.Score = scores[i]
		}
		pairs = append(pairs, p)
	}
	return pairs, dropped, nil
}
