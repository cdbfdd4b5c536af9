package index

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

func BenchmarkDot(b *testing.B) {
	for _, dim := range []int{32, 64, 128} {
		x, y := mixture(1, 1, dim, 1), mixture(2, 1, dim, 1)
		b.Run(fmt.Sprintf("portable/dim=%d", dim), func(b *testing.B) {
			var s float32
			for b.Loop() {
				s += dotPortable(x, y)
			}
			_ = s
		})
		b.Run(fmt.Sprintf("%s/dim=%d", Kernel(), dim), func(b *testing.B) {
			var s float32
			for b.Loop() {
				s += Dot(x, y)
			}
			_ = s
		})
	}
}

// benchSize is the benchmark index size: 20k × 64 by default, 100k with -long.
func benchSize() int {
	if *long {
		return 100_000
	}
	return 20_000
}

func BenchmarkBuild(b *testing.B) {
	n, dim := benchSize(), 64
	vecs := mixture(3, n, dim, 100)
	for b.Loop() {
		build(b, dim, Options{Seed: 1}, vecs)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "vectors/s")
}

func BenchmarkSearch(b *testing.B) {
	n, dim := benchSize(), 64
	all := mixture(3, n+500, dim, 100)
	ix := build(b, dim, Options{Seed: 1}, all[:n*dim])
	queries := all[n*dim:]
	ctx := context.Background()
	for _, ef := range []int{10, 20, 40, 80} {
		b.Run(fmt.Sprintf("ef=%d", ef), func(b *testing.B) {
			rec := recallAt(b, ix, queries[:200*dim], 10, ef)
			nq := len(queries) / dim
			i := 0
			b.ResetTimer()
			for b.Loop() {
				if _, err := ix.Search(ctx, queries[i*dim:(i+1)*dim], 10, SearchOptions{Ef: ef}); err != nil {
					b.Fatal(err)
				}
				i = (i + 1) % nq
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "qps")
			b.ReportMetric(rec, "recall@10")
		})
	}
}

func BenchmarkSnapshotLoad(b *testing.B) {
	n, dim := benchSize(), 64
	ix := build(b, dim, Options{Seed: 1}, mixture(3, n, dim, 100))
	var buf bytes.Buffer
	if _, err := ix.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	var total time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := Read(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		total += time.Since(t0)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "load-s")
}
