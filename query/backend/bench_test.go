package backend_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"testing"

	"genestore/index"
	"genestore/internal/testutil/vecgen"
	"genestore/query"
	"genestore/query/backend"
	"genestore/store"
	"genestore/vecindex"
	"genestore/vocab"
)

// BenchmarkSearchStore times k = 10 searches of a 100k × 64 space (100
// anisotropic-free Gaussian clusters) through the backend, with the
// space's index in float32 and in int8 (re-ranked with floats read from the
// store in the query's transaction; the backend packs the int8 index's
// links). It reports queries/s, recall@10 against the exact cosine top 10,
// and the index's resident bytes per vector (heap growth when the backend
// loads it). With -count N Go repeats each sub-benchmark N times in a row,
// so float32's rounds all come before int8's: run the command several
// times for interleaved rounds.
func BenchmarkSearchStore(b *testing.B) {
	const n, dim, nq = 100_000, 64, 500
	ctx := context.Background()
	db, err := store.Open(filepath.Join(b.TempDir(), "s.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	r := rand.New(rand.NewPCG(1, 2))
	mix := vecgen.NewMixture(r, 100, dim, 0.3)
	vecs, queries := mix.Draw(r, n), mix.Draw(r, nq)
	ids := make([]uint32, n)
	for i := range ids {
		ids[i] = uint32(i)
	}
	if err := db.Update(func(tx *store.Tx) error {
		return tx.PutEmbeddings(vocab.SpaceCells, 1, ids, dim, vecs, store.Provenance{Kind: "bench"})
	}); err != nil {
		b.Fatal(err)
	}
	truth := make([][]uint64, nq)
	exact, err := vecindex.Build(ctx, &vecindex.Vectors{Space: vocab.SpaceCells, Dim: dim, Keys: keysOf(ids), Vecs: vecs}, index.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	for i := range truth {
		res, err := exact.Search(ctx, queries[i*dim:(i+1)*dim], 10, index.SearchOptions{Exact: true})
		if err != nil {
			b.Fatal(err)
		}
		for _, h := range res {
			truth[i] = append(truth[i], h.Key)
		}
	}
	exact = nil
	opts := index.DefaultOptions()
	opts.Threads = runtime.GOMAXPROCS(0)
	for _, c := range []struct {
		q      index.Quantization
		rerank int
	}{{index.Float32, 0}, {index.Int8, -1}, {index.Int8, 0}, {index.Int8, 20}} {
		q := c.q
		if _, err := vecindex.Reindex(ctx, db, vocab.SpaceCells, vecindex.Settings{Quantize: q}, opts); err != nil {
			b.Fatal(err)
		}
		before := heapBytes()
		bo := backend.DefaultOptions()
		bo.Rerank = c.rerank
		be, err := backend.New(db, bo)
		if err != nil {
			b.Fatal(err)
		}
		if err := be.Warm(ctx, vocab.SpaceCells); err != nil {
			b.Fatal(err)
		}
		perVector := float64(heapBytes()-before) / n
		name := q.String()
		switch {
		case c.q == index.Float32:
		case c.rerank < 0:
			name += "-whole-beam"
		case c.rerank == 0:
			name += fmt.Sprintf("-rerank%dk", backend.DefaultRerankPerK)
		default:
			name += fmt.Sprintf("-rerank%d", c.rerank)
		}
		b.Run(name, func(b *testing.B) {
			hits, i := 0, 0
			b.ResetTimer()
			for b.Loop() {
				j := i % nq
				err := be.View(ctx, func(rd query.Reader) error {
					res, err := rd.Search(ctx, vocab.SpaceCells, queries[j*dim:(j+1)*dim], 10, nil)
					for _, h := range res {
						for _, t := range truth[j] {
							if h.Key == t {
								hits++
							}
						}
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
			b.ReportMetric(float64(hits)/float64(10*b.N), "recall@10")
			b.ReportMetric(perVector, "index_B/vector")
		})
		runtime.KeepAlive(be)
	}
}

func keysOf(ids []uint32) []uint64 {
	out := make([]uint64, len(ids))
	for i, id := range ids {
		out[i] = vocab.EntityKey(1, id)
	}
	return out
}

func heapBytes() uint64 {
	var ms runtime.MemStats
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
