package layout

import (
	"errors"
	"fmt"
	"math"
	"runtime"
)

// Defaults used where an Options field is zero.
const (
	DefaultNNeighbors   = 15
	DefaultMinDist      = 0.1
	DefaultSpread       = 1.0
	DefaultNegativeRate = 5
	DefaultLearningRate = 1.0
	DefaultRepulsion    = 1.0
	// DefaultSpectralMax is the largest graph given a spectral start.
	DefaultSpectralMax = 100_000
)

// parallelFrom is the smallest graph whose SGD uses several threads (a
// variable so that tests can lower it).
var parallelFrom = 20_000

// ErrInvalid reports options or inputs that cannot be laid out.
var ErrInvalid = errors.New("layout: invalid input")

// Init names how coordinates start.
type Init uint8

const (
	// InitAuto is spectral when the graph is connected and at most
	// SpectralMax points, else PCA (random when no vectors are given).
	InitAuto Init = iota
	// InitSpectral forces the Laplacian eigenvectors (an error if the graph
	// is disconnected).
	InitSpectral
	// InitPCA uses the first two principal components of the vectors.
	InitPCA
	// InitRandom draws coordinates uniformly in [-10, 10].
	InitRandom
)

// String returns "auto", "spectral", "pca" or "random".
func (i Init) String() string {
	switch i {
	case InitAuto:
		return "auto"
	case InitSpectral:
		return "spectral"
	case InitPCA:
		return "pca"
	case InitRandom:
		return "random"
	}
	return fmt.Sprintf("Init(%d)", uint8(i))
}

// Options configures Fit. The zero value is valid: zero fields take the
// defaults above.
type Options struct {
	// NNeighbors is UMAP's n_neighbors: the neighbourhood size, the point
	// itself included (so NNeighbors−1 neighbours per point are used).
	NNeighbors int
	// MinDist is how tightly points may pack (umap-learn min_dist); 0 means
	// 0.1. Use a tiny positive value for "0".
	MinDist float64
	// Spread is the scale of the embedded points (umap-learn spread).
	Spread float64
	// Epochs is the number of SGD epochs; 0: 500 up to 10,000 points, 200
	// above.
	Epochs int
	// NegativeRate is the number of negative samples per positive one.
	NegativeRate int
	// LearningRate is the initial SGD step.
	LearningRate float64
	// Repulsion weighs negative samples (umap-learn repulsion_strength).
	Repulsion float64
	// Init chooses the start.
	Init Init
	// SpectralMax bounds the graph size given a spectral start.
	SpectralMax int
	// Threads is the number of SGD goroutines; 0 means GOMAXPROCS. See the
	// package documentation for how the result depends on it. From 20,000
	// points on, each goroutine holds 12 bytes per point (0.8 GB for 64
	// threads at a million points), so more threads than cores cost memory
	// and buy nothing.
	Threads int
}

// DefaultOptions returns the defaults, written out.
func DefaultOptions() Options { return Options{}.withDefaults(0) }

// Validate reports every problem of o at once.
func (o Options) Validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...))
	}
	if o.NNeighbors < 0 || o.NNeighbors == 1 || o.NNeighbors > 1000 {
		bad("n_neighbors %d (want 2..1000)", o.NNeighbors)
	}
	if o.MinDist < 0 || math.IsNaN(o.MinDist) || math.IsInf(o.MinDist, 0) {
		bad("min_dist %v", o.MinDist)
	}
	if o.Spread < 0 || math.IsNaN(o.Spread) || math.IsInf(o.Spread, 0) {
		bad("spread %v", o.Spread)
	}
	// compare the values Fit uses: a zero MinDist is the default 0.1
	if md := minDistOr(o.MinDist); o.MinDist >= 0 && o.Spread >= 0 && md > spreadOr(o.Spread) {
		bad("min_dist %v above spread %v", md, spreadOr(o.Spread))
	}
	if o.Epochs < 0 || o.Epochs > 100_000 {
		bad("epochs %d", o.Epochs)
	}
	if o.NegativeRate < 0 || o.NegativeRate > 1000 {
		bad("negative sample rate %d", o.NegativeRate)
	}
	if o.LearningRate < 0 || math.IsNaN(o.LearningRate) || o.LearningRate > 100 {
		bad("learning rate %v", o.LearningRate)
	}
	if o.Repulsion < 0 || math.IsNaN(o.Repulsion) || o.Repulsion > 100 {
		bad("repulsion %v", o.Repulsion)
	}
	if o.Init > InitRandom {
		bad("init %d", uint8(o.Init))
	}
	if o.SpectralMax < 0 {
		bad("spectral max %d", o.SpectralMax)
	}
	if o.Threads < 0 || o.Threads > 1024 {
		bad("threads %d", o.Threads)
	}
	return errors.Join(errs...)
}

func minDistOr(d float64) float64 {
	if d == 0 {
		return DefaultMinDist
	}
	return d
}

func spreadOr(s float64) float64 {
	if s == 0 {
		return DefaultSpread
	}
	return s
}

// withDefaults fills zero fields; n is the number of points (0: unknown,
// epochs left at 0).
func (o Options) withDefaults(n int) Options {
	if o.NNeighbors == 0 {
		o.NNeighbors = DefaultNNeighbors
	}
	o.MinDist = minDistOr(o.MinDist)
	o.Spread = spreadOr(o.Spread)
	if o.Epochs == 0 && n > 0 {
		o.Epochs = 200
		if n <= 10_000 {
			o.Epochs = 500
		}
	}
	if o.NegativeRate == 0 {
		o.NegativeRate = DefaultNegativeRate
	}
	if o.LearningRate == 0 {
		o.LearningRate = DefaultLearningRate
	}
	if o.Repulsion == 0 {
		o.Repulsion = DefaultRepulsion
	}
	if o.SpectralMax == 0 {
		o.SpectralMax = DefaultSpectralMax
	}
	if o.Threads == 0 {
		o.Threads = runtime.GOMAXPROCS(0)
	}
	return o
}

// MarshalText writes the start's name, so JSON shows "spectral", not 1.
func (i Init) MarshalText() ([]byte, error) { return []byte(i.String()), nil }

// UnmarshalText reads a start's name as MarshalText writes it.
func (i *Init) UnmarshalText(b []byte) error {
	for c := InitAuto; c <= InitRandom; c++ {
		if c.String() == string(b) {
			*i = c
			return nil
		}
	}
	return fmt.Errorf("%w: init %q", ErrInvalid, b)
}
