package layout

import (
	"fmt"
	"math"
)

// FitAB fits the a and b of UMAP's low-dimensional similarity
// 1/(1 + a d^2b) to the target curve of umap-learn's find_ab_params: 1 for
// d < minDist, exp(−(d − minDist)/spread) beyond, sampled at 300 evenly
// spaced d in [0, 3·spread], by Levenberg–Marquardt least squares from
// (1, 1), as scipy's curve_fit does. For minDist 0.1, spread 1 it gives
// a ≈ 1.577, b ≈ 0.895.
//
// The fit is done at spread 1 and rescaled: with u = d/spread the samples
// and the target are those of spread 1 and min_dist minDist/spread, and
// a·d^2b = a·spread^2b·u^2b, so the least-squares (a, b) of (spread,
// minDist) is (a₁·spread^−2b₁, b₁) from the fit (a₁, b₁) of (1,
// minDist/spread). Started at (1, 1) directly, Levenberg–Marquardt
// diverged to b < 0 for spreads of about 0.2 and below.
func FitAB(spread, minDist float64) (a, b float64, err error) {
	if !(spread > 0) || !(minDist >= 0) || minDist > spread || math.IsInf(spread, 0) {
		return 0, 0, fmt.Errorf("%w: spread %v, min_dist %v", ErrInvalid, spread, minDist)
	}
	a, b, err = fitAB1(minDist / spread)
	if err != nil {
		return 0, 0, fmt.Errorf("layout: curve fit for spread %v, min_dist %v: %w", spread, minDist, err)
	}
	a *= math.Pow(spread, -2*b)
	if !(a > 0) || math.IsInf(a, 0) {
		return 0, 0, fmt.Errorf("layout: curve fit for spread %v, min_dist %v: a %v out of range", spread, minDist, a)
	}
	return a, b, nil
}

// fitAB1 is FitAB at spread 1.
func fitAB1(minDist float64) (a, b float64, err error) {
	const m = 300
	xs := make([]float64, m)
	ys := make([]float64, m)
	for i := range xs {
		x := 3 * float64(i) / (m - 1)
		xs[i] = x
		if x < minDist {
			ys[i] = 1
		} else {
			ys[i] = math.Exp(-(x - minDist))
		}
	}
	// residuals and Jacobian of f(x) = 1/(1 + a x^2b)
	eval := func(a, b float64, jac bool) (sse, jtj00, jtj01, jtj11, jtr0, jtr1 float64) {
		for i, x := range xs {
			var p, lx float64 // x^2b, ln x
			if x > 0 {
				lx = math.Log(x)
				p = math.Exp(2 * b * lx)
			}
			den := 1 + a*p
			r := 1/den - ys[i]
			sse += r * r
			if jac {
				da := -p / (den * den)
				db := -a * p * 2 * lx / (den * den)
				jtj00 += da * da
				jtj01 += da * db
				jtj11 += db * db
				jtr0 += da * r
				jtr1 += db * r
			}
		}
		return
	}
	a, b = 1, 1
	lambda := 1e-3
	sse, j00, j01, j11, r0, r1 := eval(a, b, true)
	for it := 0; it < 1000; it++ {
		// solve (JᵀJ + λ diag(JᵀJ)) δ = −Jᵀr
		m00, m11 := j00*(1+lambda), j11*(1+lambda)
		det := m00*m11 - j01*j01
		if det == 0 || math.IsNaN(det) {
			break
		}
		da := (-r0*m11 + r1*j01) / det
		db := (-r1*m00 + r0*j01) / det
		na, nb := a+da, b+db
		nsse, _, _, _, _, _ := eval(na, nb, false)
		if nsse < sse && !math.IsNaN(nsse) {
			rel := (sse - nsse) / math.Max(sse, 1e-300)
			a, b = na, nb
			sse, j00, j01, j11, r0, r1 = eval(a, b, true)
			lambda = math.Max(lambda/10, 1e-12)
			if rel < 1e-12 && math.Abs(da) < 1e-10*math.Abs(a) && math.Abs(db) < 1e-10*math.Abs(b) {
				break
			}
		} else {
			lambda *= 10
			if lambda > 1e12 {
				break
			}
		}
	}
	if !(a > 0) || !(b > 0) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return 0, 0, fmt.Errorf("did not converge (a %v, b %v)", a, b)
	}
	return a, b, nil
}
