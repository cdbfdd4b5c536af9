package expr

import (
	"context"
	"fmt"
	"math"
	"sort"

	"genestore/internal/f32"

	"gonum.org/v1/gonum/mat"
)

// decomp is one eigendecomposition of the landmark Gram matrix of a
// standardised, centred training matrix X (n × L), with the targets Y
// (n × T) already folded in. Every linear fit is then
//
//	W = C · diag(f(λ)) · B
//
// for a filter f: 1/(λ+α) for ridge, 1/λ (λ above a cut) for least
// squares. In the primal form (n ≥ L) the decomposition is X'X = V Λ V',
// C = V and B = V'X'Y; in the dual form (n < L) it is XX' = U Λ U',
// C = X'U and B = U'Y. r = min(n, L) eigenpairs, λ descending.
type decomp struct {
	L, T, r int
	lam     []float64
	C       []float32 // L × r
	B       []float32 // r × T
	dual    bool
}

// lsCut is the relative eigenvalue below which least squares treats a
// direction as null (minimum-norm solution): λ < lsCut·λmax.
const lsCut = 1e-10

func decompose(ctx context.Context, x []float32, n, L int, y []float32, T, threads int) (*decomp, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dual := n < L
	r := min(n, L)
	// The Gram matrix is accumulated in float64 so that small eigenvalues
	// (which least squares divides by) keep their digits.
	xd := mat.NewDense(n, L, nil)
	for i := range n {
		row := xd.RawRowView(i)
		for j := range L {
			row[j] = float64(x[i*L+j])
		}
	}
	var g mat.SymDense
	if dual {
		g.SymOuterK(1, xd)
	} else {
		g.SymOuterK(1, xd.T())
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var eig mat.EigenSym
	if !eig.Factorize(&g, true) {
		return nil, fmt.Errorf("%w: eigendecomposition of the %d×%d Gram matrix did not converge", ErrNumeric, g.SymmetricDim(), g.SymmetricDim())
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	m := g.SymmetricDim()
	ord := make([]int, m)
	for i := range ord {
		ord[i] = i
	}
	sort.SliceStable(ord, func(a, b int) bool { return vals[ord[a]] > vals[ord[b]] })
	ord = ord[:r]
	d := &decomp{L: L, T: T, r: r, lam: make([]float64, r), dual: dual}
	q := make([]float32, m*r) // eigenvectors, m × r
	for k, o := range ord {
		d.lam[k] = max(vals[o], 0)
		for i := range m {
			q[i*r+k] = float32(vecs.At(i, o))
		}
	}
	d.B = make([]float32, r*T)
	if dual {
		d.C = make([]float32, L*r)
		f32.Gemm(threads, true, false, L, r, n, x, L, q, r, false, d.C, r)
		f32.Gemm(threads, true, false, r, T, n, q, r, y, T, false, d.B, T)
	} else {
		d.C = q
		xty := make([]float32, L*T)
		f32.Gemm(threads, true, false, L, T, n, x, L, y, T, false, xty, T)
		f32.Gemm(threads, true, false, r, T, L, q, r, xty, T, false, d.B, T)
	}
	return d, ctx.Err()
}

// meanLam is the mean eigenvalue of the Gram matrix over L (its trace / L):
// the unit of the ridge penalties.
func (d *decomp) meanLam() float64 {
	var s float64
	for _, l := range d.lam {
		s += l
	}
	return s / float64(d.L)
}

// weights returns W (L × T) = C diag(f) B, with f chosen per target by
// filter(k, t).
func (d *decomp) weights(filter func(k, t int) float64, threads int) []float32 {
	bf := make([]float32, d.r*d.T)
	for k := range d.r {
		for t := range d.T {
			bf[k*d.T+t] = float32(float64(d.B[k*d.T+t]) * filter(k, t))
		}
	}
	w := make([]float32, d.L*d.T)
	f32.Gemm(threads, false, false, d.L, d.T, d.r, d.C, d.r, bf, d.T, false, w, d.T)
	return w
}

// lsFilter is the minimum-norm least-squares filter.
func (d *decomp) lsFilter() func(k, t int) float64 {
	cut := lsCut * d.lam[0]
	return func(k, _ int) float64 {
		if d.lam[k] <= cut || d.lam[k] == 0 {
			return 0
		}
		return 1 / d.lam[k]
	}
}

// ridgeCV picks each target's penalty among alphas (multiples of the mean
// eigenvalue) by validation MAE on rows xv (nv × L) against yv (nv × T),
// all in standardised units. It returns the penalty per target (as a
// multiple of the mean eigenvalue),
// the validation predictions of ridge with those penalties and of least
// squares (nv × T each).
func (d *decomp) ridgeCV(ctx context.Context, xv, yv []float32, nv int, alphas []float64, threads int) (alpha []float64, ridgeP, lsP []float32, err error) {
	L, T, r := d.L, d.T, d.r
	a := make([]float32, nv*r)
	f32.Gemm(threads, false, false, nv, r, L, xv, L, d.C, r, false, a, r)
	as := make([]float32, nv*r)
	pred := make([]float32, nv*T)
	best := make([]float64, T)
	for t := range best {
		best[t] = math.Inf(1)
	}
	alpha = make([]float64, T)
	ridgeP = make([]float32, nv*T)
	unit := d.meanLam()
	if unit <= 0 {
		unit = 1
	}
	predict := func(f func(k int) float64) {
		for i := range nv {
			for k := range r {
				as[i*r+k] = float32(float64(a[i*r+k]) * f(k))
			}
		}
		f32.Gemm(threads, false, false, nv, T, r, as, r, d.B, T, false, pred, T)
	}
	mae := make([]float64, T)
	for _, al := range alphas {
		if err := ctx.Err(); err != nil {
			return nil, nil, nil, err
		}
		abs := al * unit
		predict(func(k int) float64 { return 1 / (d.lam[k] + abs) })
		clear(mae)
		for i := range nv {
			for t := range T {
				mae[t] += math.Abs(float64(pred[i*T+t] - yv[i*T+t]))
			}
		}
		for t := range T {
			if mae[t] < best[t] {
				best[t], alpha[t] = mae[t], al
				for i := range nv {
					ridgeP[i*T+t] = pred[i*T+t]
				}
			}
		}
	}
	ls := d.lsFilter()
	predict(func(k int) float64 { return ls(k, 0) })
	lsP = append([]float32(nil), pred...)
	return alpha, ridgeP, lsP, nil
}
