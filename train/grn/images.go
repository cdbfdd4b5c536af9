package grn

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"genestore/internal/f32"
	"genestore/internal/par"
)

// prepared is what the images of every pair are drawn from: per view, each
// gene's bin index in every cell, its standardised column (for signs) and
// its closest partners.
type prepared struct {
	bins, neighbours int
	views            []pview
}

type pview struct {
	cells int
	bin   []uint8   // genes × cells, gene-major
	z     []float32 // genes × cells, centred and scaled so z_a·z_b = Pearson r
	nbr   []int32   // genes × partners, by decreasing |r|, self excluded
	nnbr  int       // partners kept per gene
}

// checkViews validates views against each other (and against genes > 0 when
// given).
func checkViews(views []View, genes int) error {
	if len(views) == 0 {
		return fmt.Errorf("%w: no views", ErrInput)
	}
	if len(views) > maxViews {
		return fmt.Errorf("%w: %d views > %d", ErrInput, len(views), maxViews)
	}
	if genes <= 0 {
		genes = views[0].Genes
	}
	if genes < 2 || genes > maxGenes {
		return fmt.Errorf("%w: %d genes", ErrInput, genes)
	}
	for i := range views {
		v := &views[i]
		if v.Genes != genes {
			return fmt.Errorf("%w: view %d (%q) has %d genes, want %d", ErrInput, i, v.Name, v.Genes, genes)
		}
		if v.Cells < 2 || v.Cells > math.MaxInt32 || len(v.X) != v.Cells*v.Genes {
			return fmt.Errorf("%w: view %d (%q): %d cells, %d values for %d genes", ErrInput, i, v.Name, v.Cells, len(v.X), v.Genes)
		}
		for _, x := range v.X {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("%w: view %d (%q) holds %v", ErrInput, i, v.Name, x)
			}
		}
	}
	return nil
}

// poolViews stacks the cells of every view into one (the single-view
// baseline's input).
func poolViews(views []View) []View {
	if len(views) == 1 {
		return views
	}
	out := View{Name: "pooled", Genes: views[0].Genes}
	for _, v := range views {
		out.Cells += v.Cells
		out.X = append(out.X, v.X...)
	}
	return []View{out}
}

// partnersNeeded is how many partners per gene the image layout can draw
// on: ⌈k/2⌉ for the regulator side plus one spare that may be the pair's
// other gene.
func partnersNeeded(k int) int { return (k+1)/2 + 1 }

// prepare bins every gene of every view and finds its closest partners.
// views must have passed checkViews.
func prepare(views []View, bins, neighbours, threads int, rank bool) *prepared {
	p := &prepared{bins: bins, neighbours: neighbours, views: make([]pview, len(views))}
	for vi := range views {
		v := &views[vi]
		G, C := v.Genes, v.Cells
		pv := pview{cells: C, bin: make([]uint8, G*C), z: make([]float32, G*C)}
		par.For(threads, G, func(_, lo, hi int) {
			col := make([]float64, C)
			order := make([]int, C)
			for g := lo; g < hi; g++ {
				lo, hi, mean := 0.0, math.Inf(-1), 0.0
				for c := range C {
					x := float64(v.X[c*G+g])
					col[c] = x
					lo, hi = min(lo, x), max(hi, x)
					mean += x
				}
				mean /= float64(C)
				b := pv.bin[g*C : (g+1)*C]
				if rank {
					rankBins(b, col, order, bins)
				} else if span := hi - lo; span > 0 {
					for c, x := range col {
						b[c] = uint8(min(bins-1, int((x-lo)/span*float64(bins))))
					}
				}
				ss := 0.0
				for _, x := range col {
					ss += (x - mean) * (x - mean)
				}
				z := pv.z[g*C : (g+1)*C]
				if ss > 0 {
					s := 1 / math.Sqrt(ss)
					for c, x := range col {
						z[c] = float32((x - mean) * s)
					}
				}
			}
		})
		pv.nnbr = min(partnersNeeded(neighbours), G-1)
		if neighbours > 0 {
			pv.nbr = topPartners(pv.z, G, C, pv.nnbr, threads)
		}
		p.views[vi] = pv
	}
	return p
}

// rankBins writes into b the bin of each cell's mean rank of x (ties share
// it), with order as scratch.
func rankBins(b []uint8, x []float64, order []int, bins int) {
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return cmp.Compare(x[i], x[j]) })
	C := len(x)
	for i := 0; i < C; {
		j := i + 1
		for j < C && x[order[j]] == x[order[i]] {
			j++
		}
		mid := float64(i+j-1) / 2
		bin := uint8(min(bins-1, int((mid+0.5)/float64(C)*float64(bins))))
		for k := i; k < j; k++ {
			b[order[k]] = bin
		}
		i = j
	}
}

// topPartners returns, for each of the G genes of z (G × C), the k others
// with the largest |Pearson r|, ties to the lower index.
func topPartners(z []float32, G, C, k, threads int) []int32 {
	out := make([]int32, G*k)
	const blk = 64
	blocks := (G + blk - 1) / blk
	par.For(threads, blocks, func(_, lo, hi int) {
		r := make([]float32, blk*G)
		val := make([]float32, k)
		for b := lo; b < hi; b++ {
			g0 := b * blk
			n := min(blk, G-g0)
			f32.Gemm(1, false, true, n, G, C, z[g0*C:], C, z, C, false, r, G)
			for i := range n {
				g := g0 + i
				idx := out[g*k : (g+1)*k]
				cnt := 0
				for j, x := range r[i*G : (i+1)*G] {
					if j == g {
						continue
					}
					a := float32(math.Abs(float64(x)))
					if cnt < k {
						idx[cnt], val[cnt] = int32(j), a
						cnt++
					} else if a <= val[k-1] {
						continue
					} else {
						idx[k-1], val[k-1] = int32(j), a
					}
					for q := cnt - 1; q > 0 && val[q] > val[q-1]; q-- {
						val[q], val[q-1] = val[q-1], val[q]
						idx[q], idx[q-1] = idx[q-1], idx[q]
					}
				}
			}
		}
	})
	return out
}

// pairImages writes the V × N images of the directed pair (a, b) into dst
// (V·N·bins² floats), with counts as scratch (bins² ints).
//
// Image 0 of a view is (a, b); image j ≥ 1 is (a, p) for the ⌈j/2⌉-th
// closest partner p of a when j is odd, and (q, b) for the (j/2)-th partner
// q of b when j is even, skipping the pair's other gene. A gene with too
// few partners repeats the pair image.
func (p *prepared) pairImages(dst []float32, counts []int32, a, b int) {
	B := p.bins
	N := 1 + p.neighbours
	for vi := range p.views {
		pv := &p.views[vi]
		base := dst[vi*N*B*B:]
		fillImage(base[:B*B], counts, pv, a, b, B)
		for j := 1; j < N; j++ {
			x, y := a, b
			if j%2 == 1 {
				if q := pv.partner(a, b, (j-1)/2); q >= 0 {
					y = q
				}
			} else if q := pv.partner(b, a, (j-2)/2); q >= 0 {
				x = q
			}
			fillImage(base[j*B*B:][:B*B], counts, pv, x, y, B)
		}
	}
}

// partner returns g's i-th closest partner other than skip, or -1.
func (pv *pview) partner(g, skip, i int) int {
	for _, q := range pv.nbr[g*pv.nnbr : (g+1)*pv.nnbr] {
		if int(q) == skip {
			continue
		}
		if i == 0 {
			return int(q)
		}
		i--
	}
	return -1
}

// fillImage writes the normalised log joint histogram of genes x (rows)
// and y (columns): log(1+count) / log(1+max count), in [0, 1].
func fillImage(dst []float32, counts []int32, pv *pview, x, y, B int) {
	clear(counts[:B*B])
	C := pv.cells
	bx, by := pv.bin[x*C:(x+1)*C], pv.bin[y*C:(y+1)*C]
	for c, r := range bx {
		counts[int(r)*B+int(by[c])]++
	}
	mx := int32(1)
	for _, n := range counts[:B*B] {
		mx = max(mx, n)
	}
	s := 1 / math.Log1p(float64(mx))
	for i, n := range counts[:B*B] {
		if n == 0 {
			dst[i] = 0
			continue
		}
		dst[i] = float32(math.Log1p(float64(n)) * s)
	}
}

// corr returns Pearson r of genes a and b in view vi.
func (p *prepared) corr(vi, a, b int) float32 {
	pv := &p.views[vi]
	C := pv.cells
	return dot(pv.z[a*C:(a+1)*C], pv.z[b*C:(b+1)*C])
}
