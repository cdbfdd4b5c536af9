package pipeline

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"

	"genestore/internal/sparse"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/vocab"
)

// spatialGrid is a side×side grid of spots with four genes: PAT is high
// in the left half only, GRAD rises from left to right, RND is noise with
// no layout, RARE is detected in 3 spots and HOUSE has the same mean
// everywhere.
func spatialGrid(side int, seed uint64) *ingest.Dataset {
	rng := rand.New(rand.NewPCG(seed, 1))
	n := side * side
	ds := &ingest.Dataset{Format: "test", Source: "grid", Values: vocab.Counts,
		X: &sparse.CSR{Rows: n, Cols: 5, Indptr: []int64{0}}}
	for _, s := range []string{"PAT", "GRAD", "RND", "RARE", "HOUSE"} {
		ds.Genes = append(ds.Genes, ingest.Gene{ID: "id-" + s, Symbol: s})
	}
	pois := func(mean float64) float32 { // Knuth, small means only
		l, k, p := math.Exp(-mean), 0, 1.0
		for {
			p *= rng.Float64()
			if p < l {
				return float32(k)
			}
			k++
		}
	}
	for i := range n {
		x, y := i%side, i/side
		ds.Barcodes = append(ds.Barcodes, "s"+strconv.Itoa(i))
		ds.Coords = append(ds.Coords, [2]float64{float64(x), float64(y)})
		pat := 1.0
		if x < side/2 {
			pat = 8
		}
		vals := []float32{pois(pat), pois(1 + 6*float64(x)/float64(side)), pois(4), 0, pois(20)}
		if i < 3 {
			vals[3] = 2
		}
		for c, v := range vals {
			if v > 0 {
				ds.X.Indices = append(ds.X.Indices, int32(c))
				ds.X.Data = append(ds.X.Data, v)
			}
		}
		ds.X.Indptr = append(ds.X.Indptr, int64(len(ds.X.Data)))
	}
	return ds
}

func TestSpatialPattern(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), &store.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.AddDataset(ctx, "grid", spatialGrid(20, 7), store.AddOptions{Modality: vocab.Spatial}); err != nil {
		t.Fatal(err)
	}
	plain := spatialGrid(4, 8)
	plain.Coords = nil
	if _, err := db.AddDataset(ctx, "plain", plain, store.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := SpatialPattern(ctx, db, "grid", SpatialPatternOptions{Permutations: 99, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Spots != 400 || res.Tested != 4 || res.K != 6 || len(res.Genes) != 4 {
		t.Fatalf("result %+v", res)
	}
	by := map[string]SpatialGene{}
	for _, g := range res.Genes {
		by[g.Symbol] = g
		t.Logf("%-5s I=%.3f z=%.1f q=%.2g perm p=%.3f", g.Symbol, g.I, g.Z, g.QNorm, g.PPerm)
	}
	if _, ok := by["RARE"]; ok {
		t.Error("a gene detected in 3 spots was tested")
	}
	if res.Genes[0].Symbol != "PAT" || by["PAT"].I < 0.3 || by["PAT"].QNorm > 1e-10 || by["PAT"].PPerm != 0.01 {
		t.Errorf("PAT: %+v", by["PAT"])
	}
	if g := by["GRAD"]; g.I < 0.1 || g.QNorm > 0.001 {
		t.Errorf("GRAD: %+v", g)
	}
	// HOUSE is flat in counts but not after per-spot normalisation: the
	// left half's PAT counts raise its totals. Only RND has no layout.
	if g := by["RND"]; g.I > 0.1 || g.QNorm < 0.01 || g.PPerm < 0.01 {
		t.Errorf("RND has a pattern: %+v", g)
	}
	top, err := SpatialPattern(ctx, db, "grid", SpatialPatternOptions{Top: 1, K: 4})
	if err != nil || len(top.Genes) != 1 || top.Genes[0].Symbol != "PAT" || top.Genes[0].PPerm != 0 {
		t.Errorf("top 1: %+v, %v", top, err)
	}
	if _, err := SpatialPattern(ctx, db, "plain", SpatialPatternOptions{}); !errors.Is(err, ErrSpatial) {
		t.Errorf("dataset without coordinates: %v", err)
	}
	if _, err := SpatialPattern(ctx, db, "none", SpatialPatternOptions{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown dataset: %v", err)
	}
	if _, err := SpatialPattern(ctx, db, "grid", SpatialPatternOptions{K: -1}); !errors.Is(err, ErrSpatial) {
		t.Errorf("k -1: %v", err)
	}
}

func TestBHAdjust(t *testing.T) {
	q := bhAdjust([]float64{0.01, 0.04, 0.03, 0.5})
	want := []float64{0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5}
	for i := range q {
		if d := q[i] - want[i]; d > 1e-12 || d < -1e-12 {
			t.Fatalf("bh %v, want %v", q, want)
		}
	}
}
