package sparse

import (
	"math/rand/v2"
	"testing"
)

func randomCSR(r *rand.Rand, rows, cols int, density float64) *CSR {
	m := &CSR{Rows: rows, Cols: cols, Indptr: []int64{0}}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			if r.Float64() < density {
				m.Indices = append(m.Indices, int32(j))
				m.Data = append(m.Data, float32(r.IntN(9)+1))
			}
		}
		m.Indptr = append(m.Indptr, int64(len(m.Data)))
	}
	return m
}

func dense(m *CSR) [][]float32 {
	d := make([][]float32, m.Rows)
	for i := range d {
		d[i] = make([]float32, m.Cols)
		idx, val := m.Row(i)
		for k, c := range idx {
			d[i][c] = val[k]
		}
	}
	return d
}

func TestTransposeSelectStack(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a := randomCSR(r, 13, 7, 0.3)
	b := randomCSR(r, 5, 7, 0.5)
	for _, m := range []*CSR{a, b} {
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	da, dt := dense(a), dense(a.Transpose())
	for i := range da {
		for j := range da[i] {
			if da[i][j] != dt[j][i] {
				t.Fatalf("transpose differs at %d,%d", i, j)
			}
		}
	}
	cols := []int{6, 0, 3}
	ds := dense(a.SelectCols(cols))
	for i := range da {
		for k, c := range cols {
			if ds[i][k] != da[i][c] {
				t.Fatalf("SelectCols differs at row %d col %d", i, c)
			}
		}
	}
	if err := a.SelectCols(cols).Validate(); err != nil {
		t.Fatal(err)
	}
	st, err := VStack(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	dst, db := dense(st), dense(b)
	for i := 0; i < st.Rows; i++ {
		want := func(j int) float32 {
			if i < a.Rows {
				return da[i][j]
			}
			return db[i-a.Rows][j]
		}
		for j := 0; j < st.Cols; j++ {
			if dst[i][j] != want(j) {
				t.Fatalf("VStack differs at %d,%d", i, j)
			}
		}
	}
	if _, err := VStack(a, randomCSR(r, 2, 3, 0.5)); err == nil {
		t.Fatal("VStack accepted different column counts")
	}
	rows := []int{4, 4, 0}
	dr := dense(a.SelectRows(rows))
	for k, i := range rows {
		for j := range dr[k] {
			if dr[k][j] != da[i][j] {
				t.Fatal("SelectRows differs")
			}
		}
	}
}

// TestMapCols: columns are moved to their target, dropped where the target
// is negative, and target columns nothing maps to are all zero.
func TestMapCols(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	a := randomCSR(r, 11, 5, 0.6)
	// 8 columns, some staying empty: one map reorders (the transpose path),
	// one keeps the order (the row-filter path)
	for _, remap := range [][]int32{{4, -1, 0, 6, 2}, {0, -1, 2, 5, 6}} {
		m := a.MapCols(remap, 8)
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		da, dm := dense(a), dense(m)
		if len(dm) != a.Rows {
			t.Fatalf("%v: %d rows, want %d", remap, len(dm), a.Rows)
		}
		for i := range dm {
			want := make([]float32, 8)
			for c, nc := range remap {
				if nc >= 0 {
					want[nc] = da[i][c]
				}
			}
			for j := range want {
				if dm[i][j] != want[j] {
					t.Fatalf("%v: row %d col %d: %g, want %g", remap, i, j, dm[i][j], want[j])
				}
			}
		}
	}
}

func TestValidateRejects(t *testing.T) {
	bad := []*CSR{
		{Rows: 1, Cols: 2, Indptr: []int64{0, 1}, Indices: []int32{2}, Data: []float32{1}},
		{Rows: 1, Cols: 3, Indptr: []int64{0, 2}, Indices: []int32{1, 1}, Data: []float32{1, 1}},
		{Rows: 2, Cols: 2, Indptr: []int64{0, 1}, Indices: []int32{0}, Data: []float32{1}},
		{Rows: 1, Cols: 2, Indptr: []int64{0, 1}, Indices: []int32{0}, Data: []float32{float32(nanf())}},
		// a middle indptr past the data (it panicked before the check that it decreases)
		{Rows: 2, Cols: 3, Indptr: []int64{0, 3, 1}, Indices: []int32{0}, Data: []float32{1}},
	}
	for i, m := range bad {
		if m.Validate() == nil {
			t.Errorf("case %d: Validate accepted an invalid matrix", i)
		}
	}
}

func nanf() float64 { z := 0.0; return z / z }

// BenchmarkMapCols maps a 10k × 4000 matrix (~800 entries a row) onto its
// columns in order (a selection) and shuffled (another dataset's gene order).
func BenchmarkMapCols(b *testing.B) {
	const rows, cols, perRow = 10000, 4000, 800
	rng := rand.New(rand.NewPCG(1, 2))
	m := &CSR{Rows: rows, Cols: cols, Indptr: make([]int64, rows+1)}
	for r := range rows {
		for c := range cols {
			if rng.IntN(cols) < perRow {
				m.Indices = append(m.Indices, int32(c))
				m.Data = append(m.Data, 1)
			}
		}
		m.Indptr[r+1] = int64(len(m.Data))
	}
	for _, order := range []string{"in-order", "shuffled"} {
		remap := make([]int32, cols)
		for i := range remap {
			remap[i] = int32(i)
		}
		if order == "shuffled" {
			rng.Shuffle(cols, func(i, j int) { remap[i], remap[j] = remap[j], remap[i] })
		}
		b.Run(order, func(b *testing.B) {
			for b.Loop() {
				m.MapCols(remap, cols)
			}
			b.ReportMetric(float64(m.NNZ())*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
