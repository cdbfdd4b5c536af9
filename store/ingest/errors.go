package ingest

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by Read wraps exactly one of them
// (check with errors.Is) and names the file and the line (text formats) or the
// HDF5 object path (h5ad, 10x h5) where the problem was found.
var (
	// ErrFormat: the bytes do not follow the format (bad header, unparsable
	// number, truncated gzip, wrong HDF5 object type or shape, ...).
	ErrFormat = errors.New("ingest: malformed input")
	// ErrDuplicate: a barcode, a feature id, an obs column or a matrix
	// coordinate occurs twice.
	ErrDuplicate = errors.New("ingest: duplicate")
	// ErrValue: a matrix value is NaN, infinite, negative, or not an integer
	// in a counts matrix.
	ErrValue = errors.New("ingest: bad value")
	// ErrMismatch: two parts of the input disagree (size line vs entries,
	// barcodes vs matrix columns, obs barcodes vs matrix barcodes, ...).
	ErrMismatch = errors.New("ingest: mismatch")
	// ErrEmpty: the matrix has no cells, no genes or no stored values.
	ErrEmpty = errors.New("ingest: empty matrix")
	// ErrLimit: a declared size exceeds Options.MaxDim or Options.MaxNNZ.
	ErrLimit = errors.New("ingest: size limit exceeded")
	// ErrOptions: Options.Validate found a problem.
	ErrOptions = errors.New("ingest: invalid options")
)

// errLine builds an error for a text input: "<sentinel>: <file>:<line>: <msg>".
// A line of 0 means the file as a whole.
func errLine(sentinel error, file string, line int64, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if line <= 0 {
		return fmt.Errorf("%w: %s: %s", sentinel, file, msg)
	}
	return fmt.Errorf("%w: %s:%d: %s", sentinel, file, line, msg)
}

// errObj builds an error for an HDF5 input: "<sentinel>: <file>: <object>: <msg>".
func errObj(sentinel error, file, object string, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s: %s", sentinel, file, object, fmt.Sprintf(format, args...))
}
