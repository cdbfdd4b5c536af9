// Package fromgenes embeds cells from gene embeddings: a cell's vector is
// a combination of the vectors of the genes it expresses, weighted by its
// expression (GenePT-w's recipe, Chen & Zou 2024; scHybridBERT's premise that
// cells are informed by gene structure). It needs no cell training and works
// for any dataset whose genes the gene space covers, so a dataset appended
// after training is embedded like the ones the gene model saw.
//
// # Basics
//
// Embed takes one dataset's log-normalised expression (cells × genes) and,
// per column, the gene's vector or nil. Gene vectors are used as given; the
// caller (pipeline) passes unit-length consensus vectors centred on their
// mean over every gene of the space, so the direction all genes share does
// not dominate every cell and cosine similarity compares what differs.
// Three weightings (Scaled the pipeline's default: measured in the README):
//
//   - Expression (GenePT-w): v_c = Σ_g x_cg·e_g / Σ_g x_cg over the covered
//     genes g the cell expresses (x > 0). A cell that expresses none of them
//     has no vector (Empty).
//   - Scaled: each gene is standardised, z = (x − mean)/sd (sample sd, as
//     scanpy's sc.pp.scale, without the clip), with the mean and sd over
//     the cells of every dataset embedded together (Moments, added across
//     datasets by the caller), and v_c = Σ_g z_cg·e_g / G over the G
//     covered genes that vary. Computed sparsely: Σ_{x>0} (x/sd)·e −
//     Σ_g (mean/sd)·e.
//   - ScaledPerDataset: the same with each dataset's own mean and sd: it
//     removes each dataset's per-gene offsets and scales, a linear batch
//     correction between datasets, and with them whatever the dataset's
//     cell mixture adds to the means. It assumes comparable mixtures:
//     standardising a dataset of T cells alone against one of B cells
//     alone would remove their difference with the batch's.
//
// The pipeline passes, for every dataset of the space, only the genes all
// of them measure (the others get nil), so cells of datasets with
// different gene panels are built on the same genes.
//
// # Caveats
//
// The vectors live in the gene space's dimension and inherit its model
// version: retraining the genes makes them stale (pipeline records the
// gene model's version on the set). Nothing here corrects batches inside a
// dataset. Under Scaled and Expression, datasets mix only as far as the
// gene vectors are batch-free: no per-dataset step removes batch offsets.
package fromgenes
