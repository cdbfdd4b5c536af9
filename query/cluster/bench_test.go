package cluster

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"genestore/internal/cputime"
	"genestore/internal/sparse"
)

// separatedMixtureNeighbors returns the k=15 neighbour lists of a Gaussian mixture of
// comps well-separated components (32 dims, centre spread 3 per dim, sd 1:
// centres ~24 apart, clouds of radius ~5.7), computing exact neighbours
// within each component: for such separated clouds that is the exact kNN
// graph, at a fraction of the O(n²) cost.
//
// noise is the share of each node's neighbours replaced by random nodes
// (with the distance of the k-th neighbour), to make communities less clear.
// truth is each node's component.
func separatedMixtureNeighbors(tb testing.TB, n, comps int, noise float64) (ids [][]uint32, dists [][]float32, truth []int) {
	tb.Helper()
	const dim, k = 32, 15
	var v []float32
	v, truth = gaussianMixture(n, dim, comps, 1, 42)
	ids = make([][]uint32, n)
	dists = make([][]float32, n)
	for c := 0; c < comps; c++ {
		var members []int
		var sub []float32
		for i := c; i < n; i += comps {
			members = append(members, i)
			sub = append(sub, v[i*dim:(i+1)*dim]...)
		}
		si, sd, err := KNN(context.Background(), sub, len(members), dim, k, Euclidean)
		if err != nil {
			tb.Fatal(err)
		}
		for j, m := range members {
			row := make([]uint32, len(si[j]))
			for r, x := range si[j] {
				row[r] = uint32(members[x])
			}
			ids[m], dists[m] = row, sd[j]
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range ids {
		for r := range ids[i] {
			if rng.Float64() < noise {
				ids[i][r] = uint32(rng.IntN(n))
				dists[i][r] = dists[i][len(dists[i])-1]
			}
		}
	}
	return ids, dists, truth
}

// separatedMixtureGraph is the graph of separatedMixtureNeighbors' lists
// with weighting w.
func separatedMixtureGraph(tb testing.TB, n, comps int, w Weighting, noise float64) (*sparse.CSR, []int) {
	tb.Helper()
	ids, dists, truth := separatedMixtureNeighbors(tb, n, comps, noise)
	g, err := FromNeighbors(ids, dists, GraphOptions{Weighting: w})
	if err != nil {
		tb.Fatal(err)
	}
	return g, truth
}

// BenchmarkSNN times the SNN graph (FromNeighbors, SNN weighting) from the
// k=15 neighbour lists of separatedMixtureNeighbors' mixture with 30% random
// neighbours, 100k nodes (1M with -long); -cpu 1,2 compares one worker
// with two.
func BenchmarkSNN(b *testing.B) {
	n := 100_000
	if *long {
		n = 1_000_000
	}
	ids, dists, _ := separatedMixtureNeighbors(b, n, n/1000, 0.3)
	b.ResetTimer()
	start, cpu0 := time.Now(), cputime.Seconds()
	var g *sparse.CSR
	for i := 0; i < b.N; i++ {
		var err error
		if g, err = FromNeighbors(ids, dists, GraphOptions{Weighting: SNN}); err != nil {
			b.Fatal(err)
		}
	}
	wall, cpu := time.Since(start).Seconds(), cputime.Seconds()-cpu0
	b.ReportMetric(wall/float64(b.N), "s/op")
	b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(len(g.Data)), "edges")
	b.ReportMetric(float64(n*b.N)/cpu, "nodes/cpu-s")
}

func benchCluster(b *testing.B, n int, m Method, w Weighting, noise float64) {
	g, truth := separatedMixtureGraph(b, n, n/1000, w, noise)
	o := DefaultOptions()
	o.Method = m
	b.ResetTimer()
	var res Result
	start, cpu0 := time.Now(), cputime.Seconds()
	for i := 0; i < b.N; i++ {
		var err error
		res, err = Cluster(context.Background(), g, seeded(o, uint64(i)))
		if err != nil {
			b.Fatal(err)
		}
	}
	sec := time.Since(start).Seconds() / float64(b.N)
	b.ReportMetric(sec, "s/op")
	b.ReportMetric((cputime.Seconds()-cpu0)/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(n)/sec, "nodes/s")
	b.ReportMetric(res.Modularity, "modularity")
	b.ReportMetric(float64(res.Communities), "communities")
	b.ReportMetric(testARI(res.Labels, truth), "ARI")
}

func BenchmarkLeiden100k(b *testing.B)       { benchCluster(b, 100_000, Leiden, Binary, 0) }
func BenchmarkLouvain100k(b *testing.B)      { benchCluster(b, 100_000, Louvain, Binary, 0) }
func BenchmarkLeiden100kNoisy(b *testing.B)  { benchCluster(b, 100_000, Leiden, Binary, 0.3) }
func BenchmarkLouvain100kNoisy(b *testing.B) { benchCluster(b, 100_000, Louvain, Binary, 0.3) }
func BenchmarkLeiden100kSNN(b *testing.B)    { benchCluster(b, 100_000, Leiden, SNN, 0) }
func BenchmarkLeiden20k(b *testing.B)        { benchCluster(b, 20_000, Leiden, Binary, 0) }

func BenchmarkKNNGraph5k(b *testing.B) {
	const n, dim = 5000, 32
	v, _ := gaussianMixture(n, dim, 20, 1, 1)
	b.ResetTimer()
	cpu0 := cputime.Seconds()
	for i := 0; i < b.N; i++ {
		if _, err := KNNGraph(context.Background(), v, n, dim, 15, Cosine, GraphOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "vectors/s")
	b.ReportMetric((cputime.Seconds()-cpu0)/float64(b.N), "cpu-s/op")
}

// testARI is the adjusted Rand index (a copy kept here so that this package's
// tests do not depend on query/eval).
func testARI(a, b []int) float64 {
	type pair struct{ x, y int }
	nij := map[pair]int{}
	ai, bj := map[int]int{}, map[int]int{}
	for i := range a {
		nij[pair{a[i], b[i]}]++
		ai[a[i]]++
		bj[b[i]]++
	}
	c2 := func(x int) float64 { return float64(x) * float64(x-1) / 2 }
	var sij, sa, sb float64
	for _, v := range nij {
		sij += c2(v)
	}
	for _, v := range ai {
		sa += c2(v)
	}
	for _, v := range bj {
		sb += c2(v)
	}
	exp := sa * sb / c2(len(a))
	return (sij - exp) / ((sa+sb)/2 - exp)
}

// BenchmarkGonumLouvain20k times gonum's community.Modularize on the same
// 20k-node graph as BenchmarkLeiden20k, as the reference for the speed-up
// (-long only: it takes tens of seconds).
func BenchmarkGonumLouvain20k(b *testing.B) {
	if !*long {
		b.Skip("-long")
	}
	g, truth := separatedMixtureGraph(b, 20_000, 20, Binary, 0)
	e := csrEdges(g)
	b.ResetTimer()
	cpu0 := cputime.Seconds()
	var labels []int
	var q float64
	for i := 0; i < b.N; i++ {
		labels, q = gonumCluster(g.Rows, e, 1, uint64(i))
	}
	b.ReportMetric((cputime.Seconds()-cpu0)/float64(b.N), "cpu-s/op")
	b.ReportMetric(q, "modularity")
	b.ReportMetric(testARI(labels, truth), "ARI")
}

// BenchmarkLeiden1M clusters a 1M-node graph built as for the 100k
// benchmarks (-long only).
func BenchmarkLeiden1M(b *testing.B) {
	if !*long {
		b.Skip("-long")
	}
	benchCluster(b, 1_000_000, Leiden, Binary, 0.3)
}
