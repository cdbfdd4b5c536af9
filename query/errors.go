package query

import "errors"

// Sentinel errors. Functions wrap them with %w and add the name concerned;
// test with errors.Is.
var (
	// ErrNotFound: the gene, cell, dataset, space, clustering, cluster or
	// collection asked for does not exist.
	ErrNotFound = errors.New("query: not found")
	// ErrInvalid: a request is malformed (k out of range, unknown space, a
	// dataset both restricted to and excluded, ...).
	ErrInvalid = errors.New("query: invalid request")
	// ErrModelMismatch: the vectors a query would compare were made by
	// different model versions.
	ErrModelMismatch = errors.New("query: model versions differ")
	// ErrNotComputed: something derived (a clustering, a regulatory
	// network) that does not exist yet was asked for, without permission to
	// compute it (read-only use, e.g. the server). The wrapping error says
	// what and how to compute it.
	ErrNotComputed = errors.New("query: not computed")
	// ErrAmbiguous: a name matches several things ignoring letter case
	// (AHNAK and Ahnak in a human + mouse store) and none exactly. An error
	// that is ErrAmbiguous is also ErrInvalid (a 400 over HTTP).
	ErrAmbiguous error = ambiguous{}
	// ErrNoLayer: a dataset has no derived layer of the name asked for
	// (Layers.LayerGene). An error that is ErrNoLayer is also ErrNotFound.
	ErrNoLayer error = noLayer{}
)

type noLayer struct{}

func (noLayer) Error() string        { return "query: no such layer" }
func (noLayer) Is(target error) bool { return target == ErrNotFound }

type ambiguous struct{}

func (ambiguous) Error() string        { return "query: ambiguous name" }
func (ambiguous) Is(target error) bool { return target == ErrInvalid }
