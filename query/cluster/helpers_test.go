package cluster

import (
	"context"
	"math/rand/v2"
	"testing"

	gg "gonum.org/v1/gonum/graph"

	"genestore/internal/sparse"
)

type graphNode = gg.Node

func toGonum(c [][]graphNode) [][]gg.Node { return c }

// gaussianMixture draws n points in dim dimensions from k spherical
// Gaussians with unit-scale centres and standard deviation sd; returns the
// vectors and the component of each point.
func gaussianMixture(n, dim, k int, sd float64, seed uint64) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	centres := make([]float64, k*dim)
	for i := range centres {
		centres[i] = rng.NormFloat64() * 3
	}
	v := make([]float32, n*dim)
	truth := make([]int, n)
	for i := 0; i < n; i++ {
		c := i % k
		truth[i] = c
		for d := 0; d < dim; d++ {
			v[i*dim+d] = float32(centres[c*dim+d] + sd*rng.NormFloat64())
		}
	}
	return v, truth
}

func gaussianKNNGraph(t testing.TB, n, dim, k, comps int, sd float64, w Weighting) (*sparse.CSR, []int) {
	t.Helper()
	v, truth := gaussianMixture(n, dim, comps, sd, 1)
	g, err := KNNGraph(context.Background(), v, n, dim, k, Euclidean, GraphOptions{Weighting: w})
	if err != nil {
		t.Fatal(err)
	}
	return g, truth
}
