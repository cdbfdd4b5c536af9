package grn

import (
	"errors"
	"fmt"
	"math"
)

// Sentinel errors of the package; returned errors wrap them.
var (
	// ErrOptions reports invalid Options.
	ErrOptions = errors.New("grn: invalid options")
	// ErrInput reports views, gene indices or known edges that cannot be
	// trained on or scored.
	ErrInput = errors.New("grn: invalid input")
	// ErrNumeric reports a loss or weight that became NaN or infinite.
	ErrNumeric = errors.New("grn: numeric failure")
	// ErrFormat reports bytes that are not a model this package wrote.
	ErrFormat = errors.New("grn: bad model encoding")
)

// Options are the DeepMCL model and training hyper-parameters. The zero
// value means "all defaults" (DefaultOptions); negative Patience and
// HoldOut switch early stopping off.
type Options struct {
	// Architecture. The defaults are the DeepMCL / CNNC shape: 32×32
	// images, conv 32, 32, pool, 64, 64, pool, dense 512 → 128, head 64.
	Bins   int // image side, a multiple of 4 in [4, 128] (default 32)
	Conv1  int // channels of the first two convolutions (default 32)
	Conv2  int // channels of the last two convolutions (default 64)
	Hidden int // units of the dense layer after the convolutions (default 512)
	Embed  int // image embedding size (default 128)
	Head   int // hidden units of the classification head (default 64)
	// Neighbours is the number of neighbour images per view besides the
	// pair's own (default 2; <0 for none): they alternate between the
	// regulator with its closest partners and the target with its own.
	Neighbours int
	// RangeBins bins each gene into equal-width bins over [min(0, min),
	// max] (CNNC's images) instead of by its rank among the view's cells
	// (the default: ties, zeros included, share their mean rank, and the
	// image shows the pair's copula).
	RangeBins bool
	// SingleView is the baseline without views: the views' cells are
	// pooled into one view and images are averaged instead of attended
	// to; the contrastive loss is off.
	SingleView bool

	// Training.
	Epochs int // maximum epochs (default 40)
	// EpochPairs is the least number of pairs in an epoch (default 2048):
	// with few known edges the positives are repeated (each epoch still
	// draws fresh negatives), so that an epoch holds enough steps.
	EpochPairs  int
	BatchSize   int     // pairs per step (default 64)
	LR          float64 // Adam learning rate (default 1e-3)
	NegRatio    int     // negatives sampled per positive, fresh every epoch (default 1)
	Contrast    float64 // weight of the NT-Xent loss (default 0.1; <0 for none)
	Temperature float64 // NT-Xent temperature (default 0.1)
	// HoldOut is the fraction held out for early stopping (default 0.2;
	// <0 for none): of the known edges' regulators, with all their edges,
	// when they are at least 4, else of the known edges.
	HoldOut  float64
	Patience int // epochs without held-out improvement before stopping (default 8; <0 disables)
	// Members is the number of networks in the committee (default 1: one
	// network; see the package doc's Caveats before raising it).
	// With more, the known regulators are dealt into folds and each member
	// is trained with one fold held out for its early stopping (HoldOut
	// is then unused, but <0 still switches early stopping off); Score
	// averages the members' logits. Every known edge is trained on by
	// most members, and the epoch each member keeps is chosen on a
	// different held-out group.
	Members int
	// Fusion blends each network's logit with the pair's ensemble evidence
	// after training (late fusion: a·logit + b·ensemble + c, the three
	// numbers fitted by logistic regression on the early-stopping hold-out,
	// whose pairs the network never trained on); off by default. It needs
	// Evidence and a hold-out, and is skipped without them. Measured no better on the simulator and worse
	// on GSD (see the package doc's Caveats).
	Fusion bool
	// Seed seeds initialisation, the hold-out split, negative sampling and
	// shuffling (math/rand/v2 PCG). Equal seeds, inputs and thread counts
	// give equal models.
	Seed       uint64
	MaxThreads int // goroutines for the image batch; 0 means GOMAXPROCS
	// Regulators are the candidate regulators (gene indices) that
	// negatives are drawn from: pairs (r, t), r in Regulators, t any other
	// gene, that are not known edges. nil means every gene; an empty
	// list is an error.
	Regulators []int
	// Evidence, when set, is per-view unsupervised evidence on the
	// candidate pairs that the head reads beside the images; it must hold
	// a row for every candidate regulator and every known edge's
	// regulator, and the same evidence (of the same views) must be given
	// to Score. It is data, not a setting: it is not encoded.
	Evidence *Evidence `json:"-"`
}

// DefaultOptions returns the options Train uses for zero fields.
func DefaultOptions() Options {
	return Options{Bins: 32, Conv1: 32, Conv2: 64, Hidden: 512, Embed: 128, Head: 64, Neighbours: 2,
		Epochs: 40, EpochPairs: 2048, BatchSize: 64, LR: 1e-3, NegRatio: 1, Contrast: 0.1, Temperature: 0.1,
		HoldOut: 0.2, Patience: 8, Members: 1}
}

// withDefaults fills zero fields and turns the "<0 for none" values to 0.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	set := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	set(&o.Bins, d.Bins)
	set(&o.Conv1, d.Conv1)
	set(&o.Conv2, d.Conv2)
	set(&o.Hidden, d.Hidden)
	set(&o.Embed, d.Embed)
	set(&o.Head, d.Head)
	set(&o.Neighbours, d.Neighbours)
	set(&o.Epochs, d.Epochs)
	set(&o.EpochPairs, d.EpochPairs)
	set(&o.BatchSize, d.BatchSize)
	set(&o.NegRatio, d.NegRatio)
	set(&o.Patience, d.Patience)
	set(&o.Members, d.Members)
	if o.Neighbours < 0 {
		o.Neighbours = 0
	}
	if o.LR == 0 {
		o.LR = d.LR
	}
	if o.Contrast == 0 {
		o.Contrast = d.Contrast
	}
	if o.Contrast < 0 || o.SingleView {
		o.Contrast = 0
	}
	if o.Temperature == 0 {
		o.Temperature = d.Temperature
	}
	if o.HoldOut == 0 {
		o.HoldOut = d.HoldOut
	}
	if o.HoldOut < 0 {
		o.HoldOut = 0
	}
	return o
}

// Validate reports every problem with o at once. Zero fields are valid (they
// mean the default).
func (o Options) Validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrOptions}, a...)...))
	}
	if o.Bins < 0 || o.Bins > maxBins || o.Bins%4 != 0 {
		bad("bins %d: want a multiple of 4 in [4, %d]", o.Bins, maxBins)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"conv1", o.Conv1}, {"conv2", o.Conv2}, {"hidden", o.Hidden}, {"embed", o.Embed}, {"head", o.Head}} {
		if f.v < 0 || f.v > maxWidth {
			bad("%s %d outside [0, %d]", f.name, f.v, maxWidth)
		}
	}
	if o.Neighbours > maxNeighbours {
		bad("neighbours %d > %d", o.Neighbours, maxNeighbours)
	}
	if o.Epochs < 0 {
		bad("epochs %d < 0", o.Epochs)
	}
	if o.EpochPairs < 0 || o.EpochPairs > 1<<30 {
		bad("epoch pairs %d outside [0, 2^30]", o.EpochPairs)
	}
	if o.BatchSize < 0 || o.BatchSize > 1<<16 {
		bad("batch size %d outside [0, 65536]", o.BatchSize)
	}
	if o.NegRatio < 0 || o.NegRatio > 1000 {
		bad("negative ratio %d outside [0, 1000]", o.NegRatio)
	}
	finite := func(name string, v float64) bool {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			bad("%s %v", name, v)
			return false
		}
		return true
	}
	if finite("learning rate", o.LR) && o.LR < 0 {
		bad("learning rate %v < 0", o.LR)
	}
	finite("contrast weight", o.Contrast)
	if finite("temperature", o.Temperature) && o.Temperature < 0 {
		bad("temperature %v < 0", o.Temperature)
	}
	if finite("hold-out fraction", o.HoldOut) && o.HoldOut >= 0.9 {
		bad("hold-out fraction %v ≥ 0.9", o.HoldOut)
	}
	if o.Members < 0 || o.Members > maxMembers {
		bad("members %d outside [0, %d]", o.Members, maxMembers)
	}
	if o.MaxThreads < 0 {
		bad("max threads %d < 0", o.MaxThreads)
	}
	return errors.Join(errs...)
}

// Limits that keep a model (and a decoded one) within sane sizes.
const (
	maxBins       = 128
	maxWidth      = 4096
	maxNeighbours = 16
	maxViews      = 1024
	maxGenes      = 1 << 24
	maxEvidence   = 64
	maxMembers    = 64
)
