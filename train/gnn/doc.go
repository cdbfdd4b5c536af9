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
// of the positively weighted co-expression edges. Layers, with Options.Conv
// "gcn":
//
//	H1 = ReLU(Â_d · F_d · W_d + b_d)        dataset-specific (p_d → Hidden)
//	Hl = ReLU(Â_d · H(l-1) · W_l + b_l)     shared, all but the last
//	Z_d = Â_d · H · W_L + b_L               shared, last (→ Dim)
//
// so datasets may have any number of cells and genes. With Options.Conv
// "transformer" (the default) the shared layers are graph-transformer
// convolutions instead (PyG's TransformerConv with root weight, as MuSe-GNN;
// heads averaged), over the same graph (positive edges and self loops):
//
//	q_i, k_j, v_j = h_i·Wq, h_j·Wk, h_j·Wv
//	α_ij = softmax_{j ∈ N(i) ∪ {i}} (q_i·k_j / √out)
//	out_i = Σ_j α_ij v_j + h_i·Wskip + b
//
// followed by ReLU on all but the last layer. The dataset-specific input
// layer stays a GCN layer (it maps p_d profile values, which differ per
// dataset, and sees the graph once through Â_d). Losses, full batch:
//
//   - edge reconstruction: binary cross-entropy of σ(z_i·z_j) on positive
//     pairs and NegativeRatio× as many uniform random pairs, fresh each
//     epoch, per dataset. The positives are drawn from short weighted random
//     walks (DeepWalk/node2vec): as many walks as training edges, each
//     starting by crossing a random training edge and going on with
//     probability 1 − WalkRestart per step (next gene ∝ edge weight r), up
//     to WalkSteps steps; (start, end) is the pair. WalkRestart 1 trains on
//     the training edges themselves, each once per epoch;
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
// edges is kept out of the graph the network convolves over and out of the
// edge (BCE) loss (they still count in the neighbour sets whose Jaccard
// overlap weighs the cosine loss); training stops when their
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
// Forward and backward passes are written by hand over internal/f32's
// float32 matrix product (a packed AVX2/FMA kernel in Go assembly; gonum's
// Sgemm without AVX2) and a CSR sparse × dense kernel, and every gradient
// is checked against finite differences in the tests (grad_test.go). On
// peer_train.py's shape, one thread, a GCN epoch takes 0.36 CPU-s against
// PyTorch 1.13's 3.39 in the same run on an idle machine (0.60 against 1.21
// in an earlier, loaded run; BenchmarkEpochPeerShape). gorgonia, which
// the design names, measured 2.5–2.7 CPU-s on that epoch with a custom SpMM
// Op (gorgonia_test.go), so it is not on the hot path. Under the build tag
// netlib the products go to OpenBLAS (cgo; needs libopenblas-dev and
// CGO_LDFLAGS=-lopenblas): 0.34 CPU-s per epoch (0.53 in the loaded run).
//
// The shared layers are graph-transformer convolutions by default
// (Options.Conv "transformer", MuSe-GNN's choice; Heads 1); "gcn" gives GCN
// layers. Measured with the same seeds and data: on `genestore simulate`
// data (3 × 1,000 cells × 2,000 genes, 20 modules, rewire 0.3; train seeds 1
// and 2) the transformer matched the GCN's GO quality within seed noise
// (per-dataset GO AUROC 0.780/0.787 against 0.782/0.783, consensus
// 0.933/0.939 against 0.937/0.938, module ARI ≥ 0.998 for both), predicted
// co-expression edges a little less well (edge AUC 0.955/0.963 against
// 0.980/0.981) and mixed datasets far better (gene iLISI 0.73/0.63 against
// 0.26/0.27, batch ASW 0.75/0.65 against 0.52/0.54). On pbmc3k_sct283 +
// pbmc_small + hsmm_myoblast (edge positives, before walks; seeds 1–3) the per-dataset GO
// AUROC was the same (mean 0.524 against 0.525) and the consensus one within
// noise (0.515 against 0.520). A GCN was to be kept only if it measured as
// good; it does not on integration, the point of one shared gene space, so
// the transformer is the default. An epoch of the peer shape costs 0.75
// CPU-s against the GCN's 0.66 (one thread, same run). Heads > 1 is
// implemented and gradient-checked but was not measured.
//
// Module recovery on simulated data: with 2,000 or 400 cells per dataset
// every representation recovers the modules (ARI ≈ 1). With 100 cells per
// dataset the model clearly beats both per-dataset baselines
// (TestSimModuleRecoverySmallDatasets, training seeds 1–3: 0.89–0.91
// against PCA 0.79 and Pearson 0.62). Before walk positives (model
// version 2) it scored 0.91–0.95, and 0.84–0.92 without the cross-dataset
// losses, so both the graph layers and the pooling across datasets
// contribute.
//
// GO signal on small real data: on pbmc3k_sct283 + pbmc_small +
// hsmm_myoblast with human_go_bp.gmt, a model trained on the edges alone
// (WalkRestart 1, the behaviour before model version 3) scored per-dataset
// GO co-annotation AUROC 0.544 against the PCA and Pearson-row baselines'
// 0.559/0.560, and 0.526 against 0.531/0.532 on the consensus vectors. The
// binary edge target makes all of a gene's neighbours equally close and
// says nothing of genes two or more steps apart, while the GO signal of the
// graph lies in its neighbourhoods: rows of positive-part correlations
// scored 0.575 and random-walk-with-restart rows 0.581, against Pearson
// rows' 0.559. Walk positives carry that neighbourhood into the loss. With
// the defaults (restart 0.1, 40 steps), train seeds 1–3 × eval seeds 0–1:
// per-dataset GO AUROC 0.570–0.583 against PCA 0.559–0.562 and Pearson
// 0.560, consensus 0.537–0.543 against 0.531–0.533 and 0.532–0.537, gene
// iLISI 0.65–0.67 (TestRealDataGOAboveBaselines in pipeline checks
// seed 1). kNN GO-term prediction AUROC stays a little below the baselines
// (0.548 against 0.558/0.557). Restart 0.05 scored higher still on the
// real data (0.573–0.591) but lowered module ARI on the simulator, so it
// is not the default. Tried and not kept: an MLP input layer, walks that
// jump between datasets through shared genes, a higher cosine weight, and
// (before walks) a correlation-preserving loss, a cosine edge decoder,
// top-k 5–30, Dim 64/128, one-hot inputs, r-weighted BCE, two-hop edges
// and a CS-CORE-style estimator for the graphs of counts datasets (each
// within ±0.01 of the edge-only model).
//
// Training is deterministic for a given Seed and input, whatever GOMAXPROCS:
// parallel kernels split work by rows and never share an output.
// Negative-weight co-expression edges are ignored by the model.
//
// IMPORTANT: MarshalBinary stores each dataset's vectors and positive edges
// with the weights (they are needed to append later), so a model grows with
// the number of genes and edges, not only with the weights.
package gnn
