package backend

import (
	"context"
	"math/rand/v2"
	"testing"

	"genestore/index"
	"genestore/internal/testutil/vecgen"
)

// TestServedPacksInt8 checks that the backend packs the links of the int8
// indexes it caches, and only those.
func TestServedPacksInt8(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, dim = 300, 8
	vecs := vecgen.NewMixture(rng, 5, dim, 0.3).Draw(rng, n)
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = uint64(i)
	}
	for _, q := range []index.Quantization{index.Float32, index.Int8} {
		opts := index.DefaultOptions()
		opts.Quantize = q
		ix, err := index.New(dim, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.AddBatch(context.Background(), keys, vecs); err != nil {
			t.Fatal(err)
		}
		if got := served(ix).LinksPacked(); got != (q == index.Int8) {
			t.Errorf("%v: packed %v", q, got)
		}
	}
	if served(nil) != nil {
		t.Error("served(nil) is not nil")
	}
}
