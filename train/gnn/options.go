package gnn

import (
	"errors"
	"fmt"
	"math"
)

// Convolutions of the shared graph layers (Options.Conv).
const (
	// ConvGCN is the GCN convolution Â·H·W + b.
	ConvGCN = "gcn"
	// ConvTransformer is the graph-transformer convolution (PyG's
	// TransformerConv, root weight on, heads averaged): softmax attention over
	// each gene's positive-edge neighbours and itself, plus a skip weight.
	ConvTransformer = "transformer"
)

// Options are the model's hyper-parameters. Architecture fields (Dim,
// Hidden, SharedLayers, Conv, Heads, MaxProfile) are fixed when a model is
// trained and saved with it; AddDataset reads them from the model and only uses the
// training fields of the Options it is given.
type Options struct {
	// Dim is the embedding dimension. Default 32.
	Dim int
	// Hidden is the width of the dataset-specific layer (and of any shared
	// layer before the last). Default 128.
	Hidden int
	// SharedLayers is the number of shared graph layers after the
	// dataset-specific one; the last maps to Dim. Default 1.
	SharedLayers int
	// Conv is the convolution of the shared layers: ConvGCN or
	// ConvTransformer; "" means the default, ConvTransformer. The dataset-specific
	// input layer is a GCN layer either way.
	Conv string
	// Heads is the number of attention heads of a transformer layer, averaged
	// (each head has its own query, key and value weights, so cost grows
	// with Heads); 0 means 1. Ignored by ConvGCN. Default 1.
	Heads int
	// MaxProfile caps the length of a gene's feature profile: a dataset with
	// more cells is summed into MaxProfile metacells (seeded random
	// partition of its cells). Default 512.
	MaxProfile int

	// Epochs is the maximum number of full-batch epochs. Default 300.
	Epochs int
	// LearningRate of Adam. Default 0.005.
	LearningRate float64
	// NegativeRatio is the number of random negative pairs drawn per
	// positive pair each epoch. Default 1.
	NegativeRatio int
	// WalkRestart is the probability that a positive pair's random walk
	// stops after each step (see the package documentation): each epoch,
	// as many positive pairs as training edges are drawn by starting at an
	// endpoint of a random training edge, crossing it, and walking on
	// (next gene ∝ edge weight) with probability 1 − WalkRestart per step,
	// up to WalkSteps steps; the start and the end gene form the pair. 1
	// means the edges themselves, each once per epoch (plain edge
	// reconstruction). Must lie in (0, 1]. Default 0.1 (a mean walk of
	// about 10 steps).
	WalkRestart float64
	// WalkSteps caps the steps of one walk. Default 40.
	WalkSteps int
	// HoldOut is the fraction of each graph's edges kept out of training
	// for early stopping. 0 disables early stopping. Default 0.05.
	HoldOut float64
	// Patience is the number of epochs without a better held-out loss
	// before training stops. Default 100 (the cross-dataset losses keep
	// aligning datasets well after the held-out edge loss levels off: with 30,
	// gene iLISI on the small simulation fell from 0.47 to 0.07).
	Patience int
	// CosineWeight weighs the cross-dataset cosine loss (same gene, weighted
	// by the Jaccard overlap of its neighbourhoods). Default 1.
	CosineWeight float64
	// ContrastWeight weighs the cross-dataset InfoNCE loss. Default 0.01
	// (MuSe-GNN).
	ContrastWeight float64
	// Temperature of InfoNCE. Default 0.07 (MuSe-GNN).
	Temperature float64
	// ContrastGenes caps the shared genes in one InfoNCE matrix (a seeded
	// sample is drawn each epoch above it). Default 4096, at most
	// MaxContrastGenes (the matrix and its gradient take 8·n² bytes).
	ContrastGenes int
	// Seed makes training reproducible (a math/rand generator seeded with
	// its bits, for the same draws as earlier model versions).
	Seed uint64
}

// DefaultOptions returns the defaults documented on each field.
func DefaultOptions() Options {
	return Options{
		Dim: 32, Hidden: 128, SharedLayers: 1, Conv: ConvTransformer, Heads: 1, MaxProfile: 512,
		Epochs: 300, LearningRate: 0.005, NegativeRatio: 1, WalkRestart: 0.1, WalkSteps: 40, HoldOut: 0.05, Patience: 100,
		CosineWeight: 1, ContrastWeight: 0.01, Temperature: 0.07, ContrastGenes: 4096,
	}
}

// Validate reports every invalid field at once.
func (o Options) Validate() error {
	var errs []error
	bad := func(f string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+f, append([]any{ErrOptions}, a...)...))
	}
	if o.Dim < 1 || o.Dim > 4096 {
		bad("Dim %d outside [1, 4096]", o.Dim)
	}
	if o.Hidden < 1 || o.Hidden > 8192 {
		bad("Hidden %d outside [1, 8192]", o.Hidden)
	}
	if o.SharedLayers < 1 || o.SharedLayers > 8 {
		bad("SharedLayers %d outside [1, 8]", o.SharedLayers)
	}
	if o.Conv != "" && o.Conv != ConvGCN && o.Conv != ConvTransformer {
		bad("Conv %q is neither %q nor %q", o.Conv, ConvGCN, ConvTransformer)
	}
	if o.Heads < 0 || o.Heads > 16 {
		bad("Heads %d outside [0, 16]", o.Heads)
	}
	if o.MaxProfile < 2 {
		bad("MaxProfile %d < 2", o.MaxProfile)
	}
	if o.Epochs < 1 {
		bad("Epochs %d < 1", o.Epochs)
	}
	if !(o.LearningRate > 0 && o.LearningRate < 1) {
		bad("LearningRate %v outside (0, 1)", o.LearningRate)
	}
	if o.NegativeRatio < 1 {
		bad("NegativeRatio %d < 1", o.NegativeRatio)
	}
	if !(o.WalkRestart > 0 && o.WalkRestart <= 1) {
		bad("WalkRestart %v outside (0, 1]", o.WalkRestart)
	}
	if o.WalkSteps < 1 {
		bad("WalkSteps %d < 1", o.WalkSteps)
	}
	if !(o.HoldOut >= 0 && o.HoldOut < 0.5) {
		bad("HoldOut %v outside [0, 0.5)", o.HoldOut)
	}
	if o.Patience < 1 {
		bad("Patience %d < 1", o.Patience)
	}
	if !(o.CosineWeight >= 0) || math.IsInf(o.CosineWeight, 0) {
		bad("CosineWeight %v not a finite value ≥ 0", o.CosineWeight)
	}
	if !(o.ContrastWeight >= 0) || math.IsInf(o.ContrastWeight, 0) {
		bad("ContrastWeight %v not a finite value ≥ 0", o.ContrastWeight)
	}
	if !(o.Temperature > 0.001 && o.Temperature <= 10) {
		bad("Temperature %v outside (0.001, 10]", o.Temperature)
	}
	if o.ContrastGenes < 2 || o.ContrastGenes > MaxContrastGenes {
		bad("ContrastGenes %d outside [2, %d]", o.ContrastGenes, MaxContrastGenes)
	}
	return errors.Join(errs...)
}

// resolved returns o with the zero values of Conv and Heads replaced by what
// they mean, so a model records the architecture it has.
func (o Options) resolved() Options {
	if o.Conv == "" {
		o.Conv = DefaultOptions().Conv
	}
	if o.Heads == 0 {
		o.Heads = 1
	}
	return o
}

// sharedHeads is layer.Heads of the shared layers: 0 for GCN.
func (o Options) sharedHeads() int {
	if o = o.resolved(); o.Conv == ConvTransformer {
		return o.Heads
	}
	return 0
}

// sharedShape is the (in, out) width of shared layer l: Hidden → Hidden,
// the last one Hidden → Dim.
func (o Options) sharedShape(l int) (in, out int) {
	if l == o.SharedLayers-1 {
		return o.Hidden, o.Dim
	}
	return o.Hidden, o.Hidden
}

// MaxContrastGenes bounds Options.ContrastGenes: 16,384 genes make a
// 2 GiB InfoNCE matrix and gradient; more would exhaust memory, not refine
// the sample.
const MaxContrastGenes = 16384
