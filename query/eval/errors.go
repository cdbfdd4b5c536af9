package eval

import "errors"

// Sentinel errors, wrapped with %w and a description; test with errors.Is.
var (
	// ErrInvalidInput reports inputs whose lengths or values do not fit
	// together (label slices of different lengths, a vector block of the
	// wrong size, NaN scores, out-of-range neighbour ids).
	ErrInvalidInput = errors.New("eval: invalid input")
	// ErrUndefined reports a metric that is undefined for the input, such as
	// an AUROC without positives or without negatives.
	ErrUndefined = errors.New("eval: metric undefined")
)
