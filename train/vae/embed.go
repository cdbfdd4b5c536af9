package vae

import (
	"context"
	"fmt"

	"genestore/internal/sparse"
)

// embedChunk is how many cells Embed encodes at a time.
const embedChunk = 256

// Embed returns the posterior means μ of the cells of X (same genes and
// value type as training, in model gene order), row-major cells × Latent.
// batch gives each cell's batch index into BatchNames (nil: all batch 0).
// The result does not depend on the thread count or on which other cells
// are embedded with it.
func (m *Model) Embed(ctx context.Context, X *sparse.CSR, batch []int) ([]float32, error) {
	if X == nil {
		return nil, fmt.Errorf("%w: nil matrix", ErrInput)
	}
	b := make([]int32, X.Rows)
	if batch != nil {
		if len(batch) != X.Rows {
			return nil, fmt.Errorf("%w: %d batch labels for %d cells", ErrInput, len(batch), X.Rows)
		}
		for i, v := range batch {
			if v < 0 || v >= len(m.hp.BatchNames) {
				return nil, fmt.Errorf("%w: cell %d has batch %d, the model knows %d batches", ErrInput, i, v, len(m.hp.BatchNames))
			}
			b[i] = int32(v)
		}
	}
	d, err := prepare(X, b, m.hp.Values, m.hp.Likelihood, m.hp.Genes, false)
	if err != nil {
		return nil, err
	}
	return m.embed(ctx, d, 0)
}

func (m *Model) embed(ctx context.Context, d *data, threads int) ([]float32, error) {
	L := m.hp.Latent
	n := d.X.Rows
	out := make([]float32, n*L)
	w := newEncodeWork(m, min(embedChunk, max(n, 1)), threads)
	rows := make([]int, 0, embedChunk)
	for s := 0; s < n; s += embedChunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rows = rows[:0]
		for r := s; r < min(s+embedChunk, n); r++ {
			rows = append(rows, r)
		}
		w.encode(d, rows)
		for i, r := range rows {
			copy(out[r*L:(r+1)*L], w.zs[i*2*L:i*2*L+L])
		}
	}
	return out, nil
}

// newEncodeWork allocates only the encoder's buffers.
func newEncodeWork(m *Model, capacity, threads int) *work {
	// The assembly gemm computes each output row the same way whatever the
	// other rows are, and at 2·genes·hidden flops per cell it is fast even
	// for sparse input; CBLAS gives no such promise, so the netlib build
	// walks the non-zeros instead.
	dense := haveAVX2FMA && !useCBLAS
	w := &work{m: m, cap: capacity, threads: threads, denseOnly: dense, sparseOnly: !dense,
		h1: make([]float32, capacity*m.hp.Hidden), zs: make([]float32, capacity*2*m.hp.Latent)}
	if w.threads <= 0 {
		w.threads = 1
		if capacity > 32 {
			w.threads = defaultThreads()
		}
	}
	return w
}

// GeneLoadings returns the linear decoder's weights as one vector per gene:
// vecs is genes × dim row-major, with dim = Latent, and row g is the column of
// W that maps a latent cell z to gene g's logit. The inner product of a
// cell's embedding with row g ranks genes for that cell (up to the
// per-batch offset), so genes and cells share one space. ok is false for a
// non-linear decoder, which has no such vectors.
func (m *Model) GeneLoadings() (dim int, vecs []float32, ok bool) {
	if !m.hp.LinearDecoder {
		return 0, nil, false
	}
	L, G := m.hp.Latent, m.hp.Genes
	vecs = make([]float32, G*L)
	for l := range L {
		for g := range G {
			vecs[g*L+l] = m.linW.W[l*G+g]
		}
	}
	return L, vecs, true
}
