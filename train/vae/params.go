package vae

import (
	"math"
	"math/rand/v2"
)

// param is one weight matrix with its gradient and Adam moments. Matrices are
// row-major rows × cols float32.
type param struct {
	name       string
	rows, cols int
	w, g       []float32
	m, v       []float32 // Adam moments, allocated on first use
	// Rows [trainLo, trainHi) are updated by the optimiser; the rest are
	// frozen (used by AddBatches). Train sets the full range.
	trainLo, trainHi int
}

func newParam(name string, rows, cols int) *param {
	return &param{name: name, rows: rows, cols: cols, w: make([]float32, rows*cols),
		g: make([]float32, rows*cols), trainLo: 0, trainHi: rows}
}

// uniform fills w with U(−bound, bound), as PyTorch's nn.Linear does with
// bound = 1/√fan_in.
func (p *param) uniform(rng *rand.Rand, bound float64) {
	for i := range p.w {
		p.w[i] = float32((2*rng.Float64() - 1) * bound)
	}
}

// growRows appends n rows initialised by init (nil: zeros), keeping the
// existing values, and resets the optimiser state.
func (p *param) growRows(n int, rng *rand.Rand, bound float64) {
	extra := make([]float32, n*p.cols)
	if bound > 0 {
		for i := range extra {
			extra[i] = float32((2*rng.Float64() - 1) * bound)
		}
	}
	p.w = append(p.w, extra...)
	p.rows += n
	p.g = make([]float32, len(p.w))
	p.m, p.v = nil, nil
}

// adam holds the optimiser's step counter and constants.
type adam struct {
	lr, b1, b2, eps float64
	t               int
}

// step applies one Adam update to every trainable row of ps and clears all
// gradients.
func (a *adam) step(ps []*param) {
	a.t++
	bc1 := 1 - math.Pow(a.b1, float64(a.t))
	bc2 := 1 - math.Pow(a.b2, float64(a.t))
	lr := float32(a.lr * math.Sqrt(bc2) / bc1)
	b1, b2 := float32(a.b1), float32(a.b2)
	eps := float32(a.eps * math.Sqrt(bc2))
	for _, p := range ps {
		if p.trainHi > p.trainLo {
			if p.m == nil {
				p.m = make([]float32, len(p.w))
				p.v = make([]float32, len(p.w))
			}
			lo, hi := p.trainLo*p.cols, p.trainHi*p.cols
			w, g, m, v := p.w[lo:hi], p.g[lo:hi], p.m[lo:hi], p.v[lo:hi]
			for i := range w {
				gi := g[i]
				mi := b1*m[i] + (1-b1)*gi
				vi := b2*v[i] + (1-b2)*gi*gi
				m[i], v[i] = mi, vi
				w[i] -= lr * mi / (sqrt32(vi) + eps)
			}
		}
		clear(p.g)
	}
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
