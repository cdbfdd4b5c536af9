package prep

import (
	"math"
	"sort"
)

// loessFit returns the fitted values of a gaussian loess (local quadratic,
// tricube weights, span = fraction of points in each neighbourhood) of y on x.
// The local fit is evaluated exactly at up to maxAnchors points spaced evenly
// in the sorted order of x (all points when there are fewer) and linearly
// interpolated in between.
func loessFit(x, y []float64, span float64, maxAnchors int) []float64 {
	n := len(x)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return x[order[a]] < x[order[b]] })
	xs := make([]float64, n)
	ys := make([]float64, n)
	for i, o := range order {
		xs[i], ys[i] = x[o], y[o]
	}
	q := int(math.Floor(float64(n) * span))
	q = min(max(q, 3), n)
	var anchors []int
	if n <= maxAnchors {
		anchors = make([]int, n)
		for i := range anchors {
			anchors[i] = i
		}
	} else {
		for a := 0; a < maxAnchors; a++ {
			i := int(math.Round(float64(a) * float64(n-1) / float64(maxAnchors-1)))
			if len(anchors) == 0 || anchors[len(anchors)-1] != i {
				anchors = append(anchors, i)
			}
		}
	}
	fitA := make([]float64, len(anchors))
	for ai, i := range anchors {
		fitA[ai] = localQuadratic(xs, ys, xs[i], i, q)
	}
	fitted := make([]float64, n)
	a := 0
	for i := 0; i < n; i++ {
		for a+1 < len(anchors) && anchors[a+1] <= i {
			a++
		}
		if anchors[a] == i || a+1 == len(anchors) {
			fitted[i] = fitA[a]
			continue
		}
		x0, x1 := xs[anchors[a]], xs[anchors[a+1]]
		t := 0.0
		if x1 > x0 {
			t = (xs[i] - x0) / (x1 - x0)
		}
		fitted[i] = fitA[a]*(1-t) + fitA[a+1]*t
	}
	out := make([]float64, n)
	for i, o := range order {
		out[o] = fitted[i]
	}
	return out
}

// localQuadratic fits y ≈ b0 + b1 (x-x0) + b2 (x-x0)² by weighted least
// squares over the q points of xs (sorted) nearest to x0 (position pos) and
// returns b0. The offsets are taken in units of the window's half-width
// (u = (x−x0)/dmax ∈ [−1, 1]), which leaves b0 unchanged and makes the
// singularity tests below independent of the scale of x.
func localQuadratic(xs, ys []float64, x0 float64, pos, q int) float64 {
	lo, hi := pos, pos+1 // window [lo, hi)
	for hi-lo < q {
		switch {
		case lo == 0:
			hi++
		case hi == len(xs):
			lo--
		case x0-xs[lo-1] <= xs[hi]-x0:
			lo--
		default:
			hi++
		}
	}
	dmax := math.Max(x0-xs[lo], xs[hi-1]-x0)
	if dmax <= 0 {
		s := 0.0
		for i := lo; i < hi; i++ {
			s += ys[i]
		}
		return s / float64(hi-lo)
	}
	var s [5]float64 // Σw u^k, k = 0..4
	var t [3]float64 // Σw y u^k, k = 0..2
	for i := lo; i < hi; i++ {
		u := (xs[i] - x0) / dmax
		r := math.Abs(u)
		if r >= 1 {
			continue
		}
		w := 1 - r*r*r
		w = w * w * w
		u2 := u * u
		s[0] += w
		s[1] += w * u
		s[2] += w * u2
		s[3] += w * u2 * u
		s[4] += w * u2 * u2
		t[0] += w * ys[i]
		t[1] += w * ys[i] * u
		t[2] += w * ys[i] * u2
	}
	// Solve the 3×3 normal equations by Cramer's rule; fall back to a local
	// line, then a weighted mean, when they are singular.
	a := [3][3]float64{{s[0], s[1], s[2]}, {s[1], s[2], s[3]}, {s[2], s[3], s[4]}}
	det := det3(a)
	if math.Abs(det) > 1e-12*math.Max(1, s[0]*s[2]*s[4]) {
		b := a
		for r := 0; r < 3; r++ {
			b[r][0] = t[r]
		}
		return det3(b) / det
	}
	d2 := s[0]*s[2] - s[1]*s[1]
	if math.Abs(d2) > 1e-12*math.Max(1, s[0]*s[2]) {
		return (t[0]*s[2] - s[1]*t[1]) / d2
	}
	if s[0] > 0 {
		return t[0] / s[0]
	}
	return ys[pos]
}

func det3(a [3][3]float64) float64 {
	return a[0][0]*(a[1][1]*a[2][2]-a[1][2]*a[2][1]) -
		a[0][1]*(a[1][0]*a[2][2]-a[1][2]*a[2][0]) +
		a[0][2]*(a[1][0]*a[2][1]-a[1][1]*a[2][0])
}
