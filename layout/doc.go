// Package layout computes two-dimensional maps of embedding spaces with UMAP
// (McInnes, Healy & Melville 2018, "UMAP: Uniform Manifold Approximation and
// Projection for Dimension Reduction", arXiv:1802.03426), following
// umap-learn 0.5 step for step, and keeps them as versioned records.
//
// # Basics
//
// The input is a kNN graph: for each of n points the indices and distances
// of its nearest neighbours, the point itself excluded (genestore builds it
// from a space's HNSW index, see package layout/spacelayout). Fit then
//
//  1. builds the fuzzy simplicial set: per point, ρ is the distance to the
//     nearest neighbour and σ is found by binary search so that
//     Σ_j exp(−(d_j − ρ)/σ) = log2(k + 1) over its k listed neighbours
//     (log2(NNeighbors) when the lists are full); the membership of edge i→j is
//     exp(−(d_ij − ρ_i)/σ_i), and the graph is symmetrised by fuzzy union
//     w = a + b − ab (FuzzyGraph);
//  2. drops edges lighter than max weight / epochs, as umap-learn does;
//  3. initialises the coordinates with the two leading non-trivial
//     eigenvectors of the normalised Laplacian I − D^−½ A D^−½ (subspace
//     iteration on the sparse graph, Rayleigh–Ritz with gonum), or with the
//     first two principal components of the vectors when the graph is
//     disconnected or larger than Options.SpectralMax, scaled to [0, 10];
//  4. runs umap-learn's SGD: each edge is sampled in proportion to its
//     weight, pulls both ends together with the gradient of
//     log(1/(1 + a d^2b)), and each sample pushes its head away from
//     NegativeRate random points with the gradient of log(1 − 1/(1 + a d^2b)),
//     every coordinate step clipped to ±4, the learning rate decaying
//     linearly to 0. a and b are fitted to MinDist and Spread by least
//     squares on the same curve as umap-learn (FitAB: a ≈ 1.577, b ≈ 0.895
//     for min_dist 0.1, spread 1).
//
// Epochs default to umap-learn's choice: 500 for up to 10,000 points, 200
// above.
//
// Transform places new points against a fixed layout (umap-learn's
// transform): memberships to their neighbours in the layout, a start at the
// weighted mean of the neighbours' coordinates, then the same SGD moving
// only the new points, for a third of the epochs at a quarter of the
// learning rate.
//
// All randomness comes from the rand.Source passed in.
//
// # Determinism and threads
//
// With Options.Threads = 1 the SGD is umap-learn's sequential loop, updated
// in place: the same seed gives the same coordinates bit for bit. With T > 1
// threads the edges (in head order) are split into T equal runs (a point's
// edges may fall in two runs), and each epoch
// runs in steps of 32,768 edges per thread: within a step every thread
// reads the coordinates as they were at the step's start plus its own
// changes (negative samples: as at the step's start), and the changes are
// merged in thread order between steps. That is deterministic for a given
// seed and thread count (umap-learn's parallel mode is not), but differs
// from the one-thread result. Graphs under 20,000 points always use one
// thread.
//
// # Stored layouts
//
// A Layout (keys, coordinates, parameters, and the space generation and
// model version they were computed from) is encoded by Encode and read back
// by Decode; the byte layout is documented on Encode.
//
// # Caveats
//
//   - umap-learn lays out each connected component separately and arranges
//     them (multi_component_layout); Fit starts from PCA instead, which
//     keeps components apart when their vectors are.
//   - The fuzzy graph uses local_connectivity 1, set_op_mix_ratio 1 and no
//     densMAP term, umap-learn's defaults.
package layout
