// Package prep turns one dataset's expression matrix into what the gene
// model trains on: quality control, normalisation, highly variable genes and
// a signed co-expression graph.
//
// # Basics
//
// Every function takes a cells × genes [sparse.CSR] and, where it matters, the
// [vocab.ValueType] the reader declared for it:
//
//   - [QC] returns the cells and genes to keep (genes seen in too few cells,
//     cells with too few detected genes).
//   - [Normalize] scales counts to a common depth and applies log1p; normalised
//     input (CPM, TPM, FPKM) only gets log1p; log input is copied unchanged.
//   - [HVG] ranks genes as scanpy does: the "seurat_v3" flavour (variance of
//     clipped, standardised raw counts after a loess fit of log variance on log
//     mean) for counts, the "seurat" flavour (binned normalised dispersion) for
//     normalised or log values.
//   - [Coexpression] computes Pearson correlations between the columns of a
//     normalised matrix with a blocked dense float32 gemm on standardised
//     columns, and keeps a pair when it is significant (Fisher z, Benjamini–
//     Hochberg or Bonferroni over all pairs), |r| ≥ MinAbsR, and it is among
//     either gene's TopK partners by |r|. Edges keep their sign.
//   - [PearsonRows] gives each gene its full row of correlations: the
//     co-expression baseline the gene-embedding evaluation compares against.
//
// # Caveats
//
// The loess fit of the seurat_v3 flavour is evaluated exactly (local quadratic,
// tricube weights, span 0.3) at up to 512 anchor points spread over the sorted
// log means and linearly interpolated between them; scanpy (through skmisc)
// interpolates on a k-d tree instead, so standardised variances agree to a few
// percent and the chosen genes almost always coincide, but not bit for bit.
//
// Coexpression and PearsonRows build a dense standardised copy of the matrix
// (cells × genes float32). Above CoexprOptions.MaxCells cells a seeded uniform
// subsample of cells is used, and the significance test counts only those
// cells. Benjamini–Hochberg is applied to a histogram of |r| over all pairs
// (65,536 bins), which is exact up to the bin width of 1.5e-5 in |r|.
//
// Counts are not corrected for sequencing depth inside the correlation (no
// CS-CORE-style estimator): normalise first.
package prep
