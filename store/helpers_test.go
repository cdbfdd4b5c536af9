package store

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"genestore/internal/sparse"
	"genestore/store/ingest"
	"genestore/vocab"
)

var long = flag.Bool("long", false, "run long tests")

// fixedClock makes stores reproducible.
func fixedClock() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// openTemp opens a new store in a temp dir.
func openTemp(t testing.TB) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "s.db"), &Options{Version: "test", Clock: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// randomVectors returns ids 0..n-1 and n uniform random vectors of dim.
func randomVectors(r *rand.Rand, n, dim int) ([]uint32, []float32) {
	ids := make([]uint32, n)
	vecs := make([]float32, n*dim)
	for i := range ids {
		ids[i] = uint32(i)
	}
	for i := range vecs {
		vecs[i] = r.Float32()
	}
	return ids, vecs
}

// randomCSR makes a rows × cols matrix with about perRow nonzeros per row;
// integer counts when ints, else positive floats.
func randomCSR(r *rand.Rand, rows, cols, perRow int, ints bool) *sparse.CSR {
	m := &sparse.CSR{Rows: rows, Cols: cols, Indptr: make([]int64, rows+1)}
	m.Indices = make([]int32, 0, rows*perRow)
	m.Data = make([]float32, 0, rows*perRow)
	p := float64(perRow) / float64(cols)
	for i := 0; i < rows; i++ {
		if perRow >= cols {
			for c := 0; c < cols; c++ {
				m.Indices = append(m.Indices, int32(c))
			}
		} else {
			// geometric skips: O(nnz) per row
			c := -1
			for {
				c += 1 + int(geom(r, p))
				if c >= cols {
					break
				}
				m.Indices = append(m.Indices, int32(c))
			}
		}
		for len(m.Data) < len(m.Indices) {
			if ints {
				m.Data = append(m.Data, float32(1+r.IntN(30)))
			} else {
				m.Data = append(m.Data, r.Float32()*10+0.001)
			}
		}
		m.Indptr[i+1] = int64(len(m.Data))
	}
	return m
}

func geom(r *rand.Rand, p float64) int {
	if p >= 1 {
		return 0
	}
	u := r.Float64()
	if u == 0 {
		u = 1e-12
	}
	return int(logf(u) / logf(1-p))
}

// randomDataset builds a dataset with gene symbols G0..G{cols-1} (unless
// genes is given), barcodes prefix-i and two obs columns.
func randomDataset(seed uint64, prefix string, rows, cols, perRow int, ints bool) *ingest.Dataset {
	r := rand.New(rand.NewPCG(seed, 7))
	x := randomCSR(r, rows, cols, perRow, ints)
	ds := &ingest.Dataset{Format: "mtx", Source: "/data/" + prefix, SHA256: fmt.Sprintf("%064x", seed), X: x}
	ds.Values = vocab.Counts
	if !ints {
		ds.Values = vocab.Normalized
	}
	for c := 0; c < cols; c++ {
		ds.Genes = append(ds.Genes, ingest.Gene{ID: fmt.Sprintf("ENSG%08d", c), Symbol: fmt.Sprintf("G%d", c)})
	}
	batch := ingest.ObsColumn{Name: "batch", Categorical: true}
	depth := ingest.ObsColumn{Name: "depth"}
	for i := 0; i < rows; i++ {
		ds.Barcodes = append(ds.Barcodes, fmt.Sprintf("%s-%07d-%d", prefix, (i*7919)%rows, i))
		batch.Values = append(batch.Values, fmt.Sprintf("b%d", i%3))
		depth.Values = append(depth.Values, fmt.Sprint(x.Indptr[i+1]-x.Indptr[i]))
	}
	ds.Obs = []ingest.ObsColumn{batch, depth}
	return ds
}

func csrEqual(t testing.TB, what string, got, want *sparse.CSR) {
	t.Helper()
	if got.Rows != want.Rows || got.Cols != want.Cols {
		t.Fatalf("%s: shape %d×%d, want %d×%d", what, got.Rows, got.Cols, want.Rows, want.Cols)
	}
	if !reflect.DeepEqual(got.Indptr, want.Indptr) {
		t.Fatalf("%s: indptr differs", what)
	}
	if !reflect.DeepEqual(got.Indices, want.Indices) && !(len(got.Indices) == 0 && len(want.Indices) == 0) {
		t.Fatalf("%s: indices differ", what)
	}
	for i := range want.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("%s: data[%d] = %v, want %v", what, i, got.Data[i], want.Data[i])
		}
	}
	if err := got.Validate(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// rowsOf returns rows [lo, hi) of m.
func rowsOf(m *sparse.CSR, lo, hi int) *sparse.CSR {
	idx := make([]int, hi-lo)
	for i := range idx {
		idx[i] = lo + i
	}
	return m.SelectRows(idx)
}

func logf(x float64) float64 { return math.Log(x) }

func nan() float64 { return math.NaN() }
