package annot

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Neighbor is one neighbour of a query gene with its similarity (cosine,
// higher is closer).
type Neighbor struct {
	Gene  string
	Score float32
}

// TermPrediction is a term predicted for a gene from its neighbours.
type TermPrediction struct {
	// Term is the set ID.
	Term string
	// Score in [0, 1]: the share of the neighbours' similarity mass carried
	// by neighbours annotated with Term.
	Score float32
	// Evidence lists those neighbours, most similar first.
	Evidence []string
}

// PredictTerms predicts terms for a gene from its neighbours by a
// similarity-weighted vote: with w_j = max(Score_j, 0) (NaN counts as 0),
//
//	score(t) = Σ_{j annotated with t} w_j / Σ_j w_j,
//
// the denominator running over every neighbour, annotated or not, so that
// a term backed by a few weak neighbours among many strong unannotated ones
// scores low. Neighbours with w_j = 0 neither vote nor count as evidence.
// The topN best terms are returned (all if topN ≤ 0), by decreasing score,
// ties by term ID. The query gene should not be among its own neighbours.
func PredictTerms(neighbors []Neighbor, geneToTerms map[string][]string, topN int) []TermPrediction {
	type acc struct {
		w   float64
		ev  []int
		pos int
	}
	order := make([]int, len(neighbors))
	for i := range order {
		order[i] = i
	}
	weight := func(s float32) float64 {
		if math.IsNaN(float64(s)) || s <= 0 {
			return 0
		}
		return float64(s)
	}
	// most similar first, so that evidence lists come out sorted
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(weight(neighbors[b].Score), weight(neighbors[a].Score)) })
	total := 0.0
	terms := map[string]*acc{}
	for _, i := range order {
		nb := neighbors[i]
		w := weight(nb.Score)
		if w == 0 {
			continue
		}
		total += w
		seen := map[string]bool{}
		for _, t := range geneToTerms[nb.Gene] {
			if seen[t] {
				continue
			}
			seen[t] = true
			a := terms[t]
			if a == nil {
				a = &acc{}
				terms[t] = a
			}
			a.w += w
			a.ev = append(a.ev, i)
		}
	}
	if total == 0 {
		return nil
	}
	out := make([]TermPrediction, 0, len(terms))
	for t, a := range terms {
		p := TermPrediction{Term: t, Score: float32(a.w / total)}
		for _, i := range a.ev {
			p.Evidence = append(p.Evidence, neighbors[i].Gene)
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b TermPrediction) int {
		if a.Score != b.Score {
			return cmp.Compare(b.Score, a.Score)
		}
		return strings.Compare(a.Term, b.Term)
	})
	if topN > 0 && len(out) > topN {
		out = out[:topN]
	}
	return out
}
