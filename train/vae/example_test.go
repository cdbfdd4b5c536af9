package vae_test

import (
	"context"
	"fmt"

	"genestore/internal/sparse"
	"genestore/train/vae"
	"genestore/vocab"
)

func ExampleTrain() {
	// 40 cells × 3 genes of counts in two batches.
	X := &sparse.CSR{Rows: 40, Cols: 3, Indptr: make([]int64, 41)}
	batch := make([]int, 40)
	for i := range 40 {
		X.Indices = append(X.Indices, 0, 1, 2)
		X.Data = append(X.Data, float32(1+i%5), float32(10-i%7), float32(3+i%2))
		X.Indptr[i+1] = int64(len(X.Data))
		batch[i] = i % 2
	}
	o := vae.DefaultOptions()
	o.Latent, o.Hidden, o.Epochs, o.Seed = 2, 8, 5, 1
	m, rep, err := vae.Train(context.Background(),
		vae.Input{X: X, Batch: batch, BatchNames: []string{"a", "b"}, Values: vocab.Counts}, o, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	emb, err := m.Embed(context.Background(), X, batch)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s likelihood, %d epochs, %d values (%d cells × %d dims)\n",
		rep.Likelihood, rep.Epochs, len(emb), X.Rows, m.Latent())
	// Output: nb likelihood, 5 epochs, 80 values (40 cells × 2 dims)
}
