package cluster

import (
	"errors"
	"fmt"
	"math"
)

// Method selects the community detection algorithm.
type Method int

const (
	// Leiden is the algorithm of Traag, Waltman & van Eck (2019): fast local
	// moving, refinement into well-connected sub-communities, aggregation of
	// the refined partition. It is the default.
	Leiden Method = iota
	// Louvain is the algorithm of Blondel et al. (2008): repeated passes of
	// local moving over a random node order, then aggregation.
	Louvain
)

// String returns "leiden" or "louvain".
func (m Method) String() string {
	switch m {
	case Leiden:
		return "leiden"
	case Louvain:
		return "louvain"
	default:
		return fmt.Sprintf("Method(%d)", int(m))
	}
}

// ParseMethod maps "leiden" or "louvain" to a Method.
func ParseMethod(s string) (Method, error) {
	switch s {
	case "leiden", "":
		return Leiden, nil
	case "louvain":
		return Louvain, nil
	}
	return 0, fmt.Errorf("%w: unknown method %q (want leiden or louvain)", ErrInvalidOptions, s)
}

// MaxIterations bounds the number of full runs when Options.Iterations is 0.
const MaxIterations = 10

// Options configure Cluster. The zero value is valid and means the same as
// DefaultOptions.
type Options struct {
	// Method is the algorithm; the zero value is Leiden.
	Method Method
	// Resolution is γ in the modularity Q = 1/2m Σ_ij [A_ij − γ k_i k_j / 2m] δ(c_i, c_j).
	// Larger values give more, smaller communities. 0 means 1.
	Resolution float64
	// Randomness is Leiden's θ: in the refinement phase a node joins a
	// sub-community T with probability ∝ exp(ΔH/θ), ΔH in units of edge
	// weight (as igraph's beta). 0 means 0.01, which for unit edge weights
	// is almost greedy. Ignored by Louvain.
	Randomness float64
	// Iterations is the number of full runs, each starting from the previous
	// partition. 0 means: repeat until a run no longer raises the modularity
	// (at most MaxIterations runs).
	Iterations int
	// Seed seeds the node orders and Leiden's refinement: a PCG
	// (math/rand/v2) with state (Seed, 0). The same seed gives the same
	// partition every time.
	Seed uint64
}

// DefaultOptions returns Leiden at resolution 1, θ = 0.01, iterate until stable.
func DefaultOptions() Options {
	return Options{Method: Leiden, Resolution: 1, Randomness: 0.01, Iterations: 0}
}

// Validate reports every problem with o at once.
func (o Options) Validate() error {
	var errs []error
	if o.Method != Leiden && o.Method != Louvain {
		errs = append(errs, fmt.Errorf("%w: unknown method %d", ErrInvalidOptions, int(o.Method)))
	}
	if o.Resolution < 0 || math.IsNaN(o.Resolution) || math.IsInf(o.Resolution, 0) {
		errs = append(errs, fmt.Errorf("%w: resolution %v must be finite and ≥ 0", ErrInvalidOptions, o.Resolution))
	}
	if o.Randomness < 0 || math.IsNaN(o.Randomness) || math.IsInf(o.Randomness, 0) {
		errs = append(errs, fmt.Errorf("%w: randomness %v must be finite and ≥ 0", ErrInvalidOptions, o.Randomness))
	}
	if o.Iterations < 0 {
		errs = append(errs, fmt.Errorf("%w: iterations %d must be ≥ 0", ErrInvalidOptions, o.Iterations))
	}
	return errors.Join(errs...)
}

func (o Options) withDefaults() Options {
	if o.Resolution == 0 {
		o.Resolution = 1
	}
	if o.Randomness == 0 {
		o.Randomness = 0.01
	}
	return o
}
