// Package train is the root of genestore's model training code. It holds no
// code itself; its subpackages are:
//
//   - prep: quality control, normalisation, highly variable genes and
//     co-expression graphs (Pearson, significance + top-k) shared by every
//     model, and the Pearson-row baseline.
//   - gnn: the gene-embedding model (MuSe-GNN recipe: dataset-specific input
//     layers, shared graph layers over co-expression graphs, edge
//     reconstruction + cross-dataset cosine + InfoNCE losses, consensus
//     vectors, append with frozen shared layers).
//   - vae: the cell model (conditional VAE across batches).
//   - sim: a simulator with ground truth (gene modules, cell types, batch
//     effects) for tests and benchmarks.
//   - baseline: PCA (cell scores and gene loadings) the models are measured
//     against.
//   - optim: the one optimiser (Adam) and parameter type the models share.
//   - grn: regulatory-network inference across views (the DeepMCL model;
//     grn/classic: GENIE3, CLR, partial correlation and their ensemble).
//   - expr: prediction of unmeasured genes from landmark genes (D-GEX MLP,
//     ridge-CV, kNN, least squares, chosen per gene on validation).
//   - fromgenes: cells embedded from the gene vectors of the genes they
//     express (GenePT-w; per-dataset z-scores), with no training.
//
// train returns vectors and weights; it imports neither the store nor its
// format readers (shared names come from package vocab), so no model links
// the HDF5 reader.
//
// # gorgonia caveats
//
// Only train/... may import gorgonia.org/gorgonia (v0.9.18, with
// gorgonia.org/tensor v0.9.24). It panics at start under Go ≥ 1.20 unless
// go4.org/unsafe/assume-no-moving-gc is pinned at
// v0.0.0-20231121144256-b99613f794b6 (go.mod does). It has no sparse
// operations (write CSR × dense as a custom Op with its gradient), no
// gather/scatter-add and no lgamma/digamma; batch shapes are fixed when the
// graph is built; gradients accumulate across RunAll calls until a solver
// step; reading values with G.Read into a struct that also holds the VM
// leaks the whole model (read node.Value() after RunAll instead); it
// allocates tens of MiB per step and runs element-wise ops on one thread.
// Where the measured cost mattered, models here use hand-written gradients
// over the float32 GEMM of internal/f32 (a packed AVX2/FMA kernel; gonum's
// Sgemm without AVX2), each checked against finite differences in the tests.
// Today no production path uses gorgonia: it runs only in _test.go files, as
// an independent oracle (train/vae's lgamma/digamma op, train/gnn's
// comparison), so the genestore binary does not link it.
//
// OpenBLAS (gonum.org/v1/netlib, cgo) is only used behind the build tag
// netlib: apt-get install -y libopenblas-dev, then build with
// CGO_LDFLAGS=-lopenblas -tags netlib. The default build is pure Go.
package train
