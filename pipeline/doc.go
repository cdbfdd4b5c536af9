// Package pipeline runs genestore's multi-step jobs against a store: training
// the gene and cell models from the matrices the store holds (TrainGenes,
// TrainCells), writing their vectors, weights, co-expression edges and
// provenance, keeping each embedding space's HNSW index in step, appending a
// dataset to trained models without retraining them (Append), scoring
// the embeddings against baselines (EvalGenes, EvalCells), and loading
// gene-set collections and alias maps (LoadAnnotations, Collections).
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
//	              consensus vectors under (vocab.Consensus, gene id)
//	"cells"       cell embeddings under (dataset id, cell row)
//	"cell-genes"  gene vectors in the cell latent space, under
//	              (vocab.Consensus, gene id): by default (non-linear decoder)
//	              the ridge-regression coefficients of each gene's centred
//	              log expression on the cells' latent means; with a linear
//	              decoder, its weights
//
// Space, blob and model names come from package vocab. Model weights are
// blobs of kind "model" named "genes" and "cells"; index snapshots are blobs
// of kind "index" named after their space (package vecindex).
//
// # Caveats
//
// Retraining a model replaces its spaces wholesale: vectors of different
// model versions are never mixed in one space. Append adds to a space under
// the same model version instead (the shared layers it was computed with are
// unchanged), inside one write transaction that also holds the training of
// the new parts: readers keep answering from the last commit meanwhile, and
// another writer waits.
//
// Two writers in one process: bbolt serialises their transactions, but work
// done before a transaction can go stale. Append re-checks the index it
// loaded inside its transaction (vecindex.Current); a retrain that finds its
// space changed since it began (an append committed meanwhile) fails with
// ErrConflict and writes nothing rather than drop the new vectors. Writers in
// different processes cannot interleave: the store's file lock admits one.
package pipeline
