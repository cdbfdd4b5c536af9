// Package eval holds the metrics genestore reports for its embedding
// spaces: integration metrics for cells (as scIB), function metrics for
// genes (as MuSe-GNN), and plain classification scores.
//
// # Definitions
//
// Cell-space metrics follow scIB (Luecken et al. 2022, "Benchmarking
// atlas-level data integration in single-cell genomics", Nat. Methods
// 19:41–50; github.com/theislab/scib, metrics/):
//
//   - ARI: adjusted Rand index (sklearn adjusted_rand_score).
//   - NMI: mutual information over the arithmetic mean of the entropies
//     (sklearn normalized_mutual_info_score, average_method="arithmetic").
//     scIB takes the best NMI over a Leiden resolution sweep: the caller does
//     that with cluster.Sweep.
//   - LabelASW: (silhouette over true labels + 1)/2.
//   - BatchASW: per label, mean over its items of 1 − |silhouette with batch
//     as the cluster|, then the mean over labels (scIB silhouette_batch).
//   - ILISI: median over items of the inverse Simpson index of batches in the
//     perplexity-weighted neighbourhood (harmony's LISI), scaled as
//     (median − 1)/(batches − 1) (scIB ilisi_graph, scale=True).
//   - GraphConnectivity: per label, the share of its items in the largest
//     connected component of the kNN graph restricted to it; mean over labels.
//
// Silhouettes use Euclidean distance, as scIB (sklearn's default), unless the
// caller asks for cluster.Cosine (1 − cosine similarity).
//
// AUROC is the Mann–Whitney statistic with ties counted one half; Accuracy
// and MacroF1 (labels = union of true and predicted, F1 = 0 for a label
// never both) compare label vectors; KNNTransfer predicts labels by
// majority of the k nearest reference vectors.
//
// # Caveats
//
//   - Silhouettes are exact and cost O(n² dim) (blocked float32 gemm over
//     GOMAXPROCS goroutines): subsample above a few tens of thousands of
//     items, as scIB users do.
//   - ILISI takes neighbour lists, not vectors: build them with cluster.KNN
//     (k = 90 for scIB's perplexity 30) or from an index. Self is expected
//     to be absent from the lists; distances are used as given (harmony uses
//     Euclidean distances, not squared).
//   - Labels are ints; Codes turns string labels into codes.
package eval
