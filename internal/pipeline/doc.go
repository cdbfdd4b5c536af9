// Package pipeline runs genestore's multi-step jobs against a store: training
// the gene and cell models from the matrices the store holds, writing their
// vectors, weights, co-expression edges and provenance, and keeping each
// embedding space's HNSW index in step.
//
// # Basics
//
// Every job reads what it needs in short read transactions, computes outside
// any transaction, and commits all its results in ONE write transaction
// (vectors, model weights, edges, provenance and the index snapshots), so a
// job that fails or whose process dies leaves the store exactly as it was, and
// readers see either the old results or the new ones, never a mixture.
//
// # Spaces
//
//	"genes"       gene embeddings: per dataset under (dataset id, global gene id),
//	              consensus vectors under (store.Consensus, gene id)
//	"cells"       cell embeddings under (dataset id, cell row)
//	"cell-genes"  the cell model's linear-decoder loadings: gene vectors in the
//	              cell latent space, under (store.Consensus, gene id)
//
// Model weights are blobs of kind "model" named "genes" and "cells"; index
// snapshots are blobs of kind "index" named after their space (package
// vecindex).
//
// # Caveats
//
// Retraining a model replaces its spaces wholesale: vectors of different
// model versions are never mixed in one space. Append (a later job) adds to a
// space under the same model version instead.
package pipeline
