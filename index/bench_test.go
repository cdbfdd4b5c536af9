package index

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
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
		c := make([]uint8, dim)
		for i := range c {
			c[i] = uint8(i * 37)
		}
		ix := &Index{dim: dim, opts: Options{Quantize: Int8}}
		ix.setRange(make([]float32, dim), y)
		var buf []float32
		q := ix.query(x, &buf)
		b.Run(fmt.Sprintf("int8/dim=%d", dim), func(b *testing.B) {
			var s float32
			for b.Loop() {
				s += distU8(q, c)
			}
			_ = s
		})
	}
}

// BenchmarkBatchKernels times the batch distance kernels of a search step:
// 17 rows (a layer-0 list's worth) at random of an array of n 64-dimensional
// rows, float32 against int8 codes, in cache (n 2,000) and not (n 1M with
// -long, else 100k). It reports ns per row.
func BenchmarkBatchKernels(b *testing.B) {
	const dim, batch = 64, 17
	big := 100_000
	if *long {
		big = 1_000_000
	}
	for _, n := range []int{2000, big} {
		r := newKernelRows(n, dim, batch)
		vecs, codes, w, ids := r.vecs, r.codes, r.w, r.ids
		out, sums := make([]float32, batch), make([]int64, batch)
		for _, kind := range []string{"float32", "int8"} {
			b.Run(fmt.Sprintf("%s/rows=%d", kind, n), func(b *testing.B) {
				i := 0
				for b.Loop() {
					part := ids[i*batch : (i+1)*batch]
					if kind == "int8" {
						dotU8Batch(w, codes, part, sums)
					} else {
						dotBatch(vecs[:dim], vecs, part, out)
					}
					i = (i + 1) % 1024
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/row")
			})
		}
	}
}

// kernelRows are a kernel benchmark's operands: n random rows of dim
// floats and of dim codes, query weights, and 1,024 batches of batch
// random row ids.
type kernelRows struct {
	vecs  []float32
	codes []uint8
	w     []int16
	ids   []uint32
}

func newKernelRows(n, dim, batch int) kernelRows {
	rng := rand.New(rand.NewPCG(1, 1))
	r := kernelRows{make([]float32, n*dim), make([]uint8, n*dim), make([]int16, dim), make([]uint32, batch*1024)}
	for i := range r.vecs {
		r.vecs[i] = rng.Float32()
		r.codes[i] = uint8(rng.Uint32())
	}
	for i := range r.w {
		r.w[i] = int16(rng.Uint32())
	}
	for i := range r.ids {
		r.ids[i] = rng.Uint32N(uint32(n))
	}
	return r
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

// BenchmarkSearch times searches of a float32 and an int8 index of the
// same vectors (int8 re-ranked with the floats; once more with its links
// packed), the sub-benchmarks of each ef interleaved so that a drifting
// machine affects them alike.
func BenchmarkSearch(b *testing.B) {
	n, dim := benchSize(), 64
	all := mixture(3, n+500, dim, 100)
	f32 := build(b, dim, Options{Seed: 1, Threads: 2}, all[:n*dim])
	q8 := build(b, dim, Options{Seed: 1, Threads: 2, Quantize: Int8}, all[:n*dim])
	var snap bytes.Buffer
	if _, err := q8.WriteTo(&snap); err != nil {
		b.Fatal(err)
	}
	q8p, err := Read(&snap)
	if err != nil {
		b.Fatal(err)
	}
	q8p.PackLinks()
	src := rows{all[:n*dim], dim}
	queries := all[n*dim:]
	ctx := context.Background()
	for _, ef := range []int{10, 20, 40, 80} {
		for _, ix := range []*Index{f32, q8, q8p} {
			name := ix.opts.Quantize.String()
			if ix.LinksPacked() {
				name += "-packed"
			}
			b.Run(fmt.Sprintf("ef=%d/%s", ef, name), func(b *testing.B) {
				opts := SearchOptions{Ef: ef, Floats: src}
				rec := recallVs(b, f32, ix, queries[:200*dim], 10, opts)
				nq := len(queries) / dim
				i := 0
				b.ResetTimer()
				for b.Loop() {
					if _, err := ix.Search(ctx, queries[i*dim:(i+1)*dim], 10, opts); err != nil {
						b.Fatal(err)
					}
					i = (i + 1) % nq
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "qps")
				b.ReportMetric(rec, "recall@10")
			})
		}
	}
}

// BenchmarkAppend times AddBatch of 5k vectors into an index of benchSize
// loaded from a snapshot (as a store's append does), with 1 and 2 threads.
func BenchmarkAppend(b *testing.B) {
	n, extra, dim := benchSize(), 5000, 64
	all := mixture(4, n+extra, dim, 100)
	data := snapshot(b, build(b, dim, Options{Seed: 1, Threads: 2}, all[:n*dim]))
	keys := make([]uint64, extra)
	for i := range keys {
		keys[i] = uint64(n + i)
	}
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				ix, err := Read(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				ix.SetThreads(threads)
				b.StartTimer()
				if err := ix.AddBatch(context.Background(), keys, all[n*dim:]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(extra)*float64(b.N)/b.Elapsed().Seconds(), "vectors/s")
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
