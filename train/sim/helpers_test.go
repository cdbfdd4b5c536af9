package sim

import (
	"context"
	"math"
	"testing"

	"genestore/internal/sparse"
)

// smallConfig is a quick configuration for tests.
func smallConfig() Config {
	c := DefaultConfig()
	c.Cells = 600
	c.Genes = 600
	c.Modules = 12
	c.CellTypes = 6
	return c
}

func mustGenerate(t testing.TB, cfg Config) *Simulation {
	t.Helper()
	s, err := Generate(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return s
}

// logNormDense returns log1p(counts / total × 1e4) as a dense cells × cols
// matrix over the given columns (all columns when cols is nil).
func logNormDense(X *sparse.CSR, cols []int) [][]float64 {
	pos := make([]int, X.Cols)
	for i := range pos {
		pos[i] = -1
	}
	if cols == nil {
		cols = make([]int, X.Cols)
		for i := range cols {
			cols[i] = i
		}
	}
	for k, c := range cols {
		pos[c] = k
	}
	out := make([][]float64, X.Rows)
	for r := range X.Rows {
		idx, val := X.Row(r)
		tot := 0.0
		for _, v := range val {
			tot += float64(v)
		}
		row := make([]float64, len(cols))
		for k, c := range idx {
			if p := pos[c]; p >= 0 && tot > 0 {
				row[p] = math.Log1p(float64(val[k]) / tot * 1e4)
			}
		}
		out[r] = row
	}
	return out
}

// pearsonCols returns the Pearson correlation matrix of the columns of x.
func pearsonCols(x [][]float64) [][]float64 {
	n, p := len(x), len(x[0])
	z := make([][]float64, p) // standardised columns
	for j := range p {
		col := make([]float64, n)
		var s, ss float64
		for i := range n {
			col[i] = x[i][j]
			s += col[i]
		}
		mean := s / float64(n)
		for i := range col {
			col[i] -= mean
			ss += col[i] * col[i]
		}
		sd := math.Sqrt(ss)
		for i := range col {
			if sd > 0 {
				col[i] /= sd
			}
		}
		z[j] = col
	}
	c := make([][]float64, p)
	for a := range p {
		c[a] = make([]float64, p)
		for b := range p {
			var s float64
			for i := range n {
				s += z[a][i] * z[b][i]
			}
			c[a][b] = s
		}
	}
	return c
}
