package vae

import (
	"math"
	"math/rand/v2"

	"genestore/train/optim"
)

// param is one weight matrix: the shared optimiser's tensor (weights,
// gradient, Adam moments, trainable range) plus its name and shape. Matrices
// are row-major rows × cols float32. Rows [Lo/cols, Hi/cols) are updated by the
// optimiser; the rest are frozen (used by AddBatches). Train sets the full
// range.
type param struct {
	optim.Param
	name       string
	rows, cols int
}

func newParam(name string, rows, cols int) *param {
	return &param{Param: optim.Param{W: make([]float32, rows*cols), G: make([]float32, rows*cols), Hi: rows * cols},
		name: name, rows: rows, cols: cols}
}

// uniform fills w with U(−bound, bound), as PyTorch's nn.Linear does with
// bound = 1/√fan_in.
func (p *param) uniform(rng *rand.Rand, bound float64) {
	for i := range p.W {
		p.W[i] = float32((2*rng.Float64() - 1) * bound)
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
	p.W = append(p.W, extra...)
	p.rows += n
	p.G = make([]float32, len(p.W))
	p.Reset()
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
