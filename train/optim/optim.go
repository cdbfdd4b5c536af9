// Package optim holds the one optimiser the models share: Adam over flat
// float32 parameter tensors.
//
// A Param is a tensor's weights, its gradient and the optimiser's two moment
// buffers, plus the element range the optimiser may change: rows outside
// [Lo, Hi) are frozen (the cell model's old batch rows during append, for
// example). The models fill G in their backward pass; Step reads it.
//
// Two placements of ε are offered because the models were tuned with them:
// the PyTorch form (ε added to the bias-corrected √v̂; the cell model) and
// the Kingma & Ba form with ε̂ (ε added to √v before bias correction of the
// step size; the gene model). They differ only when v is tiny.
package optim

import "math"

// Param is one trainable tensor.
type Param struct {
	W, G []float32 // weights and gradient, same length
	M, V []float32 // Adam moments; allocated by Step when nil
	// Lo, Hi: the element range [Lo, Hi) Step updates; Hi <= Lo freezes
	// the whole tensor.
	Lo, Hi int
}

// NewParam wraps w (not copied) with a zero gradient, all of it trainable.
func NewParam(w []float32) *Param {
	return &Param{W: w, G: make([]float32, len(w)), Hi: len(w)}
}

// Reset drops the moments (after the tensor grew or was reinitialised).
func (p *Param) Reset() { p.M, p.V = nil, nil }

// Adam is the optimiser's state: its constants and step counter. The zero
// value is not usable; start from NewAdam.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	// EpsHat selects the Kingma & Ba ε̂ placement (see the package doc).
	EpsHat bool
	// ClearGrad zeroes every gradient after the step (for models whose
	// backward pass accumulates).
	ClearGrad bool
	t         int
}

// NewAdam returns Adam with β1 0.9, β2 0.999, ε 1e-8.
func NewAdam(lr float64) *Adam {
	return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// Steps is the number of updates taken so far.
func (a *Adam) Steps() int { return a.t }

// Step applies one Adam update to the trainable range of every param.
func (a *Adam) Step(ps []*Param) {
	a.t++
	bc1 := 1 - math.Pow(a.Beta1, float64(a.t))
	bc2 := 1 - math.Pow(a.Beta2, float64(a.t))
	lr := float32(a.LR * math.Sqrt(bc2) / bc1)
	eps := float32(a.Eps * math.Sqrt(bc2))
	if a.EpsHat {
		eps = float32(a.Eps)
	}
	b1, b2 := float32(a.Beta1), float32(a.Beta2)
	c1, c2 := float32(1-a.Beta1), float32(1-a.Beta2)
	for _, p := range ps {
		if hi := p.Hi; hi > p.Lo {
			if p.M == nil {
				p.M = make([]float32, len(p.W))
				p.V = make([]float32, len(p.W))
			}
			w, g, m, v := p.W[p.Lo:hi], p.G[p.Lo:hi], p.M[p.Lo:hi], p.V[p.Lo:hi]
			for i := range w {
				gi := g[i]
				mi := b1*m[i] + c1*gi
				vi := b2*v[i] + c2*gi*gi
				m[i], v[i] = mi, vi
				w[i] -= lr * mi / (float32(math.Sqrt(float64(vi))) + eps)
			}
		}
		if a.ClearGrad {
			clear(p.G)
		}
	}
}
