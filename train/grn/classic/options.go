package classic

import (
	"errors"
	"fmt"
	"runtime"
)

// Method names one way of scoring regulator → target pairs in a view.
type Method string

// The methods Infer knows.
const (
	// Pearson scores a pair by |Pearson correlation| (symmetric: both
	// directions score the same). The weakest baseline.
	Pearson Method = "pearson"
	// Spearman scores by |Spearman correlation| (Pearson on mid-ranks).
	Spearman Method = "spearman"
	// GENIE3 scores by tree-ensemble regression importance: per target, a
	// random forest on the candidate regulators (histogram splits, cells
	// subsampled per tree, √p regulators tried per node); importance is the
	// total decrease of squared error, the target scaled to unit variance
	// (Huynh-Thu et al. 2010).
	GENIE3 Method = "genie3"
	// CLR scores by the context likelihood of relatedness (Faith et al.
	// 2007) over binned mutual information (equal-frequency bins).
	CLR Method = "clr"
	// PartialCorrelation scores by |partial correlation| from the inverse
	// of the Ledoit–Wolf shrunk correlation matrix of all genes.
	PartialCorrelation Method = "pcor"
	// SpearmanPartial scores by |partial correlation| of the genes'
	// mid-ranks (PartialCorrelation after a rank transform of each gene).
	SpearmanPartial Method = "spcor"
	// RegulatorPartial scores by |partial correlation of mid-ranks| given
	// the other candidate regulators only (not every other gene): the
	// conditioning of a regression of the target on the candidates. With
	// every gene a candidate it is SpearmanPartial.
	RegulatorPartial Method = "rspcor"
	// Ensemble scores by the mean normalised rank of GENIE3 and
	// SpearmanPartial in each view, and RegulatorPartial as a third when
	// the candidate regulators are fewer than the genes.
	Ensemble Method = "ensemble"
)

// Methods lists every Method, weakest first.
func Methods() []Method {
	return []Method{Pearson, Spearman, CLR, PartialCorrelation, SpearmanPartial, RegulatorPartial, GENIE3, Ensemble}
}

// Aggregation names how Infer combines several views' scores: per view
// each pair's normalised rank (mid-rank / number of pairs), then one
// statistic of those ranks across views.
type Aggregation string

// The aggregations Infer knows.
const (
	// MedianRank (the default) takes the median of the views' ranks (with
	// an even number of views, the mean of the middle two; with two views
	// it is MeanRank). An edge one view alone ranks high (a view's own
	// regulation, batch or noise) does not reach the top; one view that
	// misses an edge does not sink it.
	MedianRank Aggregation = "median"
	// MeanRank takes the mean of the views' ranks (the default until
	// 2026-12-07).
	MeanRank Aggregation = "mean"
)

// ErrInvalid is wrapped by every error about options or input.
var ErrInvalid = errors.New("classic: invalid input")

// Options configure Infer. The zero value is valid: DefaultOptions without
// signs and with seed 0 (DefaultOptions' is 1, so GENIE3 draws differ).
type Options struct {
	// Method scores the pairs; "" means the default (Ensemble).
	Method Method
	// Trees is the number of trees per target (GENIE3); 0 means 50.
	Trees int
	// CellFraction is the share of a view's cells drawn without replacement
	// for each tree (GENIE3); 0 means 0.5 (at most MaxTreeCells cells).
	CellFraction float64
	// MaxTreeCells caps the cells of one tree; 0 means 500.
	MaxTreeCells int
	// MinLeaf is the smallest number of cells in a leaf; 0 means 10.
	MinLeaf int
	// MaxFeatures is the number of regulators tried at each split; 0 means
	// ⌈√p⌉ for p candidate regulators of the target (GENIE3's "sqrt").
	MaxFeatures int
	// Bins is the number of quantile bins of the histogram splits (GENIE3,
	// at most 256) and of the mutual-information estimator (CLR); 0 means 32
	// for trees and ⌈n^⅓⌉ (at least 4, at most 256) for CLR.
	Bins int
	// Shrinkage is the weight of the identity in the shrunk correlation
	// matrix of the partial correlations (PartialCorrelation,
	// SpearmanPartial, RegulatorPartial); 0 means the Ledoit–Wolf estimate. Either
	// is raised to at least 1e-3, which keeps the matrix invertible when
	// genes outnumber cells.
	Shrinkage float64
	// Aggregate combines several views; "" means MedianRank. doc.go
	// compares the two.
	Aggregate Aggregation
	// Signs gives each edge a sign from the partial correlations of the
	// views that support it; DefaultOptions turns it on.
	Signs bool
	// MaxEdges keeps only the best MaxEdges edges; 0 keeps every pair.
	MaxEdges int
	// Seed seeds the PCG generators (math/rand/v2) of GENIE3: target g of
	// view v draws from rand.NewPCG(Seed, g + v·2³²), so the result does not
	// depend on Workers.
	Seed uint64
	// Workers is the number of goroutines; 0 means GOMAXPROCS.
	Workers int
	// Memo, when not nil, keeps GENIE3 and partial-correlation scores
	// for later calls that share it (see Memo); results are the same.
	Memo *Memo
}

// DefaultOptions returns the Ensemble method (GENIE3 + Spearman partial
// correlation, + the candidate-conditioned one under a candidate list;
// doc.go says why) with 50 trees over half the cells (at most
// 500) each, leaves of ≥ 10 cells, √p regulators per split, 32 bins, views
// combined by their median rank, signs on, seed 1.
func DefaultOptions() Options {
	return Options{Method: Ensemble, Aggregate: MedianRank, Trees: 50, CellFraction: 0.5, MaxTreeCells: 500,
		MinLeaf: 10, Bins: 0, Signs: true, Seed: 1}
}

// Validate reports every problem of o at once.
func (o Options) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	switch o.Method {
	case "", Pearson, Spearman, GENIE3, CLR, PartialCorrelation, SpearmanPartial, RegulatorPartial, Ensemble:
	default:
		bad("unknown method %q", o.Method)
	}
	switch o.Aggregate {
	case "", MedianRank, MeanRank:
	default:
		bad("unknown aggregation %q, want %q or %q", o.Aggregate, MedianRank, MeanRank)
	}
	if o.Trees < 0 || o.Trees > 100000 {
		bad("trees = %d, want 0..100000", o.Trees)
	}
	if !(o.CellFraction >= 0 && o.CellFraction <= 1) {
		bad("cell fraction = %v, want [0, 1]", o.CellFraction)
	}
	if o.MaxTreeCells < 0 || o.MinLeaf < 0 || o.MaxFeatures < 0 || o.MaxEdges < 0 || o.Workers < 0 {
		bad("negative count in max tree cells %d, min leaf %d, max features %d, max edges %d, workers %d",
			o.MaxTreeCells, o.MinLeaf, o.MaxFeatures, o.MaxEdges, o.Workers)
	}
	if o.Bins != 0 && (o.Bins < 2 || o.Bins > 256) {
		bad("bins = %d, want 0 or 2..256", o.Bins)
	}
	if !(o.Shrinkage >= 0 && o.Shrinkage <= 1) {
		bad("shrinkage = %v, want [0, 1]", o.Shrinkage)
	}
	return errors.Join(errs...)
}

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.Method == "" {
		o.Method = d.Method
	}
	if o.Aggregate == "" {
		o.Aggregate = d.Aggregate
	}
	if o.Trees == 0 {
		o.Trees = d.Trees
	}
	if o.CellFraction == 0 {
		o.CellFraction = d.CellFraction
	}
	if o.MaxTreeCells == 0 {
		o.MaxTreeCells = d.MaxTreeCells
	}
	if o.MinLeaf == 0 {
		o.MinLeaf = d.MinLeaf
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}
