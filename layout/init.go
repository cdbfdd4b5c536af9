package layout

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"gonum.org/v1/gonum/mat"

	"genestore/internal/par"
)

// spectral returns the two leading non-trivial eigenvectors of the
// normalised adjacency N = D^−½ A D^−½ of the connected graph g (those of
// the normalised Laplacian I − N with the smallest non-zero eigenvalues) as
// n×2 coordinates: exactly (gonum's EigenSym) up to denseSpectralMax
// points, else it runs subspace iteration with a block of 6 vectors on
// (I + N)/2, whose spectrum lies in [0, 1], with the trivial eigenvector
// D^½·1 projected out, and a Rayleigh–Ritz step every 10 iterations; it
// stops when the two Ritz values move by less than 1e-7 or after 300
// iterations (the subspace is then still a good start: UMAP only needs a
// smooth initial map).
func spectral(ctx context.Context, g *Graph, rng *rand.Rand) ([]float64, error) {
	n := g.N
	const p = 6
	if n < p+2 {
		return nil, fmt.Errorf("%w: %d points are too few for a spectral start", ErrInvalid, n)
	}
	deg := make([]float64, n)
	for i := 0; i < n; i++ {
		for q := g.Indptr[i]; q < g.Indptr[i+1]; q++ {
			deg[i] += float64(g.Weights[q])
		}
		if deg[i] == 0 {
			return nil, fmt.Errorf("%w: point %d has no edges", ErrInvalid, i)
		}
	}
	isq := make([]float64, n)
	u0 := make([]float64, n)
	var s float64
	for i, d := range deg {
		isq[i] = 1 / math.Sqrt(d)
		u0[i] = math.Sqrt(d)
		s += d
	}
	for i := range u0 {
		u0[i] /= math.Sqrt(s)
	}
	// X is n×p column-major: column c is X[c*n:(c+1)*n]
	X := make([]float64, n*p)
	for i := range X {
		X[i] = rng.NormFloat64()
	}
	if n <= denseSpectralMax {
		return denseSpectral(g, isq)
	}
	Y := make([]float64, n*p)
	threads := runtime.GOMAXPROCS(0)
	apply := func(dst, src []float64) { // dst = (I + N)/2 src, per column
		par.For(threads, n, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				var acc [p]float64
				for q := g.Indptr[i]; q < g.Indptr[i+1]; q++ {
					j := int(g.Indices[q])
					w := float64(g.Weights[q]) * isq[j]
					for c := 0; c < p; c++ {
						acc[c] += w * src[c*n+j]
					}
				}
				for c := 0; c < p; c++ {
					dst[c*n+i] = 0.5 * (src[c*n+i] + isq[i]*acc[c])
				}
			}
		})
	}
	orth := func(M []float64) { // project out u0, then modified Gram–Schmidt
		for c := 0; c < p; c++ {
			col := M[c*n : (c+1)*n]
			for rep := 0; rep < 2; rep++ {
				project(col, u0)
				for e := 0; e < c; e++ {
					project(col, M[e*n:(e+1)*n])
				}
			}
			nrm := math.Sqrt(dot(col, col))
			if nrm == 0 {
				for i := range col {
					col[i] = rng.NormFloat64()
				}
				c-- // redo this column
				continue
			}
			for i := range col {
				col[i] /= nrm
			}
		}
	}
	orth(X)
	var prev [2]float64
	var vecs *mat.Dense
	for it := 1; it <= 300; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		apply(Y, X)
		X, Y = Y, X
		orth(X)
		if it%10 != 0 && it != 300 {
			continue
		}
		// Rayleigh–Ritz: H = Xᵀ M X
		apply(Y, X)
		H := mat.NewSymDense(p, nil)
		for a := 0; a < p; a++ {
			for b := a; b < p; b++ {
				H.SetSym(a, b, dot(X[a*n:(a+1)*n], Y[b*n:(b+1)*n]))
			}
		}
		var eig mat.EigenSym
		if !eig.Factorize(H, true) {
			return nil, fmt.Errorf("layout: spectral start: eigen-decomposition failed")
		}
		vals := eig.Values(nil) // ascending
		vecs = &mat.Dense{}
		eig.VectorsTo(vecs)
		// rotate X to the Ritz vectors, largest first
		R := make([]float64, n*p)
		for c := 0; c < p; c++ {
			src := p - 1 - c
			for e := 0; e < p; e++ {
				w := vecs.At(e, src)
				if w == 0 {
					continue
				}
				xe := X[e*n : (e+1)*n]
				rc := R[c*n : (c+1)*n]
				for i := range rc {
					rc[i] += w * xe[i]
				}
			}
		}
		copy(X, R)
		cur := [2]float64{vals[p-1], vals[p-2]}
		if math.Abs(cur[0]-prev[0]) < 1e-7 && math.Abs(cur[1]-prev[1]) < 1e-7 {
			break
		}
		prev = cur
	}
	out := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		out[2*i] = X[i]
		out[2*i+1] = X[n+i]
	}
	return out, nil
}

// denseSpectralMax is the largest graph whose eigenvectors are computed
// exactly (dense, O(n³)) instead of by subspace iteration.
const denseSpectralMax = 600

// denseSpectral computes the eigenvectors of N = D^−½ A D^−½ exactly and
// returns those of its second and third largest eigenvalues.
func denseSpectral(g *Graph, isq []float64) ([]float64, error) {
	n := g.N
	N := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for q := g.Indptr[i]; q < g.Indptr[i+1]; q++ {
			j := int(g.Indices[q])
			if j >= i {
				N.SetSym(i, j, float64(g.Weights[q])*isq[i]*isq[j])
			}
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(N, true) {
		return nil, fmt.Errorf("layout: spectral start: eigen-decomposition failed")
	}
	var V mat.Dense
	eig.VectorsTo(&V)
	out := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		out[2*i] = V.At(i, n-2)
		out[2*i+1] = V.At(i, n-3)
	}
	return out, nil
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// project removes from col its component along the unit vector u.
func project(col, u []float64) {
	d := dot(col, u)
	for i := range col {
		col[i] -= d * u[i]
	}
}

// PCA returns the first two principal components' scores of the n×dim
// row-major vectors as n×2 coordinates (row-major, float64).
func PCA(vecs []float32, n, dim int) ([]float64, error) {
	if n < 2 || dim < 1 || len(vecs) != n*dim {
		return nil, fmt.Errorf("%w: %d values for %d×%d vectors", ErrInvalid, len(vecs), n, dim)
	}
	mean := make([]float64, dim)
	for i := 0; i < n; i++ {
		for j, v := range vecs[i*dim : (i+1)*dim] {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	cov := mat.NewSymDense(dim, nil)
	const block = 4096
	buf := make([]float64, block*dim)
	for lo := 0; lo < n; lo += block {
		hi := min(lo+block, n)
		for i := lo; i < hi; i++ {
			for j, v := range vecs[i*dim : (i+1)*dim] {
				buf[(i-lo)*dim+j] = float64(v) - mean[j]
			}
		}
		B := mat.NewDense(hi-lo, dim, buf[:(hi-lo)*dim])
		cov.SymRankK(cov, 1, B.T())
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return nil, fmt.Errorf("layout: PCA: eigen-decomposition failed")
	}
	var V mat.Dense
	eig.VectorsTo(&V)
	comps := [2]int{dim - 1, max(dim-2, 0)}
	out := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		row := vecs[i*dim : (i+1)*dim]
		for c, col := range comps {
			if dim == 1 && c == 1 {
				continue
			}
			var s float64
			for j, v := range row {
				s += (float64(v) - mean[j]) * V.At(j, col)
			}
			out[2*i+c] = s
		}
	}
	return out, nil
}

// scaleStart turns raw start coordinates into umap-learn's: scaled so the
// largest magnitude is 10, jittered with N(0, 1e-4) noise, then each axis
// mapped onto [0, 10].
func scaleStart(x []float64, rng *rand.Rand) []float32 {
	var mx float64
	for _, v := range x {
		mx = max(mx, math.Abs(v))
	}
	f := 1.0
	if mx > 0 {
		f = 10 / mx
	}
	for i := range x {
		x[i] = x[i]*f + rng.NormFloat64()*1e-4
	}
	out := make([]float32, len(x))
	for d := 0; d < 2; d++ {
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := d; i < len(x); i += 2 {
			lo, hi = min(lo, x[i]), max(hi, x[i])
		}
		span := hi - lo
		if span == 0 {
			span = 1
		}
		for i := d; i < len(x); i += 2 {
			out[i] = float32(10 * (x[i] - lo) / span)
		}
	}
	return out
}
