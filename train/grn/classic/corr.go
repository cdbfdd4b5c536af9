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

// midRanks replaces x by its ranks 1..n, ties getting their mean rank and
// a NaN ranking below every number (each NaN its own tie); ord is scratch
// of len(x).
func midRanks(x []float64, ord []int) {
	for i := range ord {
		ord[i] = i
	}
	slices.SortFunc(ord, func(a, b int) int { return cmp.Compare(x[a], x[b]) })
	r := make([]float64, len(x))
	for i := 0; i < len(ord); {
		j := i + 1 // NaN == NaN is false: a NaN must still advance
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
	return rowCorrelations(ctx, standardized(v, ranks, o.Workers), v.Cells, v.Genes, regs, o.Workers)
}

// rowCorrelations returns the correlation of each of regs with each gene
// of the standardized columns z (gene-major, n cells, G genes),
// len(regs) × G.
func rowCorrelations(ctx context.Context, z []float64, n, G int, regs []int, workers int) ([]float64, error) {
	out := make([]float64, len(regs)*G)
	par.For(workers, len(regs), func(_, lo, hi int) {
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
	P, err := shrunkInverse(R, G, delta, v.Name, "correlation matrix")
	if err != nil {
		return nil, err
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
// b̄² = (Σ_c ‖x_c‖⁴ − n‖R‖²_F)/(n² G), x_c cell c's standardized row: the
// entries' sampling variance against their spread around the identity.
// Constant genes (zero columns) count as uncorrelated unit variables
// measured without error: their diagonal entries, 1 in R, are left out of
// ‖R‖²_F in b̄², as their cells' rows contribute nothing to Σ_c ‖x_c‖⁴. It
// is ledoitWolfRows over every row.
func ledoitWolf(z, R []float64, n, G int) float64 {
	all := make([]int, G)
	for i := range all {
		all[i] = i
	}
	return ledoitWolfRows(z, R, all, n, G)
}

// shrunkInverse shrinks the k×k correlation matrix R in place towards the
// identity, (1−δ)·R + δ·I, and returns its inverse; view and what name the
// matrix in the error when it is not positive definite.
func shrunkInverse(R []float64, k int, delta float64, view, what string) (*mat.SymDense, error) {
	for i := range k {
		for j := range k {
			R[i*k+j] *= 1 - delta
		}
		R[i*k+i] += delta
	}
	var chol mat.Cholesky
	if ok := chol.Factorize(mat.NewSymDense(k, R)); !ok {
		return nil, fmt.Errorf("%w: view %q: shrunk %s is not positive definite", ErrInvalid, view, what)
	}
	P := new(mat.SymDense)
	if err := chol.InverseTo(P); err != nil {
		return nil, fmt.Errorf("%w: view %q: %v", ErrInvalid, view, err)
	}
	return P, nil
}

// regulatorPartialCorrelations returns the partial correlation of each
// candidate regulator with each gene given the other candidate regulators
// only, len(regs) × genes (with ranks, of the genes' mid-ranks): the
// conditioning set of a regression of the gene on the candidates, as in
// GENIE3 or the Inferelator, rather than partialCorrelations' all other
// genes, which also conditions on the gene's co-targets. The candidates'
// correlation matrix A is shrunk towards the identity, (1−δ)·R + δ·I with
// δ = Options.Shrinkage or the Ledoit–Wolf estimate (at least 1e-3) over
// the candidates' rows of the correlation matrix
// (ledoitWolfRows), and so is each gene's correlation b with them. For a
// candidate pair the result is −A⁻¹_ij/√(A⁻¹_ii A⁻¹_jj); for a gene g
// outside the candidates, the block inverse of [[A, b], [bᵀ, 1]] gives
// β_i/√(s·A⁻¹_ii + β_i²) with β = A⁻¹b and s = 1 − bᵀβ. Cost O(cells ·
// candidates · genes + genes · candidates²); with every gene a candidate
// it is partialCorrelations up to δ.
func regulatorPartialCorrelations(ctx context.Context, v *grn.View, regs []int, o Options, ranks bool) ([]float64, error) {
	n, G, k := v.Cells, v.Genes, len(regs)
	z := standardized(v, ranks, o.Workers)
	C, err := rowCorrelations(ctx, z, n, G, regs, o.Workers) // candidate i with gene g
	if err != nil {
		return nil, err
	}
	delta := o.Shrinkage
	if delta == 0 {
		delta = ledoitWolfRows(z, C, regs, n, G)
	}
	A := make([]float64, k*k)
	for i := range regs {
		for j, q := range regs {
			A[i*k+j] = C[i*G+q]
		}
		A[i*k+i] = 1 // constant genes too
	}
	delta = max(delta, 1e-3)
	P, err := shrunkInverse(A, k, delta, v.Name, "correlation matrix of the candidate regulators")
	if err != nil {
		return nil, err
	}
	inv := make([]float64, k*k)
	for i := range k {
		for j := range k {
			inv[i*k+j] = P.At(i, j)
		}
	}
	cand := make([]int, G) // gene → candidate index + 1
	for i, r := range regs {
		cand[r] = i + 1
	}
	out := make([]float64, k*G)
	par.For(o.Workers, G, func(_, lo, hi int) {
		b, beta := make([]float64, k), make([]float64, k)
		for g := lo; g < hi; g++ {
			if j := cand[g] - 1; j >= 0 {
				for i := range k {
					if i != j {
						out[i*G+g] = -inv[i*k+j] / math.Sqrt(inv[i*k+i]*inv[j*k+j])
					}
				}
				continue
			}
			for i := range k {
				b[i] = (1 - delta) * C[i*G+g]
			}
			s := 1.0
			for i := range k {
				var x float64
				row := inv[i*k : (i+1)*k]
				for j, bj := range b {
					x += row[j] * bj
				}
				beta[i] = x
				s -= b[i] * x
			}
			s = max(s, 1e-12) // > 0 but for rounding: a principal block of a positive definite matrix
			for i := range k {
				out[i*G+g] = beta[i] / math.Sqrt(s*inv[i*k+i]+beta[i]*beta[i])
			}
		}
	})
	return out, nil
}

// ledoitWolfRows is ledoitWolf's estimate over the rows regs of the
// correlation matrix, C = R[regs, :] (len(regs) × G, C[i*G+r_i] may be
// anything: the diagonal is taken as 1): the same ratio of the entries'
// sampling variance b̄² to their spread d² around the identity, over the
// entries regulatorPartialCorrelations uses. Each cell's row contributes
// Σ_{i,g} (x_ci·x_cg)² = ‖x_c,regs‖²·‖x_c‖².
func ledoitWolfRows(z, C []float64, regs []int, n, G int) float64 {
	var d2, r2 float64
	for i, r := range regs {
		for g := range G {
			x := C[i*G+g]
			if g == r {
				x = 1
			}
			if g != r || !zeroColumn(z, r, n) {
				r2 += x * x
			}
			if g == r {
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
		var all, sub float64
		for g := range G {
			x := z[g*n+c]
			all += x * x
		}
		for _, r := range regs {
			x := z[r*n+c]
			sub += x * x
		}
		s4 += all * sub
	}
	b2 := (s4 - float64(n)*r2) / (float64(n) * float64(n))
	b2 = max(0, min(b2, d2))
	return b2 / d2
}

// zeroColumn reports whether gene g's standardized column is all zeros (a
// gene constant in the view).
func zeroColumn(z []float64, g, n int) bool {
	for _, x := range z[g*n : (g+1)*n] {
		if x != 0 {
			return false
		}
	}
	return true
}
