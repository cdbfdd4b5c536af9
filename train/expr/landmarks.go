package expr

import (
	"context"
	"fmt"
	"math"
	"sort"

	"genestore/internal/f32"
	"genestore/internal/par"
)

// MaxLandmarkCandidates bounds the genes SelectLandmarks considers: the
// most variable ones (after per-dataset centring). Its cost is
// O(n · candidates²).
const MaxLandmarkCandidates = 3000

// SelectLandmarks picks up to n landmark genes from the genes measured in
// every dataset. It is greedy coverage of the gene–gene correlation
// structure (pivoted Cholesky of the correlation matrix): each step takes
// the gene whose residual explains the most residual variance summed over
// all candidate genes, then removes what that gene explains from the rest.
// Candidates are the MaxLandmarkCandidates most variable genes; values are
// centred per dataset first. Ties go to the earlier gene (in the first
// dataset's column order), so the choice is deterministic. Fewer than n
// genes come back when the residual variance runs out.
//
// The score lives in correlation space: a gene is worth the squared
// correlations it has with the others, so it favours genes that stand
// for many others; of a pair that only correlate with each other, the
// noisy one scores as high as the clean one.
func SelectLandmarks(ctx context.Context, data []Dataset, n int) ([]string, error) {
	return selectLandmarks(ctx, data, n, nil)
}

// selectLandmarks is SelectLandmarks with the genes in exclude never chosen
// (Fit's named targets).
func selectLandmarks(ctx context.Context, data []Dataset, n int, exclude map[string]bool) ([]string, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: %d landmarks requested", ErrOptions, n)
	}
	genes, err := commonGenes(data)
	if err != nil {
		return nil, err
	}
	_, sd, N := pooledStats(data, genes)
	type cand struct {
		j  int
		sd float64
	}
	var cs []cand
	for j := range genes {
		if sd[j] > 1e-6 && !exclude[genes[j]] {
			cs = append(cs, cand{j, sd[j]})
		}
	}
	sort.SliceStable(cs, func(a, b int) bool { return cs[a].sd > cs[b].sd })
	if len(cs) > MaxLandmarkCandidates {
		cs = cs[:MaxLandmarkCandidates]
	}
	sort.Slice(cs, func(a, b int) bool { return cs[a].j < cs[b].j })
	c := len(cs)
	if c == 0 {
		return nil, fmt.Errorf("%w: no gene varies", ErrInput)
	}
	names := make([]string, c)
	for i, x := range cs {
		names[i] = genes[x.j]
	}
	// Standardised, per-dataset-centred values of the candidates.
	z := make([]float32, N*c)
	row := 0
	for di := range data {
		d := &data[di]
		cols := d.columns(names)
		m := d.colMeans(cols)
		rows := d.Rows()
		d.gather(z[row*c:], cols, 0, rows, nil)
		for r := row; r < row+rows; r++ {
			for j := range c {
				z[r*c+j] = float32((float64(z[r*c+j]) - m[j]) / cs[j].sd)
			}
		}
		row += rows
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	R := make([]float32, c*c)
	f32.Gemm(par0(), true, false, c, c, N, z, c, z, c, false, R, c)
	inv := float32(1 / float64(N))
	for i := range R {
		R[i] *= inv
	}
	taken := make([]bool, c)
	score := make([]float64, c)
	var out []string
	for len(out) < min(n, c) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		par.For(par0(), c, func(_, lo, hi int) {
			for j := lo; j < hi; j++ {
				d := float64(R[j*c+j])
				if taken[j] || d <= 1e-6 {
					score[j] = -1
					continue
				}
				var s float64
				for _, v := range R[j*c : (j+1)*c] {
					s += float64(v) * float64(v)
				}
				score[j] = s / d
			}
		})
		best, bs := -1, 0.0
		for j, s := range score {
			if s > bs {
				best, bs = j, s
			}
		}
		if best < 0 {
			break
		}
		taken[best] = true
		out = append(out, names[best])
		u := append([]float32(nil), R[best*c:(best+1)*c]...)
		d := 1 / u[best]
		par.For(par0(), c, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				f32.Axpy(-u[i]*d, u, R[i*c:(i+1)*c])
			}
		})
	}
	return out, nil
}

// par0 is the parallelism of the helpers that take no Options.
func par0() int { return DefaultOptions().Threads }

// commonGenes lists the genes measured in every dataset, in the first
// dataset's order (first occurrence of each symbol).
func commonGenes(data []Dataset) ([]string, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: no datasets", ErrInput)
	}
	count := map[string]int{}
	for i := range data {
		for g := range data[i].index() {
			count[g]++
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, g := range data[0].Genes {
		if count[g] == len(data) && !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out, nil
}

// pooledStats returns, per gene, the pooled raw mean and the standard
// deviation after per-dataset centring, and the total row count.
func pooledStats(data []Dataset, genes []string) (mean, sd []float64, N int) {
	mean, sd = make([]float64, len(genes)), make([]float64, len(genes))
	for di := range data {
		d := &data[di]
		cols := d.columns(genes)
		m := d.colMeans(cols)
		G, rows := len(d.Genes), d.Rows()
		for r := range rows {
			x := d.X[r*G : (r+1)*G]
			for j, c := range cols {
				v := float64(x[c]) - m[j]
				sd[j] += v * v
			}
		}
		for j := range m {
			mean[j] += m[j] * float64(rows)
		}
		N += rows
	}
	for j := range mean {
		mean[j] /= float64(max(N, 1))
		sd[j] = math.Sqrt(sd[j] / float64(max(N, 1)))
	}
	return mean, sd, N
}
