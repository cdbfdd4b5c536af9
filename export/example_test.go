package export_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"genestore/export"
	"genestore/internal/sparse"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/vocab"
)

func ExampleWrite() {
	dir, _ := os.MkdirTemp("", "export-example")
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "atlas.db"), &store.Options{Version: "example"})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ds := &ingest.Dataset{Format: "mtx", Source: "tiny/", Values: vocab.Counts,
		X:        &sparse.CSR{Rows: 2, Cols: 1, Indptr: []int64{0, 1, 2}, Indices: []int32{0, 0}, Data: []float32{1, 2}},
		Genes:    []ingest.Gene{{ID: "E1", Symbol: "CD3E"}},
		Barcodes: []string{"AAAC-1", "AAAG-1"}}
	info, err := db.AddDataset(context.Background(), "tiny", ds, store.AddOptions{})
	if err != nil {
		log.Fatal(err)
	}
	err = db.Update(func(tx *store.Tx) error {
		return tx.PutEmbeddings(vocab.SpaceCells, info.ID, []uint32{0, 1}, 2, []float32{0.5, 1, -1, 0.25}, store.Provenance{Kind: "example"})
	})
	if err != nil {
		log.Fatal(err)
	}
	opts := export.DefaultOptions()
	opts.Space = vocab.SpaceCells
	if _, err := export.Write(context.Background(), db, os.Stdout, opts); err != nil {
		log.Fatal(err)
	}
	// An h5ad goes to a file: the vectors in obsm["X_genestore"], the
	// cells' metadata in obs.
	opts.Format = export.FormatH5AD
	rep, err := export.WriteFile(context.Background(), db, filepath.Join(dir, "cells.h5ad"), opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rep.Rows, "cells of dimension", rep.Dim)
	// Output:
	// barcode	dataset	dim0	dim1
	// AAAC-1	tiny	0.5	1
	// AAAG-1	tiny	-1	0.25
	// 2 cells of dimension 2
}
