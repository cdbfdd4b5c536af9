package fromgenes

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"genestore/internal/sparse"
)

// dense builds a CSR from rows (zeros left out).
func dense(rows [][]float32) *sparse.CSR {
	X := &sparse.CSR{Rows: len(rows), Cols: len(rows[0]), Indptr: []int64{0}}
	for _, r := range rows {
		for j, v := range r {
			if v != 0 {
				X.Indices = append(X.Indices, int32(j))
				X.Data = append(X.Data, v)
			}
		}
		X.Indptr = append(X.Indptr, int64(len(X.Data)))
	}
	return X
}

func randomCase(seed uint64, n, g, dim int) ([][]float32, [][]float32) {
	r := rand.New(rand.NewPCG(seed, 2))
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = make([]float32, g)
		for j := range rows[i] {
			if r.Float64() < 0.4 {
				rows[i][j] = float32(r.ExpFloat64())
			}
		}
	}
	E := make([][]float32, g)
	for j := range E {
		if j%5 == 4 {
			continue // no vector
		}
		E[j] = make([]float32, dim)
		for d := range E[j] {
			E[j][d] = float32(r.NormFloat64())
		}
	}
	return rows, E
}

// TestScaledMatchesDense: the sparse computation equals the dense
// definition, (1/G) Σ_g (x − mean)/sd · e_g with the sample sd.
func TestScaledMatchesDense(t *testing.T) {
	const n, g, dim = 40, 12, 5
	rows, E := randomCase(1, n, g, dim)
	rows[3] = make([]float32, g) // an empty cell still has a vector under Scaled
	for i := range rows {
		rows[i][7] = 2 // a constant gene: not used
	}
	res, err := Embed(context.Background(), dense(rows), E, dim, Scaled, nil)
	if err != nil {
		t.Fatal(err)
	}
	var used []int
	mean, sd := make([]float64, g), make([]float64, g)
	for j := range g {
		for i := range n {
			mean[j] += float64(rows[i][j]) / n
		}
		for i := range n {
			d := float64(rows[i][j]) - mean[j]
			sd[j] += d * d / (n - 1)
		}
		sd[j] = math.Sqrt(sd[j])
		if E[j] != nil && sd[j] > 1e-9 {
			used = append(used, j)
		}
	}
	if res.Covered != len(used) || res.Covered != 9 {
		t.Fatalf("covered %d, want %d (9)", res.Covered, len(used))
	}
	for i := range n {
		for d := range dim {
			want := 0.0
			for _, j := range used {
				want += (float64(rows[i][j]) - mean[j]) / sd[j] * float64(E[j][d])
			}
			want /= float64(len(used))
			if got := float64(res.Vecs[i*dim+d]); math.Abs(got-want) > 1e-5 {
				t.Fatalf("cell %d dim %d: %g, want %g", i, d, got, want)
			}
		}
		if res.Empty[i] {
			t.Fatalf("cell %d marked empty", i)
		}
	}
}

// TestExpressionMatchesDefinition: GenePT-w's weighted mean, and an empty
// cell has no vector.
func TestExpressionMatchesDefinition(t *testing.T) {
	const n, g, dim = 20, 10, 4
	rows, E := randomCase(2, n, g, dim)
	rows[5] = make([]float32, g)
	rows[6] = make([]float32, g)
	rows[6][4] = 3 // only a gene without a vector
	res, err := Embed(context.Background(), dense(rows), E, dim, Expression, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		sum, acc := 0.0, make([]float64, dim)
		for j := range g {
			if E[j] == nil {
				continue
			}
			sum += float64(rows[i][j])
			for d := range dim {
				acc[d] += float64(rows[i][j]) * float64(E[j][d])
			}
		}
		if sum == 0 {
			if !res.Empty[i] {
				t.Fatalf("cell %d: expresses no covered gene but not empty", i)
			}
			continue
		}
		for d := range dim {
			if got, want := float64(res.Vecs[i*dim+d]), acc[d]/sum; math.Abs(got-want) > 1e-5 {
				t.Fatalf("cell %d dim %d: %g, want %g", i, d, got, want)
			}
		}
	}
	if !res.Empty[5] || !res.Empty[6] {
		t.Fatal("cells 5 and 6 should be empty")
	}
}

// TestSeparatesTypes: two cell types expressing two gene modules whose
// vectors point apart, in two datasets with a 3× depth and offset batch
// effect: under both weightings every cell is nearer (cosine) its own
// type's mean than the other's.
func TestSeparatesTypes(t *testing.T) {
	const g, dim = 20, 8
	r := rand.New(rand.NewPCG(3, 3))
	E := make([][]float32, g)
	for j := range E {
		E[j] = make([]float32, dim)
		for d := range E[j] {
			E[j][d] = float32(0.3 * r.NormFloat64())
		}
		E[j][j%2] += 1 // module 0: even genes, module 1: odd genes
	}
	cent := make([]float32, 0, g*dim)
	for _, e := range E {
		cent = append(cent, e...)
	}
	cent = Centre(cent, dim)
	for j := range E {
		E[j] = cent[j*dim : (j+1)*dim]
	}
	for _, w := range Weights() {
		r := rand.New(rand.NewPCG(4, 4)) // the same cells for every weighting
		var vecs [][]float32
		var types []int
		for batch := range 2 {
			var rows [][]float32
			for i := range 60 {
				row := make([]float32, g)
				for j := range row {
					lam := 0.3
					if j%2 == i%2 {
						lam = 2
					}
					lam *= float64(1 + 2*batch)
					row[j] = float32(math.Log1p(lam*r.ExpFloat64() + float64(batch)))
				}
				rows = append(rows, row)
				types = append(types, i%2)
			}
			res, err := Embed(context.Background(), dense(rows), E, dim, w, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range rows {
				vecs = append(vecs, res.Vecs[i*dim:(i+1)*dim])
			}
		}
		cent := [2][]float64{make([]float64, dim), make([]float64, dim)}
		for i, v := range vecs {
			for d := range dim {
				cent[types[i]][d] += float64(v[d])
			}
		}
		wrong := 0
		for i, v := range vecs {
			if cosine(v, cent[types[i]]) <= cosine(v, cent[1-types[i]]) {
				wrong++
			}
		}
		if wrong > 0 {
			t.Errorf("%s: %d of %d cells nearer the other type", w, wrong, len(vecs))
		}
	}
}

func cosine(a []float32, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * b[i]
		aa += float64(a[i]) * float64(a[i])
		bb += b[i] * b[i]
	}
	return ab / math.Sqrt(aa*bb)
}

func TestEmbedRefuses(t *testing.T) {
	X := dense([][]float32{{1, 0}, {0, 2}})
	e := []float32{1, 0}
	cases := map[string]struct {
		X *sparse.CSR
		E [][]float32
		w Weight
	}{
		"no covered gene": {X, [][]float32{nil, nil}, Scaled},
		"vector count":    {X, [][]float32{e}, Scaled},
		"vector length":   {X, [][]float32{e, {1}}, Expression},
		"weight":          {X, [][]float32{e, e}, "mean"},
		"negative":        {dense([][]float32{{-1, 1}, {1, 1}}), [][]float32{e, e}, Expression},
		"malformed":       {&sparse.CSR{Rows: 1, Cols: 2, Indptr: []int64{0, 1}, Indices: []int32{5}, Data: []float32{1}}, [][]float32{e, e}, Expression},
		"one cell scaled": {dense([][]float32{{1, 2}}), [][]float32{e, e}, Scaled},
	}
	for name, c := range cases {
		if _, err := Embed(context.Background(), c.X, c.E, 2, c.w, nil); !errors.Is(err, ErrInput) {
			t.Errorf("%s: err = %v, want ErrInput", name, err)
		}
	}
}

func TestCentre(t *testing.T) {
	got := Centre([]float32{3, 0, 0, 0, 0, 2}, 2)
	// unit rows (1,0), (0,1); zero row kept; mean (0.5, 0.5)
	want := []float32{0.5, -0.5, 0, 0, -0.5, 0.5}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Fatalf("Centre = %v, want %v", got, want)
		}
	}
}

func BenchmarkEmbed(b *testing.B) {
	rows, E := randomCase(4, 2000, 500, 32)
	X := dense(rows)
	for _, w := range Weights() {
		b.Run(string(w), func(b *testing.B) {
			for b.Loop() {
				if _, err := Embed(context.Background(), X, E, 32, w, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(X.Rows)*float64(b.N)/b.Elapsed().Seconds(), "cells/s")
		})
	}
}

// TestScaledPooled: with the moments of two datasets added, each dataset's
// cells are standardised by the pooled mean and sd, the dense definition
// over the stacked cells; ScaledPerDataset ignores them.
func TestScaledPooled(t *testing.T) {
	const g, dim = 8, 3
	rowsA, E := randomCase(5, 30, g, dim)
	rowsB, _ := randomCase(6, 20, g, dim)
	for i := range rowsB {
		for j := range rowsB[i] {
			rowsB[i][j] *= 3 // another depth: the pooled sd differs from either's
		}
	}
	A, B := dense(rowsA), dense(rowsB)
	ma, mb := ColumnMoments(A), ColumnMoments(B)
	pooled := Moments{N: ma.N + mb.N, Sum: make([]float64, g), SumSq: make([]float64, g)}
	for j := range g {
		pooled.Sum[j], pooled.SumSq[j] = ma.Sum[j]+mb.Sum[j], ma.SumSq[j]+mb.SumSq[j]
	}
	all := append(append([][]float32{}, rowsA...), rowsB...)
	n := float64(len(all))
	mean, sd := make([]float64, g), make([]float64, g)
	var used []int
	for j := range g {
		for _, r := range all {
			mean[j] += float64(r[j]) / n
		}
		for _, r := range all {
			d := float64(r[j]) - mean[j]
			sd[j] += d * d / (n - 1)
		}
		sd[j] = math.Sqrt(sd[j])
		if E[j] != nil {
			used = append(used, j)
		}
	}
	res, err := Embed(context.Background(), B, E, dim, Scaled, &pooled)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rowsB {
		for d := range dim {
			want := 0.0
			for _, j := range used {
				want += (float64(r[j]) - mean[j]) / sd[j] * float64(E[j][d])
			}
			want /= float64(len(used))
			if got := float64(res.Vecs[i*dim+d]); math.Abs(got-want) > 1e-5 {
				t.Fatalf("cell %d dim %d: %g, want %g", i, d, got, want)
			}
		}
	}
	own, err := Embed(context.Background(), B, E, dim, ScaledPerDataset, &pooled)
	if err != nil {
		t.Fatal(err)
	}
	same, err := Embed(context.Background(), B, E, dim, Scaled, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range own.Vecs {
		if own.Vecs[i] != same.Vecs[i] {
			t.Fatal("ScaledPerDataset should use the dataset's own moments")
		}
	}
	short := Moments{N: 5, Sum: make([]float64, g-1), SumSq: make([]float64, g-1)}
	if _, err := Embed(context.Background(), B, E, dim, Scaled, &short); !errors.Is(err, ErrInput) {
		t.Fatalf("short moments: %v", err)
	}
}
