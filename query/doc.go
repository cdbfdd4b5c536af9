// Package query answers the questions users ask of a genestore store:
// nearest genes and cells, the cross queries between them, co-expression
// partners, clusters with enrichment, annotation by neighbours, and the
// regulators and targets of stored regulatory networks. Every
// answer names the dataset and model version of what it compares and gives a
// score.
//
// # Basics
//
// An Engine is built over a Backend, a set of small interfaces this package
// declares: Backend.View hands out a Reader (Catalog, Vectors, Searcher,
// Graphs, Annotations, Clusterings, Regulation) over one read snapshot, and Writer
// stores clusterings and predictions; genestore/query/backend implements
// them over a store and its HNSW indexes.
// Answers are plain structs with stable JSON (snake_case) forms that the CLI
// prints with --json and the HTTP server returns.
//
// Spaces follow the training pipeline's conventions:
//
//   - "genes": gene embeddings, per dataset under (dataset, gene id) and
//     cross-dataset under (vocab.Consensus, gene id);
//   - "cells": cell embeddings under (dataset, cell row);
//   - "cell-genes": the cell model's decoder loadings, one vector per gene in
//     the cell latent space, under (vocab.Consensus, gene id).
//
// Queries:
//
//   - GeneNeighbors: cosine nearest genes of a gene (symbol in any case, an
//     exact-case match winning and an ambiguous one refused with
//     ErrAmbiguous; or an alias when an alias map is loaded), from its consensus vector or a
//     dataset's, searching the query vector's own set unless Restrict names
//     others; the gene itself is never returned.
//   - CellNeighbors: cosine nearest cells of a cell (dataset + barcode), across
//     every dataset by default; Where keeps the cells that pass filters on
//     obs columns ("cell_type=B") or a stored cells clustering
//     ("cluster:leiden_r1.0=3"), parsed by ParseWhere (the syntax of
//     `cells --where` too) and passed to the index's filtered search (beam
//     widening, exact scan when the filter admits few). An obs column no
//     searched dataset has, a value no searched cell has, or an unknown
//     clustering is ErrInvalid naming it. The filter reads its obs columns
//     (and clustering) once per query.
//   - CellTopGenes, ClusterMarkers: genes whose loadings have the largest
//     inner product with a cell's latent vector, or a cluster's mean vector.
//   - GeneCells: cells whose latent vector has the largest inner product with a
//     gene's loading (exact scan), with the same Where filters.
//   - Coexpr: a gene's co-expression partners over the datasets' graphs, with
//     per-dataset signed weights, the number of datasets holding the edge,
//     and the consensus embedding cosine beside it.
//   - Clusters, GeneCluster, CellCluster, ClusterMembers: Leiden (or Louvain)
//     over an SNN graph of each vector's k nearest neighbours, stored as
//     "<method>_r<resolution>" ("leiden_r1.0"); lookups by gene, cell or
//     cluster id; hypergeometric enrichment (BH FDR) of a gene cluster against
//     a stored collection, the clustered genes as universe. The kNN graph is
//     the index's layer-0 lists refined by cluster.RefineKNN when the
//     Reader implements IndexGraph (query/backend does), with an index
//     search for any vector left with fewer than k; one search per vector
//     otherwise.
//   - AnnotateGenes: terms of a collection predicted from a gene's neighbours
//     (annot.PredictTerms), stored as predictions kind "go-terms".
//   - AnnotateCells: kNN label transfer from reference datasets
//     (annot.TransferLabels), "Unassigned" below a confidence threshold,
//     stored as predictions kind "cell-labels", name "<query>:<column>".
//   - Networks, Regulators, Targets: stored regulatory networks; a gene's
//     regulators or a regulator's targets best first, with sign, per-view
//     support, the pair's co-expression weight and the consensus embedding
//     cosine beside each edge.
//   - UpstreamRegulators: regulators whose targets (their edges among the
//     network's best) are enriched in a gene cluster, hypergeometric with BH
//     FDR over the network's genes.
//
// # One snapshot per query
//
// Each query runs inside one Backend.View: names, space descriptions,
// vectors, index searches and stored results all come from one committed
// state, so an append or a retrain committing while a query runs is either
// wholly seen or not at all, never mixed into one answer. A query that calls
// another (annotation through neighbours) shares its snapshot. What a query
// writes (a computed clustering, predictions) is written after its snapshot
// ends, in its own write transaction.
//
// # Model versions
//
// Vectors made by different model versions are never compared silently. A
// query compares only vector sets whose provenance ModelVersion equals that of
// the query vector: sets of another version are skipped and listed in the
// answer's "skipped" field, and naming one explicitly (Restrict, a reference
// dataset, a clustering's datasets) fails with ErrModelMismatch. Cross-space
// queries (cells against gene loadings) need equal versions too.
//
// # Caveats
//
//   - Neighbour search goes through an approximate index (recall@10 ≈ 0.98 or
//     better on the tests' data); GeneCells and top genes are exact scans.
//   - A clustering is looked up by name only: one computed over other
//     datasets or another k under the same name is returned as is (its
//     provenance says how it was made); pass Recompute to replace it. A
//     clustering marked stale (vectors appended since) is still returned,
//     with Stale set. The entities of a dataset dropped since are left out
//     of its answers (summary, members, markers), which are marked stale.
//   - Enrichment sets are compared by exact symbol.
//   - The engine keeps no state; caching (indexes, barcodes, vectors for
//     exact scans) is the backend's.
//   - A query holds its read snapshot until it returns. bbolt never blocks a
//     writer on readers except when the writer grows the file, which waits
//     for open read transactions: a long computation (clustering a million
//     cells) can delay such a write until it ends.
package query
