package cluster

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"genestore/index"
	"genestore/internal/cputime"
)

// layer0 builds an HNSW index (M 16, cosine) over the n vectors, keyed by
// row, and returns each row's layer-0 neighbour rows and the index.
func layer0(tb testing.TB, vecs []float32, n, dim int) ([][]uint32, *index.Index) {
	tb.Helper()
	o := index.DefaultOptions()
	o.Seed = 3
	ix, err := index.New(dim, o)
	if err != nil {
		tb.Fatal(err)
	}
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = uint64(i)
	}
	if err := ix.AddBatch(context.Background(), keys, vecs); err != nil {
		tb.Fatal(err)
	}
	init := make([][]uint32, n)
	ix.NeighborsBatch(keys, func(i int, nbs []uint64) {
		for _, u := range nbs {
			init[i] = append(init[i], uint32(u))
		}
	})
	return init, ix
}

// knnRecall is the share of the exact k nearest neighbours of the sampled
// rows found in ids.
func knnRecall(exact, ids [][]uint32, rows []int) float64 {
	hit, total := 0, 0
	for _, i := range rows {
		for _, u := range exact[i] {
			if slices.Contains(ids[i], u) {
				hit++
			}
		}
		total += len(exact[i])
	}
	return float64(hit) / float64(total)
}

func TestRefineKNN(t *testing.T) {
	const n, dim, k = 3000, 32, 15
	v, _ := gaussianMixture(n, dim, 10, 1, 5)
	ctx := context.Background()
	exact, exactD, err := KNN(ctx, v, n, dim, k, Cosine)
	if err != nil {
		t.Fatal(err)
	}
	init, _ := layer0(t, v, n, dim)
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	var prev float64
	var ref [][]uint32
	for _, it := range []int{-1, 1, 2, 3} {
		ids, dists, err := RefineKNN(ctx, v, n, dim, k, Cosine, init, RefineOptions{Iterations: it})
		if err != nil {
			t.Fatal(err)
		}
		rec := knnRecall(exact, ids, all)
		t.Logf("iterations %2d: recall@%d %.4f", it, k, rec)
		if rec < prev {
			t.Errorf("iterations %d: recall %.4f below fewer iterations' %.4f", it, rec, prev)
		}
		prev = rec
		for i := range ids {
			if (it >= 2 && len(ids[i]) != k) || len(ids[i]) > k || slices.Contains(ids[i], uint32(i)) {
				t.Fatalf("row %d: %v", i, ids[i])
			}
			for j := 1; j < len(dists[i]); j++ {
				if dists[i][j] < dists[i][j-1] {
					t.Fatalf("row %d not sorted: %v", i, dists[i])
				}
			}
		}
		if it == DefaultRefineIterations {
			ref = ids
			if rec < 0.95 {
				t.Errorf("default refinement: recall %.4f < 0.95", rec)
			}
			// distances agree with the exact ones where the ids agree
			for i := range ids {
				if ids[i][0] == exact[i][0] && dists[i][0]-exactD[i][0] > 1e-5 {
					t.Fatalf("row %d: distance %v, exact %v", i, dists[i][0], exactD[i][0])
				}
			}
		}
	}
	// the same answer for any thread count
	for _, th := range []int{1, 3} {
		ids, _, err := RefineKNN(ctx, v, n, dim, k, Cosine, init, RefineOptions{Threads: th})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ids) != fmt.Sprint(ref) {
			t.Errorf("%d threads: a different graph", th)
		}
	}
	// Euclidean, and bad input
	if _, _, err := RefineKNN(ctx, v, n, dim, k, Euclidean, init, RefineOptions{}); err != nil {
		t.Error(err)
	}
	if _, _, err := RefineKNN(ctx, v, n, dim, k, Cosine, init[:5], RefineOptions{}); err == nil {
		t.Error("short init accepted")
	}
	// empty and out-of-range lists are tolerated
	odd := make([][]uint32, n)
	odd[0] = []uint32{uint32(n + 5), 0, 1, 1}
	ids, _, err := RefineKNN(ctx, v, n, dim, k, Cosine, odd, RefineOptions{})
	if err != nil || !slices.Equal(ids[0], []uint32{1}) || len(ids[2]) != 0 {
		t.Errorf("odd lists: %v %v, %v", ids[0], ids[2], err)
	}
}

// BenchmarkKNNGraphFromIndex compares two ways to get the k = 15 kNN
// graph of 100k vectors (Gaussian mixture, 64 dims, 100 components) from
// an HNSW index built over them: one search per node (what the store did)
// and layer-0 lists refined by RefineKNN. recall@15 is measured on 1,000
// sampled rows against exact search; the index build is not timed.
// -long: 300k vectors.
func BenchmarkKNNGraphFromIndex(b *testing.B) {
	n, dim, k := 100_000, 64, 15
	if *long {
		n = 300_000
	}
	v, _ := gaussianMixture(n, dim, n/1000, 1, 11)
	ctx := context.Background()
	t0 := time.Now()
	init, ix := layer0(b, v, n, dim)
	b.Logf("index of %d × %d built in %.1fs", n, dim, time.Since(t0).Seconds())
	rows := make([]int, 1000)
	exact := make([][]uint32, n)
	for j := range rows {
		rows[j] = j * (n / len(rows))
		i := rows[j]
		res, err := ix.Search(ctx, v[i*dim:(i+1)*dim], k+1, index.SearchOptions{Exact: true})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if int(r.Key) != i && len(exact[i]) < k {
				exact[i] = append(exact[i], uint32(r.Key))
			}
		}
	}
	report := func(b *testing.B, f func() [][]uint32) {
		b.ResetTimer()
		cpu0 := cputime.Seconds()
		var ids [][]uint32
		for i := 0; i < b.N; i++ {
			ids = f()
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/graph")
		b.ReportMetric((cputime.Seconds()-cpu0)/float64(b.N), "cpu-s/graph")
		b.ReportMetric(knnRecall(exact, ids, rows), "recall@15")
	}
	b.Run("search-per-node", func(b *testing.B) {
		report(b, func() [][]uint32 {
			ids := make([][]uint32, n)
			errs := make(chan error, 2)
			for w := 0; w < 2; w++ {
				go func() {
					for i := w; i < n; i += 2 {
						self := uint64(i)
						res, err := ix.Search(ctx, v[i*dim:(i+1)*dim], k, index.SearchOptions{Filter: func(key uint64) bool { return key != self }})
						if err != nil {
							errs <- err
							return
						}
						for _, r := range res {
							ids[i] = append(ids[i], uint32(r.Key))
						}
					}
					errs <- nil
				}()
			}
			for w := 0; w < 2; w++ {
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
			}
			return ids
		})
	})
	for _, it := range []int{-1, 1, 2} {
		b.Run(fmt.Sprintf("layer0+refine%d", max(it, 0)), func(b *testing.B) {
			report(b, func() [][]uint32 {
				ids, _, err := RefineKNN(ctx, v, n, dim, k, Cosine, init, RefineOptions{Iterations: it, Threads: 2})
				if err != nil {
					b.Fatal(err)
				}
				return ids
			})
		})
	}
}
