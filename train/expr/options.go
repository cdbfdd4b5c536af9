package expr

import (
	"errors"
	"fmt"
	"math"
	"runtime"
)

// Options are the hyper-parameters of Fit. The zero value means "all
// defaults" (see DefaultOptions); Validate reports every problem at once.
type Options struct {
	// Landmarks names the input genes. Empty selects AutoLandmarks genes
	// from the data (SelectLandmarks), none of them one of the Targets
	// unless fewer than 10 shared genes are not Targets.
	Landmarks []string
	// AutoLandmarks is the number of landmarks chosen when Landmarks is
	// empty (default 1000; without Targets at most half the genes that
	// every dataset measures, so that half are left to predict).
	AutoLandmarks int
	// Targets names the genes to predict. Empty means every gene measured
	// in all training datasets that is not a landmark.
	Targets []string
	// MaxTargets caps the targets of an empty Targets: the MaxTargets
	// non-landmark genes of largest pooled standard deviation (0: no cap).
	MaxTargets int

	// Hidden lists the tanh layer widths of the MLP, 1 to 3 layers
	// (default [3000], D-GEX's best single-layer width).
	Hidden []int
	// Dropout is the dropout rate after each hidden layer (default 0.1;
	// negative for none).
	Dropout float64
	// LR is Adam's learning rate (default 1e-3).
	LR float64
	// BatchSize is the mini-batch size (default 200).
	BatchSize int
	// Epochs is the maximum number of MLP epochs (default 200).
	Epochs int
	// Patience is the number of epochs without validation improvement
	// before the MLP stops (default 10).
	Patience int
	// NoMLP skips the MLP (the linear and kNN models are still fitted).
	NoMLP bool

	// ValFraction is the share of training samples held out for model
	// selection and early stopping (default 0.2). Whole groups are held
	// out when the datasets carry Groups.
	ValFraction float64
	// RidgeAlphas are the ridge penalties tried, as multiples of the mean
	// eigenvalue of the standardised landmark Gram matrix (default 10^k for
	// k = -4, -3.5, …, 2). Each target picks its own.
	RidgeAlphas []float64
	// KNNKs are the neighbour counts tried (default 1, 3, 5, 10, 20, 50, 100).
	KNNKs []int
	// KNNDims is the number of landmark principal components the kNN
	// distances use (default 50).
	KNNDims int
	// KNNMaxRef caps the reference samples the kNN model keeps (default
	// 5000; a seeded random subset beyond).
	KNNMaxRef int

	// Threads bounds the goroutines of the dense kernels (default
	// GOMAXPROCS).
	Threads int
	// Seed seeds every random choice (math/rand/v2 PCG(Seed, stream)):
	// the validation split, initialisation, shuffling, dropout and the kNN
	// reference subset. Equal seeds, data and Threads give equal models.
	Seed uint64
}

// DefaultOptions returns the options Fit uses for zero fields.
func DefaultOptions() Options {
	var al []float64
	for k := -8; k <= 4; k++ {
		al = append(al, math.Pow(10, float64(k)/2))
	}
	return Options{
		AutoLandmarks: 1000, Hidden: []int{3000}, Dropout: 0.1, LR: 1e-3, BatchSize: 200,
		Epochs: 200, Patience: 10, ValFraction: 0.2, RidgeAlphas: al,
		KNNKs: []int{1, 3, 5, 10, 20, 50, 100}, KNNDims: 50, KNNMaxRef: 5000,
		Threads: runtime.GOMAXPROCS(0),
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.AutoLandmarks == 0 {
		o.AutoLandmarks = d.AutoLandmarks
	}
	if len(o.Hidden) == 0 {
		o.Hidden = d.Hidden
	}
	if o.Dropout == 0 {
		o.Dropout = d.Dropout
	} else if o.Dropout < 0 {
		o.Dropout = 0
	}
	if o.LR == 0 {
		o.LR = d.LR
	}
	if o.BatchSize == 0 {
		o.BatchSize = d.BatchSize
	}
	if o.Epochs == 0 {
		o.Epochs = d.Epochs
	}
	if o.Patience == 0 {
		o.Patience = d.Patience
	}
	if o.ValFraction == 0 {
		o.ValFraction = d.ValFraction
	}
	if len(o.RidgeAlphas) == 0 {
		o.RidgeAlphas = d.RidgeAlphas
	}
	if len(o.KNNKs) == 0 {
		o.KNNKs = d.KNNKs
	}
	if o.KNNDims == 0 {
		o.KNNDims = d.KNNDims
	}
	if o.KNNMaxRef == 0 {
		o.KNNMaxRef = d.KNNMaxRef
	}
	if o.Threads == 0 {
		o.Threads = d.Threads
	}
	return o
}

// Validate reports every invalid field (zero fields are valid: they take
// defaults).
func (o Options) Validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrOptions}, a...)...))
	}
	if o.MaxTargets < 0 {
		bad("MaxTargets %d < 0", o.MaxTargets)
	}
	if o.AutoLandmarks < 0 {
		bad("AutoLandmarks %d < 0", o.AutoLandmarks)
	}
	if len(o.Hidden) > 3 {
		bad("%d hidden layers, at most 3", len(o.Hidden))
	}
	for _, h := range o.Hidden {
		if h < 1 || h > 1<<16 {
			bad("hidden width %d outside [1, 65536]", h)
		}
	}
	if !(o.Dropout < 1) || math.IsNaN(o.Dropout) {
		bad("Dropout %v not below 1", o.Dropout)
	}
	if !(o.LR >= 0) || math.IsInf(o.LR, 0) {
		bad("LR %v", o.LR)
	}
	if o.BatchSize < 0 {
		bad("BatchSize %d < 0", o.BatchSize)
	}
	if o.Epochs < 0 {
		bad("Epochs %d < 0", o.Epochs)
	}
	if o.Patience < 0 {
		bad("Patience %d < 0", o.Patience)
	}
	if !(o.ValFraction >= 0 && o.ValFraction < 1) {
		bad("ValFraction %v outside [0, 1)", o.ValFraction)
	}
	for _, a := range o.RidgeAlphas {
		if !(a > 0) || math.IsInf(a, 0) {
			bad("ridge alpha %v not positive and finite", a)
		}
	}
	for _, k := range o.KNNKs {
		if k < 1 {
			bad("kNN k %d < 1", k)
		}
	}
	if o.KNNDims < 0 {
		bad("KNNDims %d < 0", o.KNNDims)
	}
	if o.KNNMaxRef < 0 {
		bad("KNNMaxRef %d < 0", o.KNNMaxRef)
	}
	if o.Threads < 0 {
		bad("Threads %d < 0", o.Threads)
	}
	return errors.Join(errs...)
}
