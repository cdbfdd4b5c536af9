package classic

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"genestore/internal/stats"
	"genestore/train/grn"
)

// MinCells is the fewest cells a view may have.
const MinCells = 20

// Result is the outcome of Infer.
type Result struct {
	// Edges are the scored pairs, best first (ties by regulator, then
	// target): every candidate regulator → every other gene, or the best
	// Options.MaxEdges of them.
	Edges []grn.Edge
	// Method is the method that scored each view.
	Method Method
	// Members are the methods an Ensemble ranked: GENIE3 and spcor, and
	// rspcor when there are fewer candidate regulators than genes; nil for
	// other methods.
	Members []Method
	// Combination says how the views were combined: "single view" (the
	// method's own scores), or "median normalised rank" or "mean
	// normalised rank" (per view, pairs ranked ascending with mid-ranks
	// for ties and divided by the number of pairs; then the median or the
	// mean over views, Options.Aggregate).
	Combination string
	// Views is the number of views combined.
	Views int
	// Support holds, per edge (in Edges' order), each view's normalised
	// rank of the pair among that view's pairs (mid-ranks for ties, over
	// the number of pairs): 1 is the view's best pair, about 0.5 a typical
	// one. It says which views carry an edge.
	Support [][]float32
}

// Infer scores every directed pair regulator → target (target ≠ regulator)
// over views, which must hold the same genes in the same order. regulators
// are the candidate regulators' gene indices, nil for every gene; a pair
// of two candidates is scored both ways. It returns ErrInvalid for bad
// options or input (no view, a view under MinCells cells, mismatched gene
// counts, non-finite values, bad regulator indices), and ctx's error when
// cancelled.
func Infer(ctx context.Context, views []grn.View, regulators []int32, o Options) (*Result, error) {
	o, genes, regs, err := checkInput(ctx, views, regulators, o)
	if err != nil {
		return nil, err
	}
	per := make([][]float64, len(views))
	var pcors [][]float64
	for v := range views {
		s, pc, err := scoreView(ctx, &views[v], v, regs, o)
		if err != nil {
			return nil, err
		}
		per[v] = s
		pcors = append(pcors, pc)
	}
	res := &Result{Method: o.Method, Views: len(views)}
	if o.Method == Ensemble {
		res.Members = []Method{GENIE3, SpearmanPartial}
		if len(regs) < genes {
			res.Members = append(res.Members, RegulatorPartial)
		}
	}
	ranks := normRanks(per, regs, genes)
	var score []float64
	if len(views) == 1 {
		res.Combination = "single view"
		score = per[0]
	} else {
		res.Combination = string(o.Aggregate) + " normalised rank"
		score = aggregate(ranks, o.Aggregate)
	}
	if o.Signs {
		for v := range views {
			if pcors[v] == nil {
				pc, err := partialMemo(ctx, &views[v], regs, o, false)
				if err != nil {
					return nil, err
				}
				pcors[v] = pc
			}
		}
	}
	var medians []float64
	if o.Signs {
		for v := range per {
			medians = append(medians, medianScore(per[v], regs, genes))
		}
	}
	edges := make([]grn.Edge, 0, len(regs)*(genes-1))
	for i, r := range regs {
		for g := range genes {
			if g == r {
				continue
			}
			k := i*genes + g
			e := grn.Edge{Regulator: int32(r), Target: int32(g), Score: score[k]}
			if o.Signs {
				e.Sign = edgeSign(per, pcors, medians, k)
			}
			edges = append(edges, e)
		}
	}
	slices.SortStableFunc(edges, func(a, b grn.Edge) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Regulator, b.Regulator); c != 0 {
			return c
		}
		return cmp.Compare(a.Target, b.Target)
	})
	if o.MaxEdges > 0 && len(edges) > o.MaxEdges {
		edges = edges[:o.MaxEdges:o.MaxEdges]
	}
	res.Edges = edges
	pos := make([]int, genes) // regulator gene → its index in regs
	for i, r := range regs {
		pos[r] = i
	}
	res.Support = make([][]float32, len(edges))
	flat := make([]float32, len(edges)*len(ranks))
	for i, e := range edges {
		k := pos[e.Regulator]*genes + int(e.Target)
		sup := flat[i*len(ranks) : (i+1)*len(ranks) : (i+1)*len(ranks)]
		for v, rk := range ranks {
			sup[v] = float32(rk[k])
		}
		res.Support[i] = sup
	}
	return res, nil
}

// checkInput validates the options, views and regulators of Infer and
// Evidence and returns the options with defaults, the gene count and the
// regulators as ints.
func checkInput(ctx context.Context, views []grn.View, regulators []int32, o Options) (Options, int, []int, error) {
	if err := o.Validate(); err != nil {
		return o, 0, nil, err
	}
	o = o.withDefaults()
	genes, err := checkViews(views)
	if err != nil {
		return o, 0, nil, err
	}
	regs, err := checkRegulators(regulators, genes)
	if err != nil {
		return o, 0, nil, err
	}
	return o, genes, regs, ctx.Err()
}

// checkViews returns the common gene count of views or an error.
func checkViews(views []grn.View) (int, error) {
	if len(views) == 0 {
		return 0, fmt.Errorf("%w: no view", ErrInvalid)
	}
	genes := views[0].Genes
	for i := range views {
		v := &views[i]
		switch {
		case v.Cells < MinCells:
			return 0, fmt.Errorf("%w: view %q has %d cells, want at least %d", ErrInvalid, v.Name, v.Cells, MinCells)
		case v.Genes != genes:
			return 0, fmt.Errorf("%w: view %q has %d genes, view %q has %d", ErrInvalid, v.Name, v.Genes, views[0].Name, genes)
		case genes < 2:
			return 0, fmt.Errorf("%w: view %q has %d genes, want at least 2", ErrInvalid, v.Name, genes)
		case len(v.X) != v.Cells*v.Genes:
			return 0, fmt.Errorf("%w: view %q holds %d values for %d cells × %d genes", ErrInvalid, v.Name, len(v.X), v.Cells, v.Genes)
		}
		for j, x := range v.X {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return 0, fmt.Errorf("%w: view %q: value of cell %d, gene %d is %v", ErrInvalid, v.Name, j/genes, j%genes, x)
			}
		}
	}
	return genes, nil
}

// checkRegulators returns the candidate regulators as ints.
func checkRegulators(regulators []int32, genes int) ([]int, error) {
	if regulators == nil {
		regs := make([]int, genes)
		for g := range regs {
			regs[g] = g
		}
		return regs, nil
	}
	if len(regulators) == 0 {
		return nil, fmt.Errorf("%w: empty regulator list (nil means every gene)", ErrInvalid)
	}
	seen := make(map[int32]bool, len(regulators))
	regs := make([]int, len(regulators))
	for i, r := range regulators {
		if r < 0 || int(r) >= genes {
			return nil, fmt.Errorf("%w: regulator %d outside %d genes", ErrInvalid, r, genes)
		}
		if seen[r] {
			return nil, fmt.Errorf("%w: regulator %d listed twice", ErrInvalid, r)
		}
		seen[r] = true
		regs[i] = int(r)
	}
	return regs, nil
}

// scoreView returns the view's scores (len(regs) × genes, self pairs 0)
// and, when the method computed them, its partial correlations.
func scoreView(ctx context.Context, v *grn.View, vi int, regs []int, o Options) (score, pcor []float64, err error) {
	switch o.Method {
	case Pearson:
		score, err = correlations(ctx, v, regs, o, false)
		absAll(score)
	case Spearman:
		score, err = correlations(ctx, v, regs, o, true)
		absAll(score)
	case CLR:
		score, err = clr(ctx, v, regs, o)
	case PartialCorrelation, SpearmanPartial:
		pcor, err = partialMemo(ctx, v, regs, o, o.Method == SpearmanPartial)
		if err == nil {
			score = slices.Clone(pcor)
			absAll(score)
		}
	case GENIE3:
		score, err = genie3Memo(ctx, v, vi, regs, o)
	case Ensemble:
		var tree []float64
		if tree, err = genie3Memo(ctx, v, vi, regs, o); err != nil {
			return nil, nil, err
		}
		if pcor, err = partialMemo(ctx, v, regs, o, true); err != nil {
			return nil, nil, err
		}
		abs := slices.Clone(pcor)
		absAll(abs)
		per := [][]float64{tree, abs}
		if len(regs) < v.Genes {
			var rp []float64
			if rp, err = regulatorPartialCorrelations(ctx, v, regs, o, true); err != nil {
				return nil, nil, err
			}
			absAll(rp)
			per = append(per, rp)
		}
		score = meanRank(per, regs, v.Genes)
	case RegulatorPartial:
		pcor, err = regulatorPartialCorrelations(ctx, v, regs, o, true)
		if err == nil {
			score = slices.Clone(pcor)
			absAll(score)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	for i, r := range regs {
		score[i*v.Genes+r] = 0
	}
	return score, pcor, nil
}

func absAll(x []float64) {
	for i := range x {
		x[i] = math.Abs(x[i])
	}
}

// meanRank averages the normalised ranks (mid-ranks / number of pairs,
// self pairs left out) of several score matrices.
func meanRank(per [][]float64, regs []int, genes int) []float64 {
	return aggregate(normRanks(per, regs, genes), MeanRank)
}

// aggregate combines the views' normalised ranks pair by pair: their mean,
// or their median (the mean of the middle two for an even count).
func aggregate(ranks [][]float64, how Aggregation) []float64 {
	out := make([]float64, len(ranks[0]))
	if how == MeanRank {
		for _, rk := range ranks {
			for k, x := range rk {
				out[k] += x / float64(len(ranks))
			}
		}
		return out
	}
	col := make([]float64, len(ranks))
	for k := range out {
		for v, rk := range ranks {
			col[v] = rk[k]
		}
		slices.Sort(col)
		out[k] = stats.MedianSorted(col)
	}
	return out
}

// RankMean fuses parallel score lists (scores[m][k]: method m's score of
// pair k, higher is stronger; every list the same length): each list is
// ranked ascending (mid-ranks for ties) and divided by its length, and the
// result is the mean of a pair's normalised ranks, in (0, 1]; a NaN score
// ranks below every number. Two
// rankings that err on different pairs fuse into one that errs less: the
// supervised DeepMCL network's scores with the unsupervised ensemble's
// (see package pipeline).
func RankMean(scores ...[]float64) []float64 {
	if len(scores) == 0 {
		return nil
	}
	n := len(scores[0])
	out := make([]float64, n)
	ord, r := make([]int, n), make([]float64, n)
	for _, s := range scores {
		if len(s) != n {
			panic("classic: RankMean of lists of different lengths")
		}
		copy(r, s)
		midRanks(r, ord)
		for k, x := range r {
			out[k] += x / float64(n) / float64(len(scores))
		}
	}
	return out
}

// normRanks returns, per view, every scored pair's rank among that view's
// pairs (ascending, mid-ranks for ties) divided by the number of pairs,
// indexed like the scores (regulator index × genes + target).
func normRanks(per [][]float64, regs []int, genes int) [][]float64 {
	idx := make([]int, 0, len(regs)*(genes-1))
	for i, r := range regs {
		for g := range genes {
			if g != r {
				idx = append(idx, i*genes+g)
			}
		}
	}
	n := float64(len(idx))
	out := make([][]float64, len(per))
	vals, ord := make([]float64, len(idx)), make([]int, len(idx))
	for v, s := range per {
		for i, k := range idx {
			vals[i] = s[k]
		}
		midRanks(vals, ord)
		rk := make([]float64, len(regs)*genes)
		for i, k := range idx {
			rk[k] = vals[i] / n
		}
		out[v] = rk
	}
	return out
}

// edgeSign is the sign of the summed partial correlation of pair k over
// the views where the pair ranks in the top half of that view's scores,
// or over every view when none does. It is 0 when the sum is 0.
func edgeSign(per, pcors [][]float64, medians []float64, k int) int8 {
	var sum, all float64
	for v := range per {
		all += pcors[v][k]
		if per[v][k] >= medians[v] {
			sum += pcors[v][k]
		}
	}
	if sum == 0 {
		sum = all
	}
	switch {
	case sum > 0:
		return 1
	case sum < 0:
		return -1
	}
	return 0
}

// medianScore is the median of s over the pairs that are not self-loops.
func medianScore(s []float64, regs []int, genes int) float64 {
	vals := make([]float64, 0, len(regs)*(genes-1))
	for i, r := range regs {
		for g := range genes {
			if g != r {
				vals = append(vals, s[i*genes+g])
			}
		}
	}
	slices.Sort(vals)
	return vals[len(vals)/2]
}
