package classic

import (
	"context"
	"math"

	"genestore/internal/par"
	"genestore/train/grn"
)

// clr returns the context likelihood of relatedness, len(regs) × genes:
// with I the binned mutual information (equal-frequency bins, plug-in
// estimate in nats), z_r the z-score of I(r, g) among regulator r's values
// over all genes and z_g that of I(r, g) among target g's values over all
// regulators, CLR = √(max(0, z_r)² + max(0, z_g)²). With every gene a
// regulator this is Faith et al.'s symmetric CLR.
func clr(ctx context.Context, v *grn.View, regs []int, o Options) ([]float64, error) {
	n, G := v.Cells, v.Genes
	bins := clrBins(n, o.Bins)
	bv := binView(v, bins, o.Workers)
	// nlogn[k] = k·ln k
	nlogn := make([]float64, n+1)
	for k := 1; k <= n; k++ {
		nlogn[k] = float64(k) * math.Log(float64(k))
	}
	marg := make([]float64, G) // Σ_b c_b ln c_b per gene
	for g := range G {
		cnt := make([]int, bins)
		for _, c := range bv.codes[g*n : (g+1)*n] {
			cnt[c]++
		}
		for _, c := range cnt {
			marg[g] += nlogn[c]
		}
	}
	mi := make([]float64, len(regs)*G)
	par.For(o.Workers, len(regs), func(_, lo, hi int) {
		joint := make([]int32, bins*bins)
		for i := lo; i < hi; i++ {
			if ctx.Err() != nil {
				return
			}
			r := regs[i]
			a := bv.codes[r*n : (r+1)*n]
			for g := range G {
				if g == r {
					continue
				}
				b := bv.codes[g*n : (g+1)*n]
				clear(joint)
				for c := range a {
					joint[int(a[c])*bins+int(b[c])]++
				}
				var s float64
				for _, c := range joint {
					s += nlogn[c]
				}
				// I = (Σ c ln c − Σ a ln a − Σ b ln b + n ln n)/n
				mi[i*G+g] = max(0, (s-marg[r]-marg[g]+nlogn[n])/float64(n))
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// z-scores along each regulator's row and each target's column
	zr := func(i int) (mean, sd float64) {
		r := regs[i]
		var s, ss float64
		for g := range G {
			if g != r {
				s += mi[i*G+g]
				ss += mi[i*G+g] * mi[i*G+g]
			}
		}
		k := float64(G - 1)
		mean = s / k
		return mean, math.Sqrt(max(0, ss/k-mean*mean))
	}
	colMean, colSD := make([]float64, G), make([]float64, G)
	colN := make([]float64, G)
	for i, r := range regs {
		for g := range G {
			if g != r {
				x := mi[i*G+g]
				colMean[g] += x
				colSD[g] += x * x
				colN[g]++
			}
		}
	}
	for g := range G {
		if colN[g] > 0 {
			colMean[g] /= colN[g]
			colSD[g] = math.Sqrt(max(0, colSD[g]/colN[g]-colMean[g]*colMean[g]))
		}
	}
	z := func(x, mean, sd float64) float64 {
		if sd == 0 {
			return 0
		}
		return max(0, (x-mean)/sd)
	}
	out := make([]float64, len(regs)*G)
	for i, r := range regs {
		mr, sr := zr(i)
		for g := range G {
			if g != r {
				a, b := z(mi[i*G+g], mr, sr), z(mi[i*G+g], colMean[g], colSD[g])
				out[i*G+g] = math.Sqrt(a*a + b*b)
			}
		}
	}
	return out, nil
}

// clrBins is the number of mutual-information bins for n cells: o.Bins,
// or ⌈n^⅓⌉ (at least 4, at most 256, the bin codes being bytes).
func clrBins(n, bins int) int {
	if bins != 0 {
		return bins
	}
	return min(256, max(4, int(math.Ceil(math.Cbrt(float64(n))))))
}
