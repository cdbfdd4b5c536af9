package pipeline

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"genestore/internal/sparse"
)

// regressionLoadings returns one vector per gene in the cell latent space
// (genes × dim, row-major) for models whose decoder is not linear: the
// ridge-regression coefficients of each gene's log-normalised expression,
// centred on the gene's mean, on the cells' latent means,
//
//	W = (ZᵀZ + λnI)⁻¹ Zᵀ(X − 1μᵀ),
//
// with the penalty scaled by the n cells (λ per cell, so its weight
// against ZᵀZ does not shrink as datasets grow),
// so that z·w_g predicts how far above or below its average gene g is in a
// cell with latent vector z. "Top genes of a cell or cluster" and "cells of
// a gene" are then the same inner-product searches as with a linear decoder,
// whose weights play this role directly. xn is log-normalised cells × genes,
// z is cells × dim.
func regressionLoadings(xn *sparse.CSR, z []float32, dim int, lambda float64) ([]float32, error) {
	n, genes := xn.Rows, xn.Cols
	if len(z) != n*dim {
		return nil, fmt.Errorf("pipeline: %d latent values for %d cells × %d dims", len(z), n, dim)
	}
	gram := mat.NewSymDense(dim, nil)
	zsum := make([]float64, dim)
	for i := 0; i < n; i++ {
		zi := z[i*dim : (i+1)*dim]
		for a := 0; a < dim; a++ {
			zsum[a] += float64(zi[a])
			for b := a; b < dim; b++ {
				gram.SetSym(a, b, gram.At(a, b)+float64(zi[a])*float64(zi[b]))
			}
		}
	}
	for a := 0; a < dim; a++ {
		gram.SetSym(a, a, gram.At(a, a)+lambda*float64(n))
	}
	// B = Zᵀ X − (Zᵀ1) μᵀ, dim × genes.
	b := mat.NewDense(dim, genes, nil)
	mean := make([]float64, genes)
	raw := b.RawMatrix()
	for i := 0; i < n; i++ {
		zi := z[i*dim : (i+1)*dim]
		idx, val := xn.Row(i)
		for k, g := range idx {
			v := float64(val[k])
			mean[g] += v
			for a := 0; a < dim; a++ {
				raw.Data[a*raw.Stride+int(g)] += float64(zi[a]) * v
			}
		}
	}
	for g := range mean {
		mean[g] /= float64(n)
		for a := 0; a < dim; a++ {
			raw.Data[a*raw.Stride+g] -= zsum[a] * mean[g]
		}
	}
	var chol mat.Cholesky
	if !chol.Factorize(gram) {
		return nil, fmt.Errorf("pipeline: latent Gram matrix is not positive definite")
	}
	var w mat.Dense
	if err := chol.SolveTo(&w, b); err != nil {
		return nil, err
	}
	out := make([]float32, genes*dim)
	for g := 0; g < genes; g++ {
		for a := 0; a < dim; a++ {
			out[g*dim+a] = float32(w.At(a, g))
		}
	}
	return out, nil
}
