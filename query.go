package genestore

import (
	"context"

	"genestore/query"
)

// NearestGenes returns the nearest genes of a gene by cosine over its
// consensus vector (or req.Dataset's), best first: the CLI's `neighbors
// --gene` and GET /v1/genes/{symbol}/neighbors.
func (db *DB) NearestGenes(ctx context.Context, req query.GeneNeighborsRequest) (*query.GeneNeighbors, error) {
	return ask(db, func(e *query.Engine) (*query.GeneNeighbors, error) { return e.GeneNeighbors(ctx, req) })
}

// NearestCells returns the nearest cells of a cell across datasets: the
// CLI's `neighbors --cell`.
func (db *DB) NearestCells(ctx context.Context, req query.CellNeighborsRequest) (*query.CellNeighbors, error) {
	return ask(db, func(e *query.Engine) (*query.CellNeighbors, error) { return e.CellNeighbors(ctx, req) })
}

// Coexpr returns a gene's co-expression partners with their per-dataset
// weights: the CLI's `coexpr`.
func (db *DB) Coexpr(ctx context.Context, req query.CoexprRequest) (*query.Coexpr, error) {
	return ask(db, func(e *query.Engine) (*query.Coexpr, error) { return e.Coexpr(ctx, req) })
}

// Clusters returns the Leiden (or Louvain) clusters of a space, computing
// and storing them when req.Compute is set and none are stored: the CLI's
// `clusters`.
func (db *DB) Clusters(ctx context.Context, req query.ClusterRequest) (*query.ClusterSummary, error) {
	return ask(db, func(e *query.Engine) (*query.ClusterSummary, error) { return e.Clusters(ctx, req) })
}

// AnnotateCells transfers an obs label from reference datasets to a query
// dataset's cells by their nearest neighbours: the CLI's `annotate cells`.
// It uses the query's stored vectors; the CLI's --fill-missing embeds a
// query that lacks genes of the cell model again first, as
// pipeline.EmbedQuery(ctx, db.Store(), query, mode, log) and
// req.QueryVectors = its Vectors.
func (db *DB) AnnotateCells(ctx context.Context, req query.AnnotateCellsRequest) (*query.CellAnnotations, error) {
	return ask(db, func(e *query.Engine) (*query.CellAnnotations, error) { return e.AnnotateCells(ctx, req) })
}

// ask runs one query on the engine, built on first use.
func ask[T any](db *DB, q func(*query.Engine) (T, error)) (T, error) {
	e, err := db.query()
	if err != nil {
		var zero T
		return zero, err
	}
	return q(e)
}
