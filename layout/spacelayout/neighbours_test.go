package spacelayout

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"genestore/index"
)

// TestNeighboursRerankInt8 searches an int8 index with and without the
// points' floats: with them, every returned distance is the exact cosine
// distance of the float vectors (as for a float32 index), so layouts and
// appended points use the same neighbours whatever the space's
// quantization.
func TestNeighboursRerankInt8(t *testing.T) {
	const n, dim, k = 600, 16, 8
	rng := rand.New(rand.NewPCG(1, 2))
	p := &points{dim: dim}
	for i := range n {
		p.keys = append(p.keys, uint64(i))
		var s float64
		row := make([]float32, dim)
		for j := range row {
			row[j] = float32(rng.NormFloat64())
			s += float64(row[j]) * float64(row[j])
		}
		for j := range row {
			row[j] /= float32(math.Sqrt(s))
		}
		p.vecs = append(p.vecs, row...)
	}
	o := index.DefaultOptions()
	o.Quantize = index.Int8
	o.ExactBelow = 0
	ix, err := index.New(dim, o)
	if err != nil {
		t.Fatal(err)
	}
	for i, key := range p.keys {
		if err := ix.Add(key, p.vecs[i*dim:(i+1)*dim]); err != nil {
			t.Fatal(err)
		}
	}
	self := p.keys[:50]
	all := func(uint64) bool { return true }
	exact := func(i int, j uint32) float32 {
		var d float64
		for c := range dim {
			d += float64(p.vecs[i*dim+c]) * float64(p.vecs[int(j)*dim+c])
		}
		return float32(1 - d)
	}
	for _, withFloats := range []bool{true, false} {
		var floats index.VectorSource
		if withFloats {
			floats = p
		}
		ids, dists, err := neighbours(context.Background(), ix, p.keys, self, p.vecs[:50*dim], dim, k, all, floats)
		if err != nil {
			t.Fatal(err)
		}
		off := 0
		for i := range self {
			if len(ids[i]) != k {
				t.Fatalf("point %d: %d neighbours", i, len(ids[i]))
			}
			for m, j := range ids[i] {
				if math.Abs(float64(dists[i][m]-exact(i, j))) > 1e-5 {
					off++
				}
			}
		}
		if withFloats && off > 0 {
			t.Errorf("with floats: %d of %d distances are not the float cosine distance", off, 50*k)
		}
		if !withFloats && off == 0 {
			t.Errorf("without floats every code distance equals the float one: the test cannot tell the two apart")
		}
	}
}
