package gnn

import "errors"

var (
	// ErrOptions is wrapped by Options.Validate's errors.
	ErrOptions = errors.New("gnn: invalid options")
	// ErrInput is wrapped by errors about unusable datasets (shapes that do
	// not agree, edges out of range, duplicate genes or names).
	ErrInput = errors.New("gnn: invalid input")
	// ErrFormat is wrapped by UnmarshalBinary's errors.
	ErrFormat = errors.New("gnn: invalid model bytes")
	// ErrDatasetExists is returned by AddDataset for a name the model has.
	ErrDatasetExists = errors.New("gnn: dataset exists")
)
