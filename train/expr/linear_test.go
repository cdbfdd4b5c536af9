package expr

import (
	"context"
	"math"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestDecompMatchesDirectSolve compares ridge and least-squares weights
// from the eigendecomposition with direct solves, in the primal (n ≥ L)
// and dual (n < L) forms.
func TestDecompMatchesDirectSolve(t *testing.T) {
	for _, c := range []struct{ n, L, T int }{{40, 10, 3}, {8, 20, 3}} {
		rng := newRand(uint64(c.n))
		x, y := make([]float32, c.n*c.L), make([]float32, c.n*c.T)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i := range y {
			y[i] = float32(rng.NormFloat64())
		}
		d, err := decompose(context.Background(), x, c.n, c.L, y, c.T, 1)
		if err != nil {
			t.Fatal(err)
		}
		if d.dual != (c.n < c.L) {
			t.Fatalf("n %d L %d: dual %v", c.n, c.L, d.dual)
		}
		X := mat.NewDense(c.n, c.L, f64(x))
		Y := mat.NewDense(c.n, c.T, f64(y))
		const alpha = 0.7
		var want mat.Dense
		if d.dual { // W = X'(XX' + αI)⁻¹Y
			var k mat.Dense
			k.Mul(X, X.T())
			for i := range c.n {
				k.Set(i, i, k.At(i, i)+alpha)
			}
			var s mat.Dense
			if err := s.Solve(&k, Y); err != nil {
				t.Fatal(err)
			}
			want.Mul(X.T(), &s)
		} else { // W = (X'X + αI)⁻¹X'Y
			var g, xty mat.Dense
			g.Mul(X.T(), X)
			for i := range c.L {
				g.Set(i, i, g.At(i, i)+alpha)
			}
			xty.Mul(X.T(), Y)
			if err := want.Solve(&g, &xty); err != nil {
				t.Fatal(err)
			}
		}
		got := d.weights(func(k, _ int) float64 { return 1 / (d.lam[k] + alpha) }, 1)
		assertClose(t, "ridge", got, want.RawMatrix().Data, 1e-3)
		// Least squares: X·W reproduces Y when n ≤ L (interpolation) and
		// satisfies the normal equations X'(XW − Y) = 0 otherwise.
		ls := d.weights(d.lsFilter(), 1)
		W := mat.NewDense(c.L, c.T, f64(ls))
		var r mat.Dense
		r.Mul(X, W)
		r.Sub(&r, Y)
		var ne mat.Dense
		ne.Mul(X.T(), &r)
		if d.dual {
			assertClose(t, "lstsq interpolation", f32s(r.RawMatrix().Data), make([]float64, c.n*c.T), 1e-3)
		} else {
			assertClose(t, "lstsq normal equations", f32s(ne.RawMatrix().Data), make([]float64, c.L*c.T), 1e-3)
		}
	}
}

func f64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func assertClose(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i])-want[i]) > tol*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestNeighboursMatchSort checks the top-k insertion against a full sort.
func TestNeighboursMatchSort(t *testing.T) {
	rng := newRand(4)
	const m, p, q, k = 300, 5, 20, 7
	n := &knn{p: p, ref: make([]float32, m*p)}
	for i := range n.ref {
		n.ref[i] = float32(rng.NormFloat64())
	}
	z := make([]float32, q*p)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	got := n.neighbours(z, q, k, 1)
	for i := range q {
		idx := make([]int, m)
		dist := make([]float64, m)
		for j := range m {
			idx[j] = j
			for c := range p {
				d := float64(z[i*p+c] - n.ref[j*p+c])
				dist[j] += d * d
			}
		}
		sort.SliceStable(idx, func(a, b int) bool { return dist[idx[a]] < dist[idx[b]] })
		for r := range k {
			if int(got[i][r]) != idx[r] {
				t.Fatalf("query %d rank %d: got %d, want %d", i, r, got[i][r], idx[r])
			}
		}
	}
}
