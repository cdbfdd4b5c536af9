package layout

import (
	"context"
	"math/rand/v2"
	"testing"
)

// BenchmarkFit lays out 20,000 points of 10 Gaussian clusters (exact kNN
// computed once, outside the timing) with 50 epochs and reports points/s
// of the whole Fit (graph, start, SGD).
func BenchmarkFit(b *testing.B) {
	const n, dim = 20_000, 16
	x, _ := blobs(n, dim, 10, 1)
	ids, d := exactKNN(b, x, n, dim, DefaultNNeighbors-1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Fit(context.Background(), ids, d, x, dim, Options{Epochs: 50}, rand.NewPCG(1, uint64(i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
}
