package store_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"genestore/internal/sparse"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/vocab"
)

// A tiny dataset: 2 cells × 3 genes.
func tinyDataset() *ingest.Dataset {
	return &ingest.Dataset{
		Format: "mtx", Source: "tiny/", Values: vocab.Counts,
		X: &sparse.CSR{Rows: 2, Cols: 3, Indptr: []int64{0, 2, 3},
			Indices: []int32{0, 2, 1}, Data: []float32{5, 1, 3}},
		Genes:    []ingest.Gene{{ID: "ENSG1", Symbol: "CD3E"}, {ID: "ENSG2", Symbol: "MS4A1"}, {ID: "ENSG3", Symbol: "LYZ"}},
		Barcodes: []string{"AAAC-1", "AAAG-1"},
		Obs:      []ingest.ObsColumn{{Name: "sample", Categorical: true, Values: []string{"s1", "s2"}}},
	}
}

func Example() {
	dir, _ := os.MkdirTemp("", "genestore-example")
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "atlas.db"), &store.Options{Version: "example"})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	info, err := db.AddDataset(context.Background(), "tiny", tinyDataset(), store.AddOptions{BatchKey: "sample"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("dataset %d %q: %d cells × %d genes, %d nonzeros\n", info.ID, info.Name, info.Cells, info.Genes, info.NNZ)

	err = db.View(func(tx *store.Tx) error {
		m, err := tx.Matrix(info.ID)
		if err != nil {
			return err
		}
		cols, vals := m.Row(0)
		fmt.Println("cell 0:", cols, vals)
		genes, err := tx.GenesBySymbol("ms4a1")
		if err != nil {
			return err
		}
		fmt.Println("ms4a1 →", genes[0].Symbol, genes[0].SourceID)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	_, err = db.AddDataset(context.Background(), "tiny", tinyDataset(), store.AddOptions{})
	fmt.Println(err)
	// Output:
	// dataset 1 "tiny": 2 cells × 3 genes, 3 nonzeros
	// cell 0: [0 2] [5 1]
	// ms4a1 → MS4A1 ENSG2
	// store: dataset exists: "tiny" (choose another --name)
}

// Training results commit together: vectors, weights and provenance are
// written in one transaction, or not at all.
func ExampleDB_Update() {
	dir, _ := os.MkdirTemp("", "genestore-example")
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "atlas.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	prov := store.Provenance{Kind: "gene-model", ModelVersion: "gm-1", Datasets: []uint32{1}}
	err = db.Update(func(tx *store.Tx) error {
		if err := tx.PutEmbeddings("genes/gm-1", vocab.Consensus, []uint32{1, 2}, 2, []float32{0.1, 0.2, 0.3, 0.4}, prov); err != nil {
			return err
		}
		return tx.PutBlob("model", "gm-1", []byte("weights"))
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = db.View(func(tx *store.Tx) error {
		s, _ := tx.Space("genes/gm-1")
		v, _ := tx.Embedding("genes/gm-1", vocab.Consensus, 2)
		fmt.Println(s.Dim, s.Generation, v)
		return nil
	})
	// Output: 2 1 [0.3 0.4]
}

func ExampleEntityKey() {
	k := vocab.EntityKey(3, 17) // cell 17 of dataset 3
	ds, id := vocab.SplitEntityKey(k)
	fmt.Printf("%#x %d %d\n", k, ds, id)
	// Output: 0x300000011 3 17
}
