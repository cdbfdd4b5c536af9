package classic

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"

	"genestore/internal/par"
	"genestore/train/grn"
)

// binned holds every gene of a view as quantile-bin codes, gene-major.
type binned struct {
	codes []uint8 // codes[g*cells+c]
	bins  []int   // number of bins used by gene g
	cells int
}

// binView cuts each gene of v into at most bins equal-frequency bins; tied
// values always share a bin.
func binView(v *grn.View, bins, workers int) *binned {
	n, G := v.Cells, v.Genes
	b := &binned{codes: make([]uint8, n*G), bins: make([]int, G), cells: n}
	par.For(workers, G, func(_, lo, hi int) {
		col := make([]float64, n)
		ord := make([]int, n)
		for g := lo; g < hi; g++ {
			for c := range n {
				col[c] = float64(v.X[c*G+g])
				ord[c] = c
			}
			slices.SortFunc(ord, func(a, c int) int { return cmp.Compare(col[a], col[c]) })
			code, used := 0, 0
			for i := 0; i < n; {
				j := i
				for j < n && col[ord[j]] == col[ord[i]] {
					j++
				}
				// bin of the run's first rank; runs never straddle bins
				code = max(code, i*bins/n)
				for _, c := range ord[i:j] {
					b.codes[g*n+c] = uint8(code)
				}
				used = code + 1
				if j*bins/n > code {
					code++
				}
				i = j
			}
			b.bins[g] = used
		}
	})
	return b
}

// genie3 returns the tree-ensemble importances, len(regs) × genes: for
// target g, the mean over trees of the squared-error decrease of the splits
// on each regulator, g scaled to unit variance and the decrease divided by
// the tree's cells (so a target's importances sum to at most the mean
// variance of its trees' cells, about 1).
func genie3(ctx context.Context, v *grn.View, vi int, regs []int, o Options) ([]float64, error) {
	n, G := v.Cells, v.Genes
	bins := o.Bins
	if bins == 0 {
		bins = 32
	}
	bv := binView(v, bins, o.Workers)
	z := standardized(v, false, o.Workers)
	out := make([]float64, len(regs)*G)
	m := min(n, max(2*o.MinLeaf, int(math.Round(o.CellFraction*float64(n)))), o.MaxTreeCells)
	par.For(o.Workers, G, func(_, lo, hi int) {
		f := newForest(len(regs), m, bins)
		for g := lo; g < hi; g++ {
			if ctx.Err() != nil {
				return
			}
			f.fit(bv, z[g*n:(g+1)*n], regs, g, o, rand.New(rand.NewPCG(o.Seed, uint64(g)+uint64(vi)<<32)))
			for i := range regs {
				out[i*G+g] = f.imp[i]
			}
		}
	})
	return out, ctx.Err()
}

// forest is one worker's scratch for fitting the trees of one target.
type forest struct {
	imp      []float64 // per regulator (position in regs)
	feats    []int     // candidate positions in regs (the target left out)
	cells    []int     // sampled cells, partitioned in place by the splits
	perm     []int     // 0..n-1 for sampling
	sum      []float64 // per-bin sums of y in a node
	cnt      []int     // per-bin counts
	stack    []span
	m, nBins int
}

// span is a node to split: cells[lo:hi].
type span struct{ lo, hi int }

func newForest(p, m, bins int) *forest {
	return &forest{imp: make([]float64, p), feats: make([]int, 0, p), cells: make([]int, m),
		sum: make([]float64, bins), cnt: make([]int, bins), m: m, nBins: bins}
}

// fit grows o.Trees trees for target g (y its standardized column) and
// leaves the importances in f.imp.
func (f *forest) fit(bv *binned, y []float64, regs []int, g int, o Options, rng *rand.Rand) {
	clear(f.imp)
	f.feats = f.feats[:0]
	for i, r := range regs {
		if r != g {
			f.feats = append(f.feats, i)
		}
	}
	p := len(f.feats)
	if p == 0 {
		return
	}
	k := o.MaxFeatures
	if k == 0 {
		k = int(math.Ceil(math.Sqrt(float64(p))))
	}
	k = min(k, p)
	n := bv.cells
	if len(f.perm) != n {
		f.perm = make([]int, n)
	}
	for i := range f.perm {
		f.perm[i] = i
	}
	minLeaf := o.MinLeaf
	for range o.Trees {
		// cells without replacement: partial Fisher–Yates
		for i := range f.m {
			j := i + rng.IntN(n-i)
			f.perm[i], f.perm[j] = f.perm[j], f.perm[i]
		}
		copy(f.cells, f.perm[:f.m])
		f.stack = append(f.stack[:0], span{0, f.m})
		for len(f.stack) > 0 {
			s := f.stack[len(f.stack)-1]
			f.stack = f.stack[:len(f.stack)-1]
			size := s.hi - s.lo
			if size < 2*minLeaf {
				continue
			}
			cells := f.cells[s.lo:s.hi]
			var total float64
			for _, c := range cells {
				total += y[c]
			}
			base := total * total / float64(size)
			bestGain, bestFeat, bestBin := 0.0, -1, 0
			// k features without replacement from f.feats (partial shuffle)
			for t := range k {
				j := t + rng.IntN(p-t)
				f.feats[t], f.feats[j] = f.feats[j], f.feats[t]
				fi := f.feats[t]
				r := regs[fi]
				nb := bv.bins[r]
				if nb < 2 {
					continue
				}
				codes := bv.codes[r*n : (r+1)*n]
				sum, cnt := f.sum[:nb], f.cnt[:nb]
				clear(sum)
				clear(cnt)
				for _, c := range cells {
					b := codes[c]
					sum[b] += y[c]
					cnt[b]++
				}
				var sl float64
				nl := 0
				for b := 0; b < nb-1; b++ {
					sl += sum[b]
					nl += cnt[b]
					nr := size - nl
					if nl < minLeaf {
						continue
					}
					if nr < minLeaf {
						break
					}
					sr := total - sl
					gain := sl*sl/float64(nl) + sr*sr/float64(nr) - base
					if gain > bestGain {
						bestGain, bestFeat, bestBin = gain, fi, b
					}
				}
			}
			if bestFeat < 0 || bestGain <= 1e-12 {
				continue
			}
			f.imp[bestFeat] += bestGain
			codes := bv.codes[regs[bestFeat]*n : (regs[bestFeat]+1)*n]
			i, j := 0, len(cells)-1
			for i <= j {
				if int(codes[cells[i]]) <= bestBin {
					i++
				} else {
					cells[i], cells[j] = cells[j], cells[i]
					j--
				}
			}
			f.stack = append(f.stack, span{s.lo, s.lo + i}, span{s.lo + i, s.hi})
		}
	}
	scale := 1 / (float64(o.Trees) * float64(f.m))
	for i := range f.imp {
		f.imp[i] *= scale
	}
}
