package baseline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"genestore/internal/sparse"
)

// lowRank builds a cells × genes sparse matrix with a few strong directions
// plus noise, clipped at zero (so it is sparse like log-normalised counts).
func lowRank(n, g, rank int, seed uint64) *sparse.CSR {
	rng := rand.New(rand.NewPCG(seed, 1))
	A := make([][]float64, rank)
	for r := range A {
		A[r] = make([]float64, g)
		for j := range A[r] {
			A[r][j] = rng.NormFloat64() * float64(rank-r+1)
		}
	}
	X := &sparse.CSR{Rows: n, Cols: g, Indptr: make([]int64, n+1)}
	for i := range n {
		w := make([]float64, rank)
		for r := range w {
			w[r] = rng.NormFloat64()
		}
		for j := range g {
			v := 0.3 * rng.NormFloat64()
			for r := range w {
				v += w[r] * A[r][j]
			}
			if v > 0.5 {
				X.Indices = append(X.Indices, int32(j))
				X.Data = append(X.Data, float32(v))
			}
		}
		X.Indptr[i+1] = int64(len(X.Data))
	}
	return X
}

func naivePCA(t *testing.T, X *sparse.CSR, k int) (scores *mat.Dense, loadings *mat.Dense, variance []float64) {
	t.Helper()
	n, g := X.Rows, X.Cols
	D := mat.NewDense(n, g, nil)
	for i := range n {
		idx, val := X.Row(i)
		for t, j := range idx {
			D.Set(i, int(j), float64(val[t]))
		}
	}
	for j := range g {
		m := 0.0
		for i := range n {
			m += D.At(i, j)
		}
		m /= float64(n)
		for i := range n {
			D.Set(i, j, D.At(i, j)-m)
		}
	}
	var svd mat.SVD
	if !svd.Factorize(D, mat.SVDThin) {
		t.Fatal("naive SVD failed")
	}
	s := svd.Values(nil)
	var U, V mat.Dense
	svd.UTo(&U)
	svd.VTo(&V)
	scores = mat.NewDense(n, k, nil)
	loadings = mat.NewDense(g, k, nil)
	for c := range k {
		for i := range n {
			scores.Set(i, c, U.At(i, c)*s[c])
		}
		for j := range g {
			loadings.Set(j, c, V.At(j, c))
		}
		variance = append(variance, s[c]*s[c]/float64(n-1))
	}
	return scores, loadings, variance
}

func TestPCAMatchesNaiveSVD(t *testing.T) {
	tests := []struct {
		name       string
		n, g, rank int
		k          int
	}{
		{"tall", 300, 60, 5, 5},
		{"wide", 80, 200, 4, 4},
		{"k below rank", 200, 50, 6, 3},
		{"k equals genes", 40, 8, 3, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			X := lowRank(tc.n, tc.g, tc.rank, 7)
			res, err := PCA(context.Background(), X, tc.k, 42)
			if err != nil {
				t.Fatal(err)
			}
			scores, loadings, variance := naivePCA(t, X, tc.k)
			for c := range tc.k {
				if rel := math.Abs(res.Variance[c]-variance[c]) / variance[0]; rel > 1e-5 {
					t.Errorf("component %d: variance %g, naive %g", c, res.Variance[c], variance[c])
				}
				// Compare axes up to sign, only where the spectrum separates them.
				if c+1 < len(variance) && variance[c] < 1.01*variance[min(c+1, len(variance)-1)] {
					continue
				}
				d := 0.0
				for j := range tc.g {
					d += float64(res.GeneLoadings[j*tc.k+c]) * loadings.At(j, c)
				}
				if math.Abs(math.Abs(d)-1) > 1e-4 {
					t.Errorf("component %d: |loading · naive| = %g, want 1", c, math.Abs(d))
				}
				sign := math.Copysign(1, d)
				for i := range tc.n {
					got, want := float64(res.CellScores[i*tc.k+c]), sign*scores.At(i, c)
					if math.Abs(got-want) > 1e-3*math.Sqrt(variance[0]) {
						t.Fatalf("component %d cell %d: score %g, naive %g", c, i, got, want)
					}
				}
			}
			if res.TotalVar+1e-9 < sum(res.Variance) {
				t.Errorf("total variance %g below explained %g", res.TotalVar, sum(res.Variance))
			}
			proj, err := res.Transform(X)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range proj {
				if math.Abs(float64(v-res.CellScores[i])) > 1e-3*math.Sqrt(variance[0]) {
					t.Fatalf("Transform[%d] = %g, score %g", i, v, res.CellScores[i])
				}
			}
		})
	}
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

// TestScaledLoadingsGiveCovariances: with every component kept, the dot
// product of two genes' scaled loadings is their sample covariance.
func TestScaledLoadingsGiveCovariances(t *testing.T) {
	X := lowRank(60, 8, 3, 5)
	res, err := PCA(context.Background(), X, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	L := res.ScaledLoadings()
	n, g := X.Rows, X.Cols
	D := make([]float64, n*g)
	for i := range n {
		idx, val := X.Row(i)
		for k, j := range idx {
			D[i*g+int(j)] = float64(val[k])
		}
	}
	for a := range g {
		for b := range g {
			var ma, mb, cov, dot float64
			for i := range n {
				ma += D[i*g+a] / float64(n)
				mb += D[i*g+b] / float64(n)
			}
			for i := range n {
				cov += (D[i*g+a] - ma) * (D[i*g+b] - mb) / float64(n-1)
			}
			for c := range res.K {
				dot += float64(L[a*res.K+c]) * float64(L[b*res.K+c])
			}
			if math.Abs(dot-cov) > 1e-3*max(1, math.Abs(cov)) {
				t.Fatalf("genes %d, %d: loadings give %.5f, covariance %.5f", a, b, dot, cov)
			}
		}
	}
}

func TestPCAReproducible(t *testing.T) {
	X := lowRank(150, 40, 4, 3)
	a, err := PCA(context.Background(), X, 4, 9)
	if err != nil {
		t.Fatal(err)
	}
	b, err := PCA(context.Background(), X, 4, 9)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.CellScores {
		if a.CellScores[i] != b.CellScores[i] {
			t.Fatalf("score %d differs between runs with the same seed", i)
		}
	}
}

func TestPCAErrors(t *testing.T) {
	X := lowRank(10, 5, 2, 1)
	bad := &sparse.CSR{Rows: 1, Cols: 2, Indptr: []int64{0, 1}, Indices: []int32{0}, Data: []float32{float32(math.NaN())}}
	tests := []struct {
		name string
		X    *sparse.CSR
		k    int
		want error
	}{
		{"nil", nil, 1, ErrShape},
		{"k zero", X, 0, ErrShape},
		{"k above genes", X, 6, ErrShape},
		{"nan", bad, 1, ErrNumeric},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := PCA(context.Background(), tc.X, tc.k, 1); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := PCA(ctx, X, 2, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v", err)
	}
}

// TestTransformRefusesMalformed: Transform checks the matrix as PCA does,
// so a column index past the genes or a NaN is an error, not an index
// panic or a NaN score.
func TestTransformRefusesMalformed(t *testing.T) {
	res, err := PCA(context.Background(), lowRank(10, 5, 2, 1), 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	for name, X := range map[string]*sparse.CSR{
		"column past the genes": {Rows: 1, Cols: 5, Indptr: []int64{0, 1}, Indices: []int32{9}, Data: []float32{1}},
		"short indptr":          {Rows: 2, Cols: 5, Indptr: []int64{0, 1}, Indices: []int32{0}, Data: []float32{1}},
		"nan":                   {Rows: 1, Cols: 5, Indptr: []int64{0, 1}, Indices: []int32{0}, Data: []float32{float32(math.NaN())}},
	} {
		if _, err := res.Transform(X); !errors.Is(err, ErrNumeric) {
			t.Errorf("%s: err = %v, want ErrNumeric", name, err)
		}
	}
}

func ExamplePCA() {
	// Three cells on a line through gene space: one component explains it all.
	X := &sparse.CSR{Rows: 3, Cols: 2, Indptr: []int64{0, 2, 4, 6},
		Indices: []int32{0, 1, 0, 1, 0, 1}, Data: []float32{1, 2, 2, 4, 3, 6}}
	res, err := PCA(context.Background(), X, 1, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("variance %.2f of %.2f\n", res.Variance[0], res.TotalVar)
	// Output: variance 5.00 of 5.00
}

func BenchmarkPCA(b *testing.B) {
	X := lowRank(5000, 500, 10, 1)
	b.ResetTimer()
	for b.Loop() {
		if _, err := PCA(context.Background(), X, 20, 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(X.Rows)*float64(b.N)/b.Elapsed().Seconds(), "cells/s")
}
