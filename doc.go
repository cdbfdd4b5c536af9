/*
Package genestore is an embedded database of gene and cell embeddings for
single-cell genomics. It keeps several single-cell RNA-seq datasets — count
matrices with their cell metadata — in one file, learns embeddings of their
genes and cells that mean biology rather than batch, indexes them for
nearest-neighbour search, and answers questions about them. This package is
its Go API; the genestore command (cmd/genestore) and its HTTP server are
built on the same packages, and each call here returns the same result types
that the command prints with --json.

# Basics

There is one type, DB: an open store file. Open creates the file when it is
absent; Close releases it.

	db, err := genestore.Open("atlas.db", nil)
	if err != nil {
		return err
	}
	defer db.Close()

A session follows the life of the data:

	db.Ingest(ctx, "pbmc", "pbmc3k/", genestore.IngestOptions{})      // 10x folder, .h5ad, .h5, CSV
	db.TrainGenes(ctx, pipeline.DefaultGeneOptions())                 // gene model: every dataset jointly
	db.TrainCells(ctx, pipeline.DefaultCellOptions())                 // cell model: batch = dataset
	db.Append(ctx, "pbmc2", "later/", genestore.IngestOptions{}, pipeline.AppendOptions{}) // no retraining
	db.NearestGenes(ctx, query.GeneNeighborsRequest{Symbol: "CD79A", K: 10})
	db.NearestCells(ctx, query.CellNeighborsRequest{Dataset: "pbmc", Barcode: "ACTCTCCTGCATAC"})
	db.Coexpr(ctx, query.CoexprRequest{Symbol: "CD79A"})
	db.Clusters(ctx, query.ClusterRequest{Space: "cells", Compute: true})
	db.AnnotateCells(ctx, query.AnnotateCellsRequest{References: []string{"pbmc"}, Label: "cell_type", Query: "pbmc2"})

and of the file:

	db.Drop(ctx, "pbmc2")          // the dataset and everything derived from it
	db.Rename(ctx, "pbmc", "pbmc3k")
	db.Backup(ctx, "atlas-copy.db") // a consistent copy while others work
	db.Compact(ctx, "")             // give back the pages a drop freed
	db.Info(ctx)                    // schema, sizes, datasets, models

Every call takes a context first and stops when it is cancelled. Errors are
the sentinel values declared here (ErrNotFound, ErrDatasetExists,
ErrInvalid, ErrLocked, ErrConflict, ...), wrapped with what they concern:
test them with errors.Is.

# Writes are all-or-nothing

Every call that writes commits once, in one bbolt transaction: an ingest,
a training run (vectors, weights, edges, index snapshots), an append, a drop.
If it fails, is cancelled or its process is killed, the file is as it was.
Long jobs (training, append, drop) read in short transactions, compute with
no lock held, and check at commit that nothing they read has changed; if
another writer got in between they compute again, and after three tries give
up with ErrConflict, writing nothing.

# Sharing a store

A DB holds the file's lock only while a transaction runs (readers share it,
a writer holds it alone), so any number of processes — this program, the
genestore command, a server — use one file. A transaction that waits longer
than Options.LockTimeout fails with ErrLocked, naming the process that holds
the store. Backup copies one read transaction, so writers wait only while
the copy is written; Compact holds the store for its whole run. A DB is safe
for concurrent use by many goroutines.

# Datasets, spaces and models

A dataset is a count matrix (cells × genes) with its barcodes and obs
columns; genes are joined across datasets by symbol. The gene model gives
each dataset's genes a vector in the space "genes" and each gene one
consensus vector over all datasets; the cell model gives each cell a vector
in "cells". Each space has an HNSW index, saved in the file. Drop removes a
dataset's matrix, cells, vectors and index entries, its layer of the gene
model (the consensus vectors of its genes are recomputed) and its batches of
the cell model; other datasets' vectors do not change, byte for byte.

# Caveats

Neighbour search is approximate (recall@10 ≈ 0.98 or better on the tests'
data). Vectors of different model versions are never compared silently: a
query that would mix them fails or lists what it skipped.

Drop leaves the freed pages in the file: run Compact to shrink it. After a
drop the cell model's gene loadings (space "cell-genes") are those it was
trained with, the dropped cells included, until the next TrainCells;
regulatory networks inferred from the dropped dataset are removed with it.

IMPORTANT: Compact in place replaces the file (a new file renamed over the
old). Processes using this package reopen it by themselves; a program that
opened the file with bbolt directly keeps the old one.

Training holds its inputs in memory, and a write transaction holds
everything it writes until it commits (roughly twice the encoded size of the
matrix for an ingest). Store gives the store underneath (package store) for
what this package does not wrap.
*/
package genestore
