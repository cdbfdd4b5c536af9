package prep

import "errors"

var (
	// ErrValueType is returned for a value type this package does not know.
	ErrValueType = errors.New("prep: unknown value type")
	// ErrInput is wrapped by errors about malformed or unsuitable input
	// (negative values, too few cells or genes, shape mismatches).
	ErrInput = errors.New("prep: invalid input")
	// ErrOptions is wrapped by the Validate methods' errors.
	ErrOptions = errors.New("prep: invalid options")
)
