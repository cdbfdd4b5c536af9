// Package gnn trains gene embeddings shared across datasets, following the
// MuSe-GNN recipe (Liu et al. 2023): one vector per (gene, dataset) from a
// graph neural network over that dataset's co-expression graph, pulled
// together across datasets where the same gene has the same neighbours, plus
// one consensus vector per gene.
//
// # Model
//
// For dataset d with n_d genes, the input is each gene's expression profile
// over the cells (F_d, n_d × p_d; above Options.MaxProfile cells the cells
// are summed into MaxProfile metacells by a seeded random partition, which
// keeps gene–gene correlations in expectation; each profile is then
// standardised). Â_d = D^-1/2 (A_d + I) D^-1/2 is the normalised adjacency
// of the positively weighted co-expression edges. Layers:
//
//	H1 = ReLU(Â_d · F_d · W_d + b_d)        dataset-specific (p_d → Hidden)
//	Hl = ReLU(Â_d · H(l-1) · W_l + b_l)     shared, all but the last
//	Z_d = Â_d · H · W_L + b_L               shared, last (→ Dim)
//
// so datasets may have any number of cells and genes. With Options.Conv
// "transformer" the shared layers are graph-transformer convolutions instead
// (PyG's TransformerConv with root weight, as MuSe-GNN; heads averaged), over
// the same graph (positive edges and self loops):
//
//	q_i, k_j, v_j = h_i·Wq, h_j·Wk, h_j·Wv
//	α_ij = softmax_{j ∈ N(i) ∪ {i}} (q_i·k_j / √out)
//	out_i = Σ_j α_ij v_j + h_i·Wskip + b
//
// followed by ReLU on all but the last layer. The dataset-specific input
// layer stays a GCN layer (it maps p_d profile values, which differ per
// dataset, and sees the graph once through Â_d). Losses, full batch:
//
//   - edge reconstruction: binary cross-entropy of σ(z_i·z_j) on the
//     training edges and NegativeRatio× as many uniform random pairs, fresh
//     each epoch, per dataset;
//   - cross-dataset cosine: for each pair of datasets and each gene both
//     have, w_g·(1 − cos(z_a,g, z_b,g)) with w_g the Jaccard overlap of the
//     gene's neighbour sets in the two graphs (global gene ids), divided by
//     Σ w_g; weight CosineWeight;
//   - InfoNCE: symmetric cross-entropy of cos(z_a,i, z_b,j)/Temperature with
//     the same gene as the positive, over the shared genes (a seeded sample
//     of ContrastGenes per epoch above that); weight ContrastWeight (0.01,
//     τ 0.07 as MuSe-GNN).
//
// Adam (β 0.9/0.999) updates every weight. A HoldOut share of each graph's
// edges is kept out of the graph and the loss; training stops when their
// BCE (against fixed random pairs) has not improved for Patience epochs and
// the best parameters are kept.
//
// Consensus vectors: the √cells-weighted mean of a gene's unit vectors over
// the datasets that have it, renormalised (see Model.Consensus).
//
// Append: Model.AddDataset trains only a new dataset-specific layer with the
// shared layers frozen and the existing vectors as constants in the
// cross-dataset losses, so existing vectors stay byte-identical.
//
// # Caveats
//
// Forward and backward passes are written by hand over gonum's float32 BLAS
// and a CSR sparse × dense kernel, and every gradient is checked against
// finite differences in the tests (grad_test.go). gorgonia, which the design
// names, was measured on the same full-batch epoch (peer_train.py's shape,
// 1 thread, busy machine): 2.70 CPU-s per epoch with a custom SpMM Op
// (gorgonia_test.go) against 1.63–1.65 by hand, so it is not on the hot
// path. Under the build tag netlib, BLAS calls go to OpenBLAS (cgo; needs
// libopenblas-dev and CGO_LDFLAGS=-lopenblas): 0.56 CPU-s per epoch.
//
// The shared layers are GCN convolutions unless Options.Conv asks for the
// graph transformer; the two have not been compared yet.
//
// Training is deterministic for a given Seed and input, whatever GOMAXPROCS:
// parallel kernels split work by rows and never share an output.
// Negative-weight co-expression edges are ignored by the model.
//
// IMPORTANT: MarshalBinary stores each dataset's vectors and positive edges
// with the weights (they are needed to append later), so a model grows with
// the number of genes and edges, not only with the weights.
package gnn
