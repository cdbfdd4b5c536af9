package classic

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"genestore/internal/par"
	"genestore/train/grn"
)

// standardized returns gene g's column of v centred and scaled to unit
// variance (all zeros for a constant gene), gene-major: out[g*cells+c].
// With ranks set, each column is first replaced by its mid-ranks.
func standardized(v *grn.View, ranks bool, workers int) []float64 {
	n, G := v.Cells, v.Genes
	out := make([]float64, n*G)
	par.For(workers, G, func(_, lo, hi int) {
		ord := make([]int, n)
		for g := lo; g < hi; g++ {
			col := out[g*n : (g+1)*n]
			for c := range n {
				col[c] = float64(v.X[c*G+g])
			}
			if ranks {
				midRanks(col, ord)
			}
			var mean float64
			for _, x := range col {
				mean += x
			}
			mean /= float64(n)
			var ss float64
			for i := range col {
				col[i] -= mean
				ss += col[i] * col[i]
			}
			sd := math.Sqrt(ss / float64(n))
			if sd < 1e-12*math.Max(1, math.Abs(mean)) {
				clear(col)
				continue
			}
			for i := range col {
				col[i] /= sd
			}
		}
	})
	return out
}

// midRanks replaces x by its ranks 1..n, ties getting their mean rank;
// ord is scratch of len(x).
func midRanks(x []float64, ord []int) {
	for i := range ord {
		ord[i] = i
	}
	slices.SortFunc(ord, func(a, b int) int { return cmp.Compare(x[a], x[b]) })
	r := make([]float64, len(x))
	for i := 0; i < len(ord); {
		j := i
		for j < len(ord) && x[ord[j]] == x[ord[i]] {
			j++
		}
		for _, k := range ord[i:j] {
			r[k] = float64(i+j+1) / 2
		}
		i = j
	}
	copy(x, r)
}

// correlations returns the Pearson (or, with ranks, Spearman) correlation
// of each regulator with each gene, len(regs) × genes.
func correlations(ctx context.Context, v *grn.View, regs []int, o Options, ranks bool) ([]float64, error) {
	n, G := v.Cells, v.Genes
	z := standardized(v, ranks, o.Workers)
	out := make([]float64, len(regs)*G)
	par.For(o.Workers, len(regs), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			if ctx.Err() != nil {
				return
			}
			a := z[regs[i]*n : (regs[i]+1)*n]
			for g := range G {
				b := z[g*n : (g+1)*n]
				var s float64
				for c := range a {
					s += a[c] * b[c]
				}
				out[i*G+g] = s / float64(n)
			}
		}
	})
	return out, ctx.Err()
}

// partialCorrelations returns the partial correlation of each regulator
// with each gene given all other genes, len(regs) × genes (with ranks, of
// the genes' mid-ranks: a Spearman partial correlation): −P_ij/√(P_ii P_jj)
// with P the inverse of the correlation matrix shrunk towards the identity,
// (1−δ)·R + δ·I, δ = Options.Shrinkage or the Ledoit–Wolf estimate.
func partialCorrelations(ctx context.Context, v *grn.View, regs []int, o Options, ranks bool) ([]float64, error) {
	n, G := v.Cells, v.Genes
	z := standardized(v, ranks, o.Workers)
	R := make([]float64, G*G)
	par.For(o.Workers, G, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			if ctx.Err() != nil {
				return
			}
			a := z[i*n : (i+1)*n]
			for j := i; j < G; j++ {
				b := z[j*n : (j+1)*n]
				var s float64
				for c := range a {
					s += a[c] * b[c]
				}
				R[i*G+j] = s / float64(n)
				R[j*G+i] = s / float64(n)
			}
			R[i*G+i] = 1 // constant genes too
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	delta := o.Shrinkage
	if delta == 0 {
		delta = ledoitWolf(z, R, n, G)
	}
	delta = max(delta, 1e-3) // keeps the matrix invertible when genes ≥ cells
	for i := range G {
		for j := range G {
			R[i*G+j] *= 1 - delta
		}
		R[i*G+i] += delta
	}
	var chol mat.Cholesky
	if ok := chol.Factorize(mat.NewSymDense(G, R)); !ok {
		return nil, fmt.Errorf("%w: view %q: shrunk correlation matrix is not positive definite", ErrInvalid, v.Name)
	}
	var P mat.SymDense
	if err := chol.InverseTo(&P); err != nil {
		return nil, fmt.Errorf("%w: view %q: %v", ErrInvalid, v.Name, err)
	}
	out := make([]float64, len(regs)*G)
	for i, r := range regs {
		prr := P.At(r, r)
		for g := range G {
			if g != r {
				out[i*G+g] = -P.At(r, g) / math.Sqrt(prr*P.At(g, g))
			}
		}
	}
	return out, nil
}

// ledoitWolf is the Ledoit–Wolf (2004) shrinkage intensity towards the
// identity for the correlation matrix R of the standardized columns z
// (gene-major, n cells): δ = min(b̄², d²)/d², d² = ‖R − I‖²_F/G and
// b̄² = (Σ_c ‖x_c‖⁴ − n‖R‖²_F)/(n² G), x_c cell c's standardized row.
// Constant genes (zero columns) count as uncorrelated unit variables.
func ledoitWolf(z, R []float64, n, G int) float64 {
	var d2, r2 float64
	for i := range G {
		for j := range G {
			x := R[i*G+j]
			r2 += x * x
			if i == j {
				x--
			}
			d2 += x * x
		}
	}
	if d2 == 0 {
		return 1
	}
	var s4 float64
	for c := range n {
		var s float64
		for g := range G {
			x := z[g*n+c]
			s += x * x
		}
		s4 += s * s
	}
	b2 := (s4 - float64(n)*r2) / (float64(n) * float64(n))
	b2 = max(0, min(b2, d2))
	return b2 / d2
}
