package index

import "errors"

// Sentinel errors. Functions wrap them with %w and a detail; test with errors.Is.
var (
	// ErrOptions reports invalid Options or SearchOptions.
	ErrOptions = errors.New("index: invalid options")
	// ErrDimension reports a vector whose length is not the index dimension.
	ErrDimension = errors.New("index: dimension mismatch")
	// ErrVector reports a vector that cannot be indexed: NaN or infinite
	// elements, or an all-zero vector under the cosine metric.
	ErrVector = errors.New("index: invalid vector")
	// ErrKeyExists reports an Add of a key that is already live in the index.
	ErrKeyExists = errors.New("index: key exists")
	// ErrNotFound reports a key that is not live in the index.
	ErrNotFound = errors.New("index: key not found")
	// ErrFull reports that the index reached its capacity of internal ids
	// (2^32 − 1 nodes, tombstones included; Compact frees them).
	ErrFull = errors.New("index: full")
	// ErrSnapshot reports a snapshot that cannot be decoded: bad magic,
	// unsupported version, inconsistent fields, truncation or a CRC mismatch.
	ErrSnapshot = errors.New("index: bad snapshot")
)
