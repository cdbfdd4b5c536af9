package grn

import "math"

// Late fusion (Options.Fusion). After training, a network's logit z and
// the ensemble evidence e of a pair (feature 0 of every view, the two-way
// GENIE3 + spcor ensemble's normalised rank, averaged over the views attended over) are
// blended into a·z + b·e + c, the three numbers fitted by ridge logistic
// regression on the early-stopping hold-out only: the known edges of the
// held regulators against their non-edges, pairs the network was never
// trained on. The blend lets the known edges decide how far to trust the
// network over the unsupervised ranking on regulators it has not seen.

// blendIdentity is the blend of a network without fusion.
var blendIdentity = [3]float32{1, 0, 0}

// blendRidge is the L2 penalty on a and b (not on the intercept c).
const blendRidge = 1.0

// fitBlend fits (a, b, c) of σ(a·z + b·e + c) to labels y by damped
// Newton steps on the ridge-penalised log-likelihood, over z and e
// standardised (so the ridge weighs both alike and a constant input
// drops out), then maps the fit back. It returns the identity when the
// fit fails (no positives or negatives, or no finite fit).
func fitBlend(z, e []float64, y []bool) [3]float32 {
	np := 0
	for _, p := range y {
		if p {
			np++
		}
	}
	if np == 0 || np == len(y) {
		return blendIdentity
	}
	std := func(x []float64) (mean, sd float64) {
		for _, v := range x {
			mean += v
		}
		mean /= float64(len(x))
		for _, v := range x {
			sd += (v - mean) * (v - mean)
		}
		return mean, math.Sqrt(sd / float64(len(x)))
	}
	mz, sz := std(z)
	me, se := std(e)
	if sz < 1e-6 {
		return blendIdentity // the network does not rank the held pairs
	}
	x := func(i int) [3]float64 {
		xe := 0.0
		if se >= 1e-6 {
			xe = (e[i] - me) / se
		}
		return [3]float64{(z[i] - mz) / sz, xe, 1}
	}
	loss := func(w [3]float64) float64 {
		l := 0.5 * blendRidge * (w[0]*w[0] + w[1]*w[1])
		for i := range z {
			xi := x(i)
			m := w[0]*xi[0] + w[1]*xi[1] + w[2]
			if y[i] {
				l += softplus(-m)
			} else {
				l += softplus(m)
			}
		}
		return l
	}
	w := [3]float64{1, 0, 0}
	cur := loss(w)
	for iter := 0; iter < 100; iter++ {
		var g [3]float64
		var h [3][3]float64
		for i := range z {
			xi := x(i)
			p := sigmoid(w[0]*xi[0] + w[1]*xi[1] + w[2])
			t := 0.0
			if y[i] {
				t = 1
			}
			for a := range 3 {
				g[a] += (p - t) * xi[a]
				for b := range 3 {
					h[a][b] += p * (1 - p) * xi[a] * xi[b]
				}
			}
		}
		for a := range 2 {
			g[a] += blendRidge * w[a]
			h[a][a] += blendRidge
		}
		h[2][2] += 1e-6
		d, ok := solve3(h, g)
		if !ok {
			break
		}
		step, improved := 1.0, false
		for range 30 { // halve the step until the loss drops
			nw := [3]float64{w[0] - step*d[0], w[1] - step*d[1], w[2] - step*d[2]}
			if l := loss(nw); l < cur {
				w, cur, improved = nw, l, true
				break
			}
			step /= 2
		}
		if !improved || math.Max(math.Abs(d[0]), math.Max(math.Abs(d[1]), math.Abs(d[2])))*step < 1e-8 {
			break
		}
	}
	a := w[0] / sz
	b := 0.0
	if se >= 1e-6 {
		b = w[1] / se
	}
	c := w[2] - a*mz - b*me
	out := [3]float32{float32(a), float32(b), float32(c)}
	for _, v := range out {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return blendIdentity
		}
	}
	return out
}

// solve3 solves h·d = g by Gaussian elimination with partial pivoting.
func solve3(h [3][3]float64, g [3]float64) ([3]float64, bool) {
	for c := range 3 {
		p := c
		for r := c + 1; r < 3; r++ {
			if math.Abs(h[r][c]) > math.Abs(h[p][c]) {
				p = r
			}
		}
		if math.Abs(h[p][c]) < 1e-12 {
			return g, false
		}
		h[c], h[p] = h[p], h[c]
		g[c], g[p] = g[p], g[c]
		for r := c + 1; r < 3; r++ {
			f := h[r][c] / h[c][c]
			for k := c; k < 3; k++ {
				h[r][k] -= f * h[c][k]
			}
			g[r] -= f * g[c]
		}
	}
	var d [3]float64
	for r := 2; r >= 0; r-- {
		s := g[r]
		for k := r + 1; k < 3; k++ {
			s -= h[r][k] * d[k]
		}
		d[r] = s / h[r][r]
	}
	return d, true
}

// ensembleEvidence returns pair i's ensemble evidence in w: feature 0
// averaged over the views attended over.
func (w *work) ensembleEvidence(hp hyper, i int) float32 {
	V, F := hp.attViews(), hp.Evidence
	s := float32(0)
	for v := range V {
		s += w.f[(i*V+v)*F]
	}
	return s / float32(V)
}
