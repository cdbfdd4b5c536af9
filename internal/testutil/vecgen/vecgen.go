// Package vecgen draws test and benchmark vectors: isotropic Gaussian
// clusters, the shape the index benchmarks and gen_vectors.py's simplest
// sets use.
package vecgen

import "math/rand/v2"

// Mixture is k cluster centres in dim dimensions, each drawn from N(0, I).
type Mixture struct {
	centres []float64
	dim, k  int
	spread  float64
}

// NewMixture draws k centres of dimension dim from r; rows drawn later sit
// at a random centre plus N(0, spread²) noise per coordinate.
func NewMixture(r *rand.Rand, k, dim int, spread float64) *Mixture {
	m := &Mixture{centres: make([]float64, k*dim), dim: dim, k: k, spread: spread}
	for i := range m.centres {
		m.centres[i] = r.NormFloat64()
	}
	return m
}

// Draw returns rows vectors row-major, each a centre chosen with r.IntN
// and then its coordinates' noise from r.NormFloat64, in that order.
func (m *Mixture) Draw(r *rand.Rand, rows int) []float32 {
	v := make([]float32, rows*m.dim)
	for i := range rows {
		c := r.IntN(m.k)
		for d := range m.dim {
			v[i*m.dim+d] = float32(m.centres[c*m.dim+d] + m.spread*r.NormFloat64())
		}
	}
	return v
}
