// Package pipeline runs genestore's multi-step jobs against a store: training
// the gene and cell models from the matrices the store holds (TrainGenes,
// TrainCells), writing their vectors, weights, co-expression edges and
// provenance, keeping each embedding space's HNSW index in step, appending a
// dataset to trained models without retraining them (Append), scoring
// the embeddings against baselines (EvalGenes, EvalCells), inferring and
// scoring regulatory networks over several views (TrainGRN, EvalGRN,
// NetworkEdges), and loading gene-set collections and alias maps
// (LoadAnnotations, Collections).
// Expression prediction (issue 19) trains train/expr's landmark → target
// model (TrainExpr: weights in blob model/expr, provenance in the model
// record "expr"), writes a dataset's predicted expression as its derived
// layer "predicted" (Predict; value type vocab.Predicted) and scores the
// models on held-out cells (EvalExpr). Genes the cell model needs and a
// dataset lacks are predicted by it when the dataset is appended
// (AppendOptions.FillMissing) and when a query is embedded again for label
// transfer (EmbedQuery, behind "annotate cells --fill-missing"); EvalFill
// measures what that buys label transfer with part of a query's genes
// removed.
// Spatial and cross-species questions (issue 20): spatially variable genes
// (SpatialPattern), a spot's nearest spots in space (SpatialNeighbors), and
// how often a gene's vector in one dataset (species) finds its own vector in
// another among its nearest, against the baselines (RetrieveOrthologs).
// Cells from genes (issue 21): CellsFromGenes embeds cells from the
// consensus gene vectors of the genes they express (train/fromgenes), a
// second cell space that needs no training; EvalCells scores it beside the
// cell model.
//
// # Basics
//
// Every job reads what it needs in short read transactions, computes outside
// any transaction, and commits all its results in ONE write transaction
// (vectors, model weights, edges, provenance and the index snapshots), so a
// job that fails or whose process dies leaves the store exactly as it was, and
// readers see either the old results or the new ones, never a mixture.
//
// # Spaces
//
//	"genes"       gene embeddings: per dataset under (dataset id, global gene id),
//	              consensus vectors under (vocab.Consensus, gene id)
//	"cells"       cell embeddings under (dataset id, cell row)
//	"cell-genes"  gene vectors in the cell latent space, under
//	              (vocab.Consensus, gene id): by default (non-linear decoder)
//	              the ridge-regression coefficients of each gene's centred
//	              log expression on the cells' latent means; with a linear
//	              decoder, its weights
//	"cells-from-genes"
//	              cells embedded from the consensus gene vectors under
//	              (dataset id, cell row); model version
//	              "from-genes-<weight>/<gene model version>"
//
// Space, blob and model names come from package vocab. Model weights are
// blobs of kind "model" named "genes", "cells" and "expr"; index snapshots are blobs
// of kind "index" named after their space (package vecindex).
//
// # Caveats
//
// Predict is the exception to "compute outside any transaction": it streams
// the expression model's blocks straight into the layer inside its one write
// transaction, so other writers wait while it predicts (readers do not). It
// keeps the dataset's dense landmark and target columns in memory (cells ×
// genes float32), and bbolt holds the whole layer (cells × genes × 4 bytes)
// until the commit; --genes keeps a layer small.
//
// Retraining a model replaces its spaces wholesale: vectors of different
// model versions are never mixed in one space. Append adds to a space under
// the same model version instead (the shared layers it was computed with are
// unchanged), committed in one write transaction after the new parts are
// trained.
//
// No job holds a lock while it computes (package store locks the file only
// for the length of a transaction), so other processes — a server, queries, an ingest, another job — use the store meanwhile, and
// their commits can land between a job's reads and its commit. Work done
// before a transaction can so go stale, whether the other writer is in this
// process or another. Each commit re-checks what the job read: a retrain
// fails with ErrConflict and writes nothing when a space it replaces
// ("genes"; "cells" and "cell-genes") changed since it began (an append
// committed meanwhile) rather than drop the new vectors, or when a dataset it
// read was renamed or dropped (its model names layers and batches after
// the datasets). Append plans the new
// dataset's id and gene ids in a read transaction (store.Tx.PlanDataset),
// trains with them and the indexes it loaded, and at commit checks that
// AddDataset gave the same ids, that the "genes" and "cells" spaces did not
// move and that the model weights it extends are unchanged (Rename rewrites
// them without moving a space; Drop checks them too); otherwise it computes
// again, up to three times, then returns ErrConflict. Datasets are
// never changed or removed once added, so the matrices a job read are still
// those stored; a dataset ingested meanwhile simply has no vectors yet, as
// if it came after the job.
package pipeline
