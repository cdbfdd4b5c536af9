// Command neighbours ingests genestore's sample data, trains the gene model and prints neighbours.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"genestore"
	"genestore/internal/sampledata"
	"genestore/pipeline"
	"genestore/query"
)

func main() {
	ctx, dir := context.Background(), must(os.MkdirTemp("", "neighbours"))
	defer os.RemoveAll(dir)
	must(0, sampledata.Extract(dir))
	db := must(genestore.Open(filepath.Join(dir, "neighbours.db"), nil))
	defer db.Close()
	for _, name := range []string{"pbmc_small", "pbmc3k_sct283"} {
		must(db.Ingest(ctx, name, filepath.Join(dir, name), genestore.IngestOptions{}))
	}
	must(db.TrainGenes(ctx, pipeline.DefaultGeneOptions()))
	res := must(db.NearestGenes(ctx, query.GeneNeighborsRequest{Symbol: "CD79A", K: 5}))
	for _, h := range res.Neighbors {
		fmt.Printf("CD79A\t%s\t%.3f\n", h.Symbol, h.Score)
	}
}

// must stops the program on an error.
func must[T any](v T, err error) T {
	if err != nil {
		log.Fatal(err)
	}
	return v
}
