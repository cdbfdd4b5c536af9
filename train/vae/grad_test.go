package vae

import (
	"cmp"
	"fmt"
	"genestore/internal/sparse"
	"genestore/vocab"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGradientsFiniteDifference checks every parameter's hand-written
// gradient against central differences of the loss, for both decoders and
// every likelihood (ZINB with the non-linear decoder only), with a fixed ε so the loss is a deterministic function.
//
// The loss is computed on the float64 scalar path: the float32 assembly
// kernels are too coarse for finite differences of a loss in the
// thousands; TestNBGradientAgainstGorgonia checks them instead. Even so the
// float32 activations leave about 3e-5 of rounding noise in the loss; ZINB's
// log σ² entries, whose gradients are small, then need a step of 2e-2
// (h = 1e-2 put one of them 0.008 off a gradient of 0.26 that steps of 3e-2
// and 3e-3 confirm).
func TestGradientsFiniteDifference(t *testing.T) {
	saved := haveAVX2FMA
	haveAVX2FMA = false
	t.Cleanup(func() { haveAVX2FMA = saved })
	tests := []struct {
		name   string
		lin    bool
		lik    Likelihood
		values vocab.ValueType
		h      float32 // finite-difference step; 0 means 1e-2
		thin   float32 // >1: counts divided by it (floored), for zeros that the NB might not explain
	}{
		{"nb non-linear", false, NB, vocab.Counts, 0, 0},
		{"nb linear", true, NB, vocab.Counts, 0, 0},
		{"zinb non-linear", false, ZINB, vocab.Counts, 2e-2, 60},
		{"gaussian non-linear", false, Gaussian, vocab.Normalized, 0, 0},
		{"gaussian linear", true, Gaussian, vocab.Normalized, 0, 0},
	}
	savedCut := denseCutoff
	t.Cleanup(func() { denseCutoff = savedCut })
	for _, tc := range tests {
		for _, cut := range []float64{0, 2} { // always dense, never dense
			denseCutoff = cut
			t.Run(fmt.Sprintf("%s/cutoff=%g", tc.name, cut), func(t *testing.T) {
				ds := simulate(7, 12, 3, 2, 0.5, 5)
				if tc.thin > 1 {
					ds.X = thinCounts(ds.X, tc.thin)
				}
				// Put one large count in, to exercise the lgamma path beyond the table.
				ds.X.Data[0] = 75
				rng := rand.New(rand.NewPCG(1, 2))
				hp := hyper{Genes: 12, Latent: 3, Hidden: 5, Likelihood: tc.lik, LinearDecoder: tc.lin,
					Values: tc.values, BatchNames: ds.Names}
				m := newModel(hp, rng)
				for _, p := range m.params() { // non-zero biases and dispersions
					for i := range p.W {
						p.W[i] += float32(0.1 * rng.NormFloat64())
					}
				}
				b := make([]int32, len(ds.Batch))
				for i, v := range ds.Batch {
					b[i] = int32(v)
				}
				d, err := prepare(ds.X, b, tc.values, tc.lik, 12, true)
				if err != nil {
					t.Fatal(err)
				}
				rows := []int{0, 1, 2, 3, 4, 5, 6}
				w := newWork(m, len(rows), 1)
				w.beta = 0.7
				for i := range w.eps[:len(rows)*3] {
					w.eps[i] = float32(rng.NormFloat64())
				}
				// mask records which ReLUs are active: a finite difference that
				// crosses a kink is not a test of the gradient, so it is skipped.
				mask := func() string {
					b := make([]byte, 0, len(w.h1)+len(w.h2))
					for _, v := range w.h1[:len(rows)*5] {
						if v > 0 {
							b = append(b, 1)
						} else {
							b = append(b, 0)
						}
					}
					if w.h2 != nil {
						for _, v := range w.h2[:len(rows)*5] {
							if v > 0 {
								b = append(b, 1)
							} else {
								b = append(b, 0)
							}
						}
					}
					return string(b)
				}
				loss := func() (float64, string) {
					nll, kl := w.step(d, rows, false, true)
					return (nll + float64(w.beta)*kl) / float64(len(rows)), mask()
				}
				w.step(d, rows, true, true)
				grads := map[string][]float32{}
				for _, p := range m.params() {
					grads[p.name] = append([]float32(nil), p.G...)
					clear(p.G)
				}
				for _, p := range m.params() {
					g := grads[p.name]
					checked, tried := 0, 0
					for k := 0; k < len(p.W) && tried < 40; k += 1 + len(p.W)/40 {
						tried++
						orig := p.W[k]
						h := cmp.Or(tc.h, 1e-2)
						_, m0 := loss()
						p.W[k] = orig + h
						lp, mp := loss()
						p.W[k] = orig - h
						lm, mm := loss()
						p.W[k] = orig
						if mp != m0 || mm != m0 {
							continue
						}
						fd := (lp - lm) / float64(2*h)
						if diff := math.Abs(fd - float64(g[k])); diff > 2e-3+2e-2*math.Abs(fd) {
							t.Errorf("%s[%d]: gradient %.6g, finite difference %.6g", p.name, k, g[k], fd)
						}
						checked++
					}
					if checked < tried/2 {
						t.Errorf("%s: only %d of %d entries away from ReLU kinks", p.name, checked, tried)
					}
				}
			})
		}
	}
}

// thinCounts returns X with every count divided by div and floored, the
// entries that become 0 dropped: a sparse matrix whose zeros matter.
func thinCounts(X *sparse.CSR, div float32) *sparse.CSR {
	out := &sparse.CSR{Rows: X.Rows, Cols: X.Cols, Indptr: make([]int64, X.Rows+1)}
	for r := range X.Rows {
		for k := X.Indptr[r]; k < X.Indptr[r+1]; k++ {
			if v := float32(math.Floor(float64(X.Data[k] / div))); v > 0 {
				out.Indices = append(out.Indices, X.Indices[k])
				out.Data = append(out.Data, v)
			}
		}
		out.Indptr[r+1] = int64(len(out.Data))
	}
	return out
}
