package pipeline

import (
	"cmp"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/stat"

	"genestore/internal/sparse"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/train/prep"
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

// TestSpatialPatternMouseOlfactoryBulb checks Moran's I on the shipped
// Spatial Transcriptomics section of the mouse olfactory bulb against an
// annotation it never sees: the genes it ranks as spatially patterned
// (from x/y alone) are the genes whose expression the tissue's layers
// explain (η², the between-layer share of each gene's variance).
func TestSpatialPatternMouseOlfactoryBulb(t *testing.T) {
	ctx := context.Background()
	o := ingest.DefaultOptions()
	o.Coords = [2]string{"x", "y"}
	ds, err := ingest.Read(ctx, filepath.Join("..", "testdata", "sample", "mob_spatial"), o)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), &store.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.AddDataset(ctx, "mob", ds, store.AddOptions{Species: "mouse"}); err != nil {
		t.Fatal(err)
	}
	res, err := SpatialPattern(ctx, db, "mob", SpatialPatternOptions{Top: ds.X.Cols})
	if err != nil {
		t.Fatal(err)
	}
	// η² of every gene from the layer labels, on the same log1p CP10k.
	layer := ds.Column("layer").Values
	xn, err := prep.Normalize(ds.X, ds.Values, 1e4)
	if err != nil {
		t.Fatal(err)
	}
	xt := xn.Transpose()
	eta := map[string]float64{}
	for g, gene := range ds.Genes {
		col := make([]float64, xn.Rows)
		idx, val := xt.Row(g)
		for k, r := range idx {
			col[r] = float64(val[k])
		}
		sum, n := map[string]float64{}, map[string]float64{}
		all, cnt := 0.0, 0.0
		for r, l := range layer {
			if l != "" {
				sum[l] += col[r]
				n[l]++
				all += col[r]
				cnt++
			}
		}
		mean := all / cnt
		var between, total float64
		for r, l := range layer {
			if l != "" {
				total += (col[r] - mean) * (col[r] - mean)
			}
		}
		for l := range sum {
			d := sum[l]/n[l] - mean
			between += n[l] * d * d
		}
		if total > 0 {
			eta[gene.Symbol] = between / total
		}
	}
	is, es := make([]float64, len(res.Genes)), make([]float64, len(res.Genes))
	for i, g := range res.Genes {
		is[i], es[i] = g.I, eta[g.Symbol]
	}
	rho := stat.Correlation(ranks(is), ranks(es), nil)
	top := stat.Mean(es[:10], nil)
	t.Logf("%d genes: Spearman(Moran's I, layer η²) = %.3f; mean η² of the top 10 %.3f, of all %.3f; top: %s %s %s",
		len(res.Genes), rho, top, stat.Mean(es, nil), res.Genes[0].Symbol, res.Genes[1].Symbol, res.Genes[2].Symbol)
	if rho < 0.6 || top < 2.5*stat.Mean(es, nil) {
		t.Errorf("spatial ranking does not follow the layers: rho %.3f, top-10 η² %.3f", rho, top)
	}
}

// ranks returns the ranks of x (0-based, ties in input order).
func ranks(x []float64) []float64 {
	order := make([]int, len(x))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(x[a], x[b]) })
	r := make([]float64, len(x))
	for k, i := range order {
		r[i] = float64(k)
	}
	return r
}
