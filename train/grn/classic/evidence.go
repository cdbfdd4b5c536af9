package classic

import (
	"cmp"
	"context"
	"math"
	"slices"

	"genestore/train/grn"
)

// EvidenceFeatures names the features Evidence writes per view, in order:
// the view's scores of the ensemble, GENIE3, |spcor|, |pcor|, CLR and
// |Spearman| ranked over all the view's candidate pairs, then the
// ensemble ranked among the candidate regulators of the pair's target
// and among the targets of its regulator. "ensemble" here is the mean
// rank of GENIE3 and |spcor| only, the Ensemble before RegulatorPartial
// joined it: stored DeepMCL models were trained on that feature. rspcor
// (shrinkage 0.01) read in place of the pcor feature did not move the
// supervised model (simulator held-out AUPRC 0.896 against 0.897, 5
// seeds, 2026-12-06), so the features stayed as they were.
var EvidenceFeatures = []string{"ensemble", "genie3", "spcor", "pcor", "clr", "spearman", "ensemble/target", "ensemble/regulator"}

// Evidence scores every candidate pair of every view separately with the
// classic methods and returns the scores as grn.Evidence for DeepMCL's
// head: per view, the features EvidenceFeatures, and, with several views,
// after them the same features of all the views' cells pooled (the same
// in every view; GENIE3 seeded as a view number 0), so a
// multi-view model sees what the single-view baseline sees and more. Each feature is a
// normalised rank r ∈ (0, 1] (mid-ranks / n over the n pairs it is ranked
// among, as in meanRank) turned into −ln(1 − r + 1/n) / ln n: 1 for the
// top pair, about ln 2/ln n for the median, 0 for the last, so the top of a
// ranking, where the edges are, is spread out. o's method and Signs are
// ignored; its GENIE3 settings, seed and workers are used. Errors are
// Infer's.
func Evidence(ctx context.Context, views []grn.View, regulators []int32, o Options) (*grn.Evidence, error) {
	o, genes, regs, err := checkInput(ctx, views, regulators, o)
	if err != nil {
		return nil, err
	}
	F := len(EvidenceFeatures)
	var pooled []float32
	if len(views) > 1 {
		if pooled, err = viewEvidence(ctx, &grn.PoolViews(views)[0], 0, regs, o); err != nil {
			return nil, err
		}
		F *= 2
	}
	ev := &grn.Evidence{Genes: genes, Features: F, Regulators: regs, X: make([][]float32, len(views))}
	for vi := range views {
		x, err := viewEvidence(ctx, &views[vi], vi, regs, o)
		if err != nil {
			return nil, err
		}
		if pooled != nil { // per pair: the view's features, then the pooled ones
			F0 := F / 2
			both := make([]float32, len(x)*2)
			for k := range len(x) / F0 {
				copy(both[k*F:][:F0], x[k*F0:][:F0])
				copy(both[k*F+F0:][:F0], pooled[k*F0:][:F0])
			}
			x = both
		}
		ev.X[vi] = x
	}
	return ev, nil
}

// PooledEvidence is Evidence with only the pooled views' features: every
// view gets the same EvidenceFeatures, of all the views' cells pooled (one
// shared slice). With few labels it leaves the supervised head half the
// features to weigh; see pipeline's choice between the two.
func PooledEvidence(ctx context.Context, views []grn.View, regulators []int32, o Options) (*grn.Evidence, error) {
	o, genes, regs, err := checkInput(ctx, views, regulators, o)
	if err != nil {
		return nil, err
	}
	x, err := viewEvidence(ctx, &grn.PoolViews(views)[0], 0, regs, o)
	if err != nil {
		return nil, err
	}
	ev := &grn.Evidence{Genes: genes, Features: len(EvidenceFeatures), Regulators: regs, X: make([][]float32, len(views))}
	for v := range ev.X {
		ev.X[v] = x
	}
	return ev, nil
}

// viewEvidence returns the EvidenceFeatures of one view (view number vi
// seeds GENIE3), len(regs) × genes × features.
func viewEvidence(ctx context.Context, v *grn.View, vi int, regs []int, o Options) ([]float32, error) {
	genes, F := v.Genes, len(EvidenceFeatures)
	tree, err := genie3Memo(ctx, v, vi, regs, o)
	if err != nil {
		return nil, err
	}
	spcor, err := partialMemo(ctx, v, regs, o, true)
	if err != nil {
		return nil, err
	}
	pcor, err := partialMemo(ctx, v, regs, o, false)
	if err != nil {
		return nil, err
	}
	mi, err := clr(ctx, v, regs, o)
	if err != nil {
		return nil, err
	}
	sp, err := correlations(ctx, v, regs, o, true)
	if err != nil {
		return nil, err
	}
	absAll(spcor)
	absAll(pcor)
	absAll(sp)
	ens := meanRank([][]float64{tree, spcor}, regs, genes)
	x := make([]float32, len(regs)*genes*F)
	all := make([]int, 0, len(regs)*(genes-1))
	for i, r := range regs {
		for g := range genes {
			if g != r {
				all = append(all, i*genes+g)
			}
		}
	}
	for f, s := range [][]float64{ens, tree, spcor, pcor, mi, sp} {
		topness(x, F, f, s, all)
	}
	for g := range genes { // within each target: its candidate regulators
		var idx []int
		for i, r := range regs {
			if r != g {
				idx = append(idx, i*genes+g)
			}
		}
		topness(x, F, 6, ens, idx)
	}
	for i, r := range regs { // within each regulator: its targets
		idx := make([]int, 0, genes-1)
		for g := range genes {
			if g != r {
				idx = append(idx, i*genes+g)
			}
		}
		topness(x, F, 7, ens, idx)
	}
	return x, nil
}

// topness ranks s over the pairs idx and writes each pair's top-weighted
// normalised rank (see Evidence) into dst[k·stride+off].
func topness(dst []float32, stride, off int, s []float64, idx []int) {
	n := len(idx)
	if n == 0 {
		return
	}
	if n == 1 {
		dst[idx[0]*stride+off] = 1
		return
	}
	ord := slices.Clone(idx)
	slices.SortFunc(ord, func(a, b int) int { return cmp.Compare(s[a], s[b]) })
	ln := math.Log(float64(n))
	for i := 0; i < n; {
		j := i
		for j < n && s[ord[j]] == s[ord[i]] {
			j++
		}
		r := float64(i+j+1) / 2 / float64(n)
		t := float32(-math.Log(1-r+1/float64(n)) / ln)
		for _, k := range ord[i:j] {
			dst[k*stride+off] = max(0, min(1, t))
		}
		i = j
	}
}
