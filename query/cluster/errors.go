package cluster

import "errors"

// Sentinel errors. Functions wrap them with %w and a description of the
// offending input; test with errors.Is.
var (
	// ErrInvalidGraph reports a graph that is not square, not symmetric, has
	// negative or non-finite weights, or breaks the CSR invariants.
	ErrInvalidGraph = errors.New("cluster: invalid graph")
	// ErrInvalidOptions reports an Options or GraphOptions value that fails Validate.
	ErrInvalidOptions = errors.New("cluster: invalid options")
	// ErrInvalidInput reports vectors, neighbour lists or labels whose shapes
	// or values do not fit together.
	ErrInvalidInput = errors.New("cluster: invalid input")
)
