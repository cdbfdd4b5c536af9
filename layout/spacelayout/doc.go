// Package spacelayout computes, stores and extends the UMAP layout of a
// store's embedding space: it reads the space's vectors, takes each
// vector's nearest neighbours from the space's HNSW index (package
// vecindex: its layer-0 lists refined by cluster.RefineKNN, as the
// clustering queries do, with an index search for any vector left short),
// runs layout.Fit and
// saves the result as the blob "layout"/<space> (byte layout: layout.Encode)
// stamped with the space's generation and model version.
//
// # Basics
//
// Compute reads in short transactions, computes with no lock held and
// writes in one Update that first checks the space has not moved since
// (ErrConflict otherwise). Load reads a stored layout; Extend, called
// inside a write transaction that added vectors, places the new ones
// with layout.Transform against the fixed layout and restamps it.
//
// Which vectors: for cells, every dataset's; for genes, the consensus
// vectors when there are any, else every set. All must share one model
// version.
//
// # Caveats
//
//   - A layout whose generation differs from its space's is stale: vectors
//     were written since (retraining, or an append of genes, which Extend
//     does not place). Plots say so; `genestore layout` recomputes.
//   - Distances are cosine distances of the float vectors: the refine pass
//     computes them, and searches of an int8 index re-rank their beam with
//     the floats (the points' own, or the store's inside Extend). The PCA
//     start uses the unit-normalised vectors.
package spacelayout
