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
// Gene-space metrics follow issue 4 and MuSe-GNN (Liu et al. 2023,
// "MuSe-GNN: Learning Unified Gene Representation From Multimodal Biological
// Graph Data", NeurIPS; github.com/HelloWorldLTY/MuSe-GNN, file
// "benchmark/benchmark metrics.py", read for the definitions below). In
// MuSe-GNN an entry is one (gene, dataset) vector and clusters come from
// Leiden on the gene space:
//
//   - GOCoAnnotationAUROC: cosine similarity of gene pairs sharing a term of
//     10–200 genes against random annotated pairs sharing no term (sampled,
//     seeded).
//   - KNNGOPredictionAUROC: terms predicted from the k nearest annotated
//     genes (similarity-weighted vote), AUROC over all gene × term pairs.
//   - EdgeAUC: MuSe-GNN's "AUC": per dataset, sigmoid(cosine) of all gene
//     pairs against that dataset's co-expression adjacency; the caller
//     averages over datasets.
//   - GeneBatchASW: scIB silhouette_batch on the entries of genes present in
//     every dataset (CommonEntries), batches = datasets, labels = clusters.
//     MuSe-GNN's iLISI and graph connectivity use the same common entries:
//     pass that subset to ILISI and GraphConnectivity.
//   - CommonRatio: MuSe-GNN's calculate_common_gene_propertion — per
//     cluster, 1 − (distinct genes)/(entries), weighted by cluster size:
//     Σ_c (n_c − u_c)/N. My reading: it rewards clusters where the same gene
//     from several datasets lands together; it is 0 when every cluster holds
//     each gene at most once, and at most 1 − (genes/entries).
//   - ShareOverlap: MuSe-GNN's calculate_common_neighbor_ovarlap — per
//     cluster, the mean Jaccard index between the co-expression neighbour
//     sets (by gene name) of every pair of its entries from different
//     datasets (g1 in d1's graph, g2 in d2's; g1 and g2 may differ),
//     weighted by cluster size. MuSe-GNN loops over all ordered pairs; the
//     mean is the same over unordered pairs, which is what is computed,
//     sampled above ShareOptions.MaxPairs per cluster.
//
// AUROC is the Mann–Whitney statistic with ties counted one half; Accuracy
// and MacroF1 (labels = union of true and predicted, F1 = 0 for a label
// never both) compare label vectors; KNNTransfer predicts labels by
// majority of the k nearest reference vectors.
//
// Regulatory-network metrics (GRN) follow BEELINE (Pratapa et al. 2020,
// Nat. Methods 17:147–154; github.com/Murali-group/Beeline, BLEval/): over
// all ordered pairs of distinct reference genes, unpredicted pairs scoring
// lowest, AUROC, AUPRC (sklearn's average precision; BEELINE's trapezoid
// area over the PR curve is reported beside it), AUPRC ratio = AUPRC /
// edge density, early precision (top-k, k = true edges, ties kept as
// BEELINE keeps them after rounding |scores| to 6 decimals) and EPR = early
// precision / density. Signed evaluation also asks the sign to match.
// Early precision is BEELINE's TFEdges=False form (every ordered pair, as
// for its simulated networks and as issue 18 asks); BEELINE's default for
// real reference networks (TFEdges=True) keeps only predictions from the
// reference's regulators and divides by regulators × genes, so its EPR
// differs (on truth 0→1, 0→2, 1→3 and predictions 2→3, 0→1, 1→3, 0→3:
// 2.67 here, 1.33 there). The AUPRC ratio divides average precision, not
// BEELINE's trapezoid area, by the density.
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
//   - The GO metrics treat a gene set collection as [][]string (each term's
//     genes); term size is counted in the collection, not in the embedding.
//     Negative pairs must share no term of any size, and both genes must be
//     annotated with some kept term, so that unannotated genes (unknown
//     function) do not pose as negatives.
//   - KNNGOPredictionAUROC is micro-averaged over gene × term pairs, so
//     popular terms weigh more; random vectors score a little above 0.5
//     (0.535 on 3,000 GO-annotated genes): compare against baselines.
package eval
