package vecindex

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"genestore/index"
	"genestore/internal/testutil/vecgen"
	"genestore/store"
)

// BenchmarkLoadFromStore measures what opening a query engine pays for one
// space: reading the snapshot blob out of the store (1 MiB chunks, CRCs) and
// decoding it. 100k × 64 clustered vectors, M 16 (the size); the
// index is built once, outside the timing.
func BenchmarkLoadFromStore(b *testing.B) {
	const n, dim = 100_000, 64
	ctx := context.Background()
	db, err := store.Open(filepath.Join(b.TempDir(), "s.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	r := rand.New(rand.NewPCG(1, 2))
	vecs := vecgen.NewMixture(r, 100, dim, 0.3).Draw(r, n)
	ids := make([]uint32, n)
	for i := range ids {
		ids[i] = uint32(i)
	}
	if err := db.Update(func(tx *store.Tx) error {
		return tx.PutEmbeddings("bench", 1, ids, dim, vecs, store.Provenance{Kind: "bench"})
	}); err != nil {
		b.Fatal(err)
	}
	if _, err := Rebuild(ctx, db, "bench", index.DefaultOptions()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var total time.Duration
	for range b.N {
		start := time.Now()
		ix, err := Load(ctx, db, "bench", index.DefaultOptions(), nil)
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		if ix.Len() != n {
			b.Fatalf("loaded %d vectors", ix.Len())
		}
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "load_s")
}
