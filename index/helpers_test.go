package index

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

var long = flag.Bool("long", false, "run long tests")

// mixture draws n vectors of dimension dim from a Gaussian mixture shaped
// like gen_vectors.py's: a common offset (embeddings sit in a cone), cluster
// centres around it, and anisotropic clusters (per cluster a random
// permutation of a power-law variance spectrum over the axes).
func mixture(seed uint64, n, dim, clusters int) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	offset := make([]float64, dim)
	for j := range offset {
		offset[j] = 1.5 * rng.NormFloat64()
	}
	centres := make([]float64, clusters*dim)
	for i := range centres {
		centres[i] = offset[i%dim] + rng.NormFloat64()
	}
	sd := make([]float64, clusters*dim)
	for c := range clusters {
		perm := rng.Perm(dim)
		for j := range dim {
			sd[c*dim+perm[j]] = 0.6 * math.Pow(float64(j+1), -0.5)
		}
	}
	v := make([]float32, n*dim)
	for r := range n {
		c := rng.IntN(clusters)
		for j := range dim {
			v[r*dim+j] = float32(centres[c*dim+j] + sd[c*dim+j]*rng.NormFloat64())
		}
	}
	return v
}

// build returns an index over vecs with keys 0..n-1 (or keyOf(i) if set).
func build(t testing.TB, dim int, opts Options, vecs []float32) *Index {
	t.Helper()
	ix, err := New(dim, opts)
	if err != nil {
		t.Fatal(err)
	}
	n := len(vecs) / dim
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = uint64(i)
	}
	if err := ix.AddBatch(context.Background(), keys, vecs); err != nil {
		t.Fatal(err)
	}
	return ix
}

// recallAt returns the mean share of the exact top-k found by a graph
// search at ef, over the queries.
func recallAt(t testing.TB, ix *Index, queries []float32, k, ef int) float64 {
	t.Helper()
	return recallVs(t, ix, ix, queries, k, SearchOptions{Ef: ef})
}

// recallVs returns the mean share of truth's exact top-k that ix finds
// with opts, over the queries.
func recallVs(t testing.TB, truth, ix *Index, queries []float32, k int, opts SearchOptions) float64 {
	t.Helper()
	hits, total := 0, 0
	for _, h := range queryHits(t, truth, ix, queries, k, opts) {
		hits += h[0]
		total += h[1]
	}
	return float64(hits) / float64(total)
}

// queryHits returns per query how many of truth's exact top-k ix finds
// with opts, and how many there are.
func queryHits(t testing.TB, truth, ix *Index, queries []float32, k int, opts SearchOptions) [][2]int {
	t.Helper()
	ctx := context.Background()
	dim := ix.Dim()
	var out [][2]int
	for i := 0; i < len(queries)/dim; i++ {
		q := queries[i*dim : (i+1)*dim]
		want, err := truth.Search(ctx, q, k, SearchOptions{Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		got, err := ix.Search(ctx, q, k, opts)
		if err != nil {
			t.Fatal(err)
		}
		hits := 0
		for _, r := range got {
			if slices.ContainsFunc(want, func(w Result) bool { return w.Key == r.Key }) {
				hits++
			}
		}
		out = append(out, [2]int{hits, len(want)})
	}
	return out
}

func approx(a, b float32) bool { return math.Abs(float64(a-b)) < 1e-5 }

// searchWhile starts g goroutines that search ix for random queries (k 5,
// ef 16) until ctx is cancelled; a search must return 5 results whenever
// the index held at least minLen live vectors before it. The returned
// function waits for them and returns their errors.
func searchWhile(ctx context.Context, ix *Index, queries []float32, g, minLen int) (wait func() []error) {
	dim := ix.Dim()
	var wg sync.WaitGroup
	errc := make(chan error, g)
	for i := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 0))
			for ctx.Err() == nil {
				j := rng.IntN(len(queries) / dim)
				before := ix.Len()
				res, err := ix.Search(ctx, queries[j*dim:(j+1)*dim], 5, SearchOptions{Ef: 16})
				if err != nil && ctx.Err() == nil {
					errc <- err
					return
				}
				if err == nil && (len(res) > 5 || before >= minLen && len(res) < 5) {
					errc <- fmt.Errorf("%d results with %d live vectors", len(res), before)
					return
				}
			}
		}()
	}
	return func() []error {
		wg.Wait()
		close(errc)
		var errs []error
		for err := range errc {
			errs = append(errs, err)
		}
		return errs
	}
}
