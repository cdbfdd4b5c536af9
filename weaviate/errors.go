package weaviate

import "errors"

// Errors of this package; wrapped with detail, checked with errors.Is.
var (
	// ErrInvalid: a bad argument (URL, option, vector).
	ErrInvalid = errors.New("weaviate: invalid")
	// ErrAuth: the server refused the credentials (401 or 403).
	ErrAuth = errors.New("weaviate: not authorised (check --token)")
	// ErrNotFound: the collection, alias or sync state asked for is absent.
	ErrNotFound = errors.New("weaviate: not found")
	// ErrMismatch: the cluster holds other objects than the store says it
	// should after a sync (counts per dataset differ).
	ErrMismatch = errors.New("weaviate: cluster and store disagree")
	// ErrChanged: the space's vectors changed in the store while a sync
	// read them (a retrain or an append committed meanwhile); the alias
	// and the sync state were left as they were. Sync again.
	ErrChanged = errors.New("weaviate: the space changed during the sync")
)
