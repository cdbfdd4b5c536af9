// Package baseline holds the reference embeddings that learned models are
// measured against. Today that is PCA of log-normalised expression.
//
// # Basics
//
// PCA takes a cells × genes CSR of already normalised and log-transformed
// values (for example log1p of counts scaled to 10,000 per cell) and returns
// the top k principal components: cell scores (cells × k), gene loadings
// (genes × k, unit-norm columns) and the variance each component explains.
// Genes are centred implicitly: the sparse matrix is never densified, so the
// cost is O(nnz · l · passes) with l = k + oversampling.
//
// The decomposition is a randomized subspace iteration (Halko, Martinsson &
// Tropp 2011, algorithm 4.4) with QR re-orthonormalisation after every
// product, computed in float64, followed by an exact SVD of the small
// projected matrix. With the default oversampling and power iterations the
// leading components agree with an exact SVD to about 1e-6 relative error on
// data whose spectrum decays like single-cell data does (see the tests).
//
// # Caveats
//
//   - Results are reproducible for a given seed. The sign of each component is
//     fixed so that its largest-magnitude gene loading is positive.
//   - Genes are not scaled to unit variance (as Seurat's ScaleData would do):
//     scale them beforehand if that is wanted.
//   - k must be ≤ min(cells, genes); ErrShape is returned otherwise.
package baseline
