package layout

import (
	"context"
	"math/rand/v2"
	"testing"

	"genestore/query/cluster"
)

// blobs returns n points in dim dimensions from c well-separated Gaussian
// clusters (centres 10 apart on each axis, unit spread) and their labels.
func blobs(n, dim, c int, seed uint64) ([]float32, []int) {
	r := rand.New(rand.NewPCG(seed, 7))
	centres := make([]float32, c*dim)
	for i := range centres {
		centres[i] = float32(r.NormFloat64() * 10)
	}
	x := make([]float32, n*dim)
	lab := make([]int, n)
	for i := 0; i < n; i++ {
		lab[i] = i % c
		for d := 0; d < dim; d++ {
			x[i*dim+d] = centres[lab[i]*dim+d] + float32(r.NormFloat64())
		}
	}
	return x, lab
}

// exactKNN is the exact Euclidean kNN of x, the point itself excluded.
func exactKNN(t testing.TB, x []float32, n, dim, k int) ([][]uint32, [][]float32) {
	t.Helper()
	ids, d, err := cluster.KNN(context.Background(), x, n, dim, k, cluster.Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	return ids, d
}
