package index_test

import (
	"bytes"
	"context"
	"fmt"

	"genestore/index"
)

func Example() {
	ix, err := index.New(3, index.DefaultOptions())
	if err != nil {
		panic(err)
	}
	vecs := map[uint64][]float32{10: {1, 0, 0}, 20: {0, 1, 0}, 30: {1, 1, 0}, 40: {0, 0, 1}}
	for _, k := range []uint64{10, 20, 30, 40} {
		if err := ix.Add(k, vecs[k]); err != nil {
			panic(err)
		}
	}
	ctx := context.Background()
	res, _ := ix.Search(ctx, []float32{1, 0.1, 0}, 2, index.SearchOptions{})
	for _, r := range res {
		fmt.Printf("%d %.3f\n", r.Key, r.Distance)
	}
	// Only even tens.
	res, _ = ix.Search(ctx, []float32{1, 0.1, 0}, 1, index.SearchOptions{Filter: func(k uint64) bool { return k%20 == 0 }})
	fmt.Println(res[0].Key)

	_ = ix.Delete(10)
	var snap bytes.Buffer
	ix.SetGeneration(7)
	if _, err := ix.WriteTo(&snap); err != nil {
		panic(err)
	}
	loaded, err := index.Read(&snap)
	if err != nil {
		panic(err)
	}
	fmt.Println(loaded.Len(), loaded.Generation(), loaded.Keys())
	// Output:
	// 10 0.005
	// 30 0.226
	// 20
	// 3 7 [20 30 40]
}
