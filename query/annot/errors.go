package annot

import "errors"

// Sentinel errors, wrapped with %w; test with errors.Is.
var (
	// ErrParse reports a malformed GMT or GAF line. The message names the
	// file and the 1-based line: "annot: parse error: go.gmt:12: ...".
	ErrParse = errors.New("annot: parse error")
	// ErrInvalidInput reports arguments that do not fit together.
	ErrInvalidInput = errors.New("annot: invalid input")
)
