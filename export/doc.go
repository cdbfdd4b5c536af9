// Package export writes a store's embedding spaces as files for other
// tools: TSV (one row per vector) and AnnData .h5ad (through store/h5ad)
// that anndata and scanpy open.
//
// # Basics
//
// WriteFile reads one snapshot of the store (a single read transaction) and
// writes opts.Space in opts.Format; Write streams TSV. An h5ad of cells has
// the cells as obs with all their metadata — dataset, barcode, batch (named
// as the cell model names it: the dataset, or "dataset/value" of its batch
// key), every obs column of their datasets (numeric columns as float64 with
// NaN for missing, others categorical), a "cluster_<name>" column per
// stored clustering and "<label>_transferred" plus
// "<label>_transferred_confidence" per stored label transfer — the vectors
// in obsm["X_genestore"] and X, and the provenance (space, generation,
// model version, each set's parameters) in uns["genestore"]. With
// Options.WithCounts X is instead the stored raw matrix of those cells over
// the union of their datasets' genes. A cells h5ad carries each derived
// layer of the cells' datasets (predicted expression, value type
// "predicted") as obsm["layer_<name>"]: cells × the union of the layer's
// genes, NaN for cells of datasets without it, with var_names, gene_ids,
// the value type and each dataset's model version and parameters in
// uns["genestore"]["layers"][name] (Options.NoLayers leaves them out).
// Gene spaces have one obs row per
// (gene, dataset) vector with symbol, gene_id, dataset ("*" for consensus
// vectors) and a consensus flag.
//
// A dataset's own obs column keeps its name; a derived column whose name is
// taken gets "_genestore" appended (a dataset with an obs column "batch"
// gives "batch" and "batch_genestore"). Row names repeated across datasets
// get "-<dataset>" so the index is unique; the "barcode" or "symbol" column
// keeps the original.
//
// # Caveats
//
// IMPORTANT: WriteFile never leaves a half-written file: it writes a
// temporary file in the same folder, syncs it and renames it into place, so
// a failed export keeps the previous file; it refuses an existing file
// unless Options.Force. The whole AnnData is built in memory before writing,
// layers included: dense, 4 bytes per cell and layer gene.
package export
