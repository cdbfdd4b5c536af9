// Command bigmap writes a store whose cell map has many points, for
// measuring the browser UI's first paint (the e2e tests' 100,000-point
// check): one dataset of -points cells with an empty matrix, a cell_type
// obs column of 12 types, and a stored cells layout that places each type
// as a Gaussian blob. The layout is synthetic (no vectors, no UMAP run): it
// exercises the path store → serve → browser → WebGL, not the layout.
//
//	go run ./cmd/genestore/server/ui/e2e/bigmap -out big.db -points 100000
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"

	"genestore/internal/sparse"
	"genestore/layout"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/vocab"
)

func main() {
	out := flag.String("out", "big.db", "store to write (must not exist)")
	n := flag.Int("points", 100000, "cells")
	flag.Parse()
	if err := run(*out, *n); err != nil {
		fmt.Fprintln(os.Stderr, "bigmap:", err)
		os.Exit(1)
	}
}

func run(path string, n int) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists", path)
	}
	db, err := store.Open(path, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	const types, genes = 12, 4
	rng := rand.New(rand.NewPCG(1, 2))
	bcs, labels := make([]string, n), make([]string, n)
	gs := make([]ingest.Gene, genes)
	for i := range gs {
		gs[i] = ingest.Gene{ID: fmt.Sprintf("G%d", i), Symbol: fmt.Sprintf("GENE%d", i)}
	}
	coords := make([]float32, 2*n)
	for i := range n {
		t := rng.IntN(types)
		bcs[i], labels[i] = fmt.Sprintf("CELL%07d", i), fmt.Sprintf("type %d", t)
		a := 2 * math.Pi * float64(t) / types
		coords[2*i] = float32(8*math.Cos(a) + rng.NormFloat64())
		coords[2*i+1] = float32(8*math.Sin(a) + rng.NormFloat64())
	}
	ds := &ingest.Dataset{Format: "sim", Source: "bigmap", Values: vocab.Counts,
		X: &sparse.CSR{Rows: n, Cols: genes, Indptr: make([]int64, n+1)}, Genes: gs, Barcodes: bcs,
		Obs: []ingest.ObsColumn{{Name: "cell_type", Categorical: true, Values: labels}}}
	info, err := db.AddDataset(context.Background(), "big", ds, store.AddOptions{})
	if err != nil {
		return err
	}
	l := &layout.Layout{Space: vocab.SpaceCells, ModelVersion: "synthetic", Fitted: n,
		Keys: make([]uint64, n), Coords: coords}
	for i := range n {
		l.Keys[i] = vocab.EntityKey(info.ID, uint32(i))
	}
	b, err := layout.Encode(l)
	if err != nil {
		return err
	}
	if err := db.Update(func(tx *store.Tx) error { return tx.PutBlob(vocab.BlobLayout, vocab.SpaceCells, b) }); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d cells on a synthetic map\n", path, n)
	return nil
}
