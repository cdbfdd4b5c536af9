package expr

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"genestore/internal/f32"
	"genestore/internal/par"
	"genestore/train/optim"
)

// mlp is the D-GEX network: sizes[0] inputs, tanh hidden layers with
// inverted dropout, a linear output layer. W[l] is sizes[l] × sizes[l+1]
// row-major (inputs × outputs), B[l] has sizes[l+1] entries.
type mlp struct {
	sizes []int
	W, B  []*optim.Param
}

func newMLP(sizes []int, rng *rand.Rand) *mlp {
	m := &mlp{sizes: sizes}
	for l := 0; l+1 < len(sizes); l++ {
		in, out := sizes[l], sizes[l+1]
		bound := 1 / math.Sqrt(float64(in)) // PyTorch nn.Linear's default
		w, b := make([]float32, in*out), make([]float32, out)
		for i := range w {
			w[i] = float32((2*rng.Float64() - 1) * bound)
		}
		for i := range b {
			b[i] = float32((2*rng.Float64() - 1) * bound)
		}
		m.W = append(m.W, optim.NewParam(w))
		m.B = append(m.B, optim.NewParam(b))
	}
	return m
}

func (m *mlp) params() []*optim.Param {
	var ps []*optim.Param
	for l := range m.W {
		ps = append(ps, m.W[l], m.B[l])
	}
	return ps
}

func (m *mlp) layers() int { return len(m.W) }

// mlpWork holds the activations of one mini-batch.
type mlpWork struct {
	rows int
	h    [][]float32 // h[l], l = 1..hidden: tanh outputs (before dropout)
	a    [][]float32 // a[l]: inputs of layer l (a[0] is the batch itself, not owned)
	mask [][]float32 // dropout multipliers (0 or 1/(1−p)) per hidden layer
	out  []float32   // rows × outputs
	dz   [][]float32 // gradients w.r.t. pre-activations, per layer
}

func (m *mlp) work(rows int) *mlpWork {
	nl := m.layers()
	w := &mlpWork{rows: rows, h: make([][]float32, nl), a: make([][]float32, nl), mask: make([][]float32, nl), dz: make([][]float32, nl)}
	for l := 1; l < nl; l++ {
		n := rows * m.sizes[l]
		w.h[l], w.a[l], w.mask[l] = make([]float32, n), make([]float32, n), make([]float32, n)
	}
	for l := range nl {
		w.dz[l] = make([]float32, rows*m.sizes[l+1])
	}
	w.out = make([]float32, rows*m.sizes[nl])
	return w
}

// forward computes the outputs of rows inputs x (rows × sizes[0]). With
// rng non-nil it applies dropout at rate p (training mode).
func (m *mlp) forward(x []float32, rows int, w *mlpWork, rng *rand.Rand, p float64, threads int) []float32 {
	nl := m.layers()
	in := x
	for l := range nl {
		k, n := m.sizes[l], m.sizes[l+1]
		var dst []float32
		if l+1 < nl {
			dst = w.h[l+1][:rows*n]
		} else {
			dst = w.out[:rows*n]
		}
		bias := m.B[l].W
		for r := range rows {
			copy(dst[r*n:(r+1)*n], bias)
		}
		f32.Gemm(threads, false, false, rows, n, k, in, k, m.W[l].W, n, true, dst, n)
		if l+1 == nl {
			break
		}
		par.For(threads, rows, func(_, lo, hi int) {
			tanh32(dst[lo*n : hi*n])
		})
		a := w.a[l+1][:rows*n]
		if rng != nil && p > 0 {
			mask := w.mask[l+1][:rows*n]
			keep, scale := float32(1-p), float32(1/(1-p))
			for i := range mask {
				if rng.Float32() < keep {
					mask[i] = scale
				} else {
					mask[i] = 0
				}
				a[i] = dst[i] * mask[i]
			}
		} else {
			copy(a, dst)
			if rng != nil {
				mask := w.mask[l+1][:rows*n]
				for i := range mask {
					mask[i] = 1
				}
			}
		}
		in = a
	}
	return w.out[:rows*m.sizes[nl]]
}

// backward takes the mean squared error of the outputs of the last
// training-mode forward against y (rows × outputs), writes every
// parameter's gradient and returns the loss.
func (m *mlp) backward(x, y []float32, rows int, w *mlpWork, threads int) float64 {
	nl := m.layers()
	T := m.sizes[nl]
	out, dz := w.out[:rows*T], w.dz[nl-1][:rows*T]
	scale := float32(2 / float64(rows*T))
	var loss float64
	for i, o := range out {
		d := o - y[i]
		loss += float64(d * d)
		dz[i] = scale * d
	}
	loss /= float64(rows * T)
	for l := nl - 1; l >= 0; l-- {
		k, n := m.sizes[l], m.sizes[l+1]
		in := x
		if l > 0 {
			in = w.a[l][:rows*k]
		}
		dz := w.dz[l][:rows*n]
		f32.Gemm(threads, true, false, k, n, rows, in, k, dz, n, false, m.W[l].G, n)
		gb := m.B[l].G
		clear(gb)
		for r := range rows {
			f32.Axpy(1, dz[r*n:(r+1)*n], gb)
		}
		if l == 0 {
			break
		}
		prev := w.dz[l-1][:rows*k]
		f32.Gemm(threads, false, true, rows, k, n, dz, n, m.W[l].W, n, false, prev, k)
		h, mask := w.h[l][:rows*k], w.mask[l][:rows*k]
		par.For(threads, rows, func(_, lo, hi int) {
			for i := lo * k; i < hi*k; i++ {
				prev[i] *= mask[i] * (1 - h[i]*h[i])
			}
		})
	}
	return loss
}

// predict runs the network in evaluation mode over rows inputs, in blocks,
// writing rows × outputs into dst.
func (m *mlp) predict(x []float32, rows int, dst []float32, threads int) {
	const blk = 256
	L, T := m.sizes[0], m.sizes[len(m.sizes)-1]
	w := m.work(min(blk, max(rows, 1)))
	for lo := 0; lo < rows; lo += blk {
		hi := min(rows, lo+blk)
		out := m.forward(x[lo*L:hi*L], hi-lo, w, nil, 0, threads)
		copy(dst[lo*T:hi*T], out)
	}
}

func (m *mlp) snapshot() [][]float32 {
	var s [][]float32
	for _, p := range m.params() {
		s = append(s, append([]float32(nil), p.W...))
	}
	return s
}

func (m *mlp) restore(s [][]float32) {
	for i, p := range m.params() {
		copy(p.W, s[i])
	}
}

// mlpFit holds what training the MLP reports.
type mlpFit struct {
	epochs, bestEpoch int
	bestVal           float64 // validation MSE on standardised targets
}

// trainMLP fits the network on rows tr of (x, y) with early stopping on
// rows va (both standardised; x is n × L, y n × T).
func trainMLP(ctx context.Context, m *mlp, x, y []float32, tr, va []int, o Options, rng *rand.Rand) (mlpFit, error) {
	L, T := m.sizes[0], m.sizes[len(m.sizes)-1]
	bs := min(o.BatchSize, len(tr))
	w := m.work(bs)
	xb, yb := make([]float32, bs*L), make([]float32, bs*T)
	adam := optim.NewAdam(o.LR)
	ps := m.params()
	order := append([]int(nil), tr...)
	vx, vy := gatherRows(x, L, va), gatherRows(y, T, va)
	vp := make([]float32, len(va)*T)
	fit := mlpFit{bestVal: math.Inf(1)}
	var best [][]float32
	for ep := 1; ep <= o.Epochs; ep++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for lo := 0; lo < len(order); lo += bs {
			if err := ctx.Err(); err != nil {
				return fit, err
			}
			hi := min(len(order), lo+bs)
			b := hi - lo
			for i, r := range order[lo:hi] {
				copy(xb[i*L:(i+1)*L], x[r*L:(r+1)*L])
				copy(yb[i*T:(i+1)*T], y[r*T:(r+1)*T])
			}
			m.forward(xb[:b*L], b, w, rng, o.Dropout, o.Threads)
			loss := m.backward(xb[:b*L], yb[:b*T], b, w, o.Threads)
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return fit, fmt.Errorf("%w: MLP loss %v at epoch %d", ErrNumeric, loss, ep)
			}
			adam.Step(ps)
		}
		fit.epochs = ep
		if len(va) == 0 {
			continue
		}
		m.predict(vx, len(va), vp, o.Threads)
		var s float64
		for i, p := range vp {
			d := float64(p - vy[i])
			s += d * d
		}
		s /= float64(len(vp))
		if s < fit.bestVal {
			fit.bestVal, fit.bestEpoch, best = s, ep, m.snapshot()
		} else if ep-fit.bestEpoch >= o.Patience {
			break
		}
	}
	if best != nil {
		m.restore(best)
	}
	return fit, nil
}

func gatherRows(x []float32, cols int, rows []int) []float32 {
	out := make([]float32, len(rows)*cols)
	for i, r := range rows {
		copy(out[i*cols:(i+1)*cols], x[r*cols:(r+1)*cols])
	}
	return out
}

// tanh32 applies tanh in place.
func tanh32(v []float32) {
	for i, x := range v {
		v[i] = float32(math.Tanh(float64(x)))
	}
}

// newParamNoGrad wraps decoded weights; the gradient is left nil because a
// decoded model only predicts.
func newParamNoGrad(w []float32) *optim.Param { return &optim.Param{W: w, Hi: len(w)} }
