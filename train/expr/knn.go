package expr

import (
	"math"
	"slices"

	"genestore/internal/f32"
	"genestore/internal/par"
)

// knn is k-nearest-neighbour regression in the space of the first p
// principal components of the standardised landmarks: a query's targets
// are the mean of its k nearest reference samples' targets.
type knn struct {
	L, T, p, k int
	proj       []float32 // L × p
	ref        []float32 // m × p reference coordinates
	refY       []float32 // m × T reference targets (standardised)
}

// knnCut is the relative eigenvalue below which the kNN projection leaves
// an axis out: λ ≤ knnCut·λmax.
const knnCut = 1e-6

// projection returns the L × p map onto the first p principal axes of d.
func (d *decomp) projection(p int) []float32 {
	p = min(p, d.r)
	out := make([]float32, d.L*p)
	for k := range p {
		s := float32(1)
		if d.dual {
			// Centring makes an axis per dataset null; rounding leaves its
			// eigenvalue a hair above zero, and 1/√λ would blow that noise
			// up into a full axis of the distances.
			if d.lam[k] <= knnCut*d.lam[0] {
				continue
			}
			s = float32(1 / math.Sqrt(d.lam[k]))
		}
		for i := range d.L {
			out[i*p+k] = d.C[i*d.r+k] * s
		}
	}
	return out
}

func (n *knn) project(x []float32, rows, threads int) []float32 {
	z := make([]float32, rows*n.p)
	f32.Gemm(threads, false, false, rows, n.p, n.L, x, n.L, n.proj, n.p, false, z, n.p)
	return z
}

// neighbours returns, for each of rows query coordinates z, the indices
// of its kmax nearest reference rows, nearest first (ties by index).
func (n *knn) neighbours(z []float32, rows, kmax, threads int) [][]int32 {
	m, p := len(n.ref)/max(n.p, 1), n.p
	kmax = min(kmax, m)
	out := make([][]int32, rows)
	if kmax < 1 || p < 1 {
		return out
	}
	rn := make([]float32, m)
	for j := range m {
		var s float32
		for _, v := range n.ref[j*p : (j+1)*p] {
			s += v * v
		}
		rn[j] = s
	}
	const blk = 256
	dots := make([]float32, min(blk, rows)*m)
	for lo := 0; lo < rows; lo += blk {
		hi := min(rows, lo+blk)
		f32.Gemm(threads, false, true, hi-lo, m, p, z[lo*p:hi*p], p, n.ref, p, false, dots, m)
		par.For(threads, hi-lo, func(_, a, b int) {
			idx := make([]int32, 0, kmax)
			dist := make([]float32, 0, kmax)
			for i := a; i < b; i++ {
				row := dots[i*m : (i+1)*m]
				idx, dist = idx[:0], dist[:0]
				for j := range m {
					dj := rn[j] - 2*row[j]
					if len(idx) == kmax && dj >= dist[kmax-1] {
						continue // ties keep the lower index
					}
					pos := len(idx)
					if pos < kmax {
						idx, dist = append(idx, 0), append(dist, 0)
					} else {
						pos = kmax - 1
					}
					for pos > 0 && dist[pos-1] > dj {
						idx[pos], dist[pos] = idx[pos-1], dist[pos-1]
						pos--
					}
					idx[pos], dist[pos] = int32(j), dj
				}
				out[lo+i] = append([]int32(nil), idx...)
			}
		})
	}
	return out
}

// predict writes the k-neighbour means for rows standardised landmark
// rows x into dst (rows × T).
func (n *knn) predict(x []float32, rows int, dst []float32, threads int) {
	z := n.project(x, rows, threads)
	nb := n.neighbours(z, rows, n.k, threads)
	T := n.T
	for i, ids := range nb {
		out := dst[i*T : (i+1)*T]
		clear(out)
		for _, j := range ids {
			f32.Axpy(1, n.refY[int(j)*T:(int(j)+1)*T], out)
		}
		s := 1 / float32(max(len(ids), 1))
		for t := range out {
			out[t] *= s
		}
	}
}

// refs is the number of reference samples.
func (n *knn) refs() int { return len(n.refY) / max(n.T, 1) }

// setK sets k, at most the number of reference samples (a larger k would
// average them all, and a model whose k exceeds its references does not
// decode).
func (n *knn) setK(k int) { n.k = max(1, min(k, n.refs())) }

// chooseK returns the k of ks with the lowest validation MAE over all
// targets (standardised units), and that k's validation predictions. A k
// above the number of references counts as that number, and each k once.
func (n *knn) chooseK(xv, yv []float32, nv int, ks []int, threads int) (int, []float32) {
	T := n.T
	sorted := make([]int, len(ks))
	for i, k := range ks {
		sorted[i] = max(1, min(k, n.refs()))
	}
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	kmax := sorted[len(sorted)-1]
	z := n.project(xv, nv, threads)
	nb := n.neighbours(z, nv, kmax, threads)
	errs := make(map[int]float64)
	sum := make([]float32, T)
	for i, ids := range nb {
		clear(sum)
		y := yv[i*T : (i+1)*T]
		next := 0
		for c, j := range ids {
			f32.Axpy(1, n.refY[int(j)*T:(int(j)+1)*T], sum)
			for next < len(sorted) && (sorted[next] == c+1 || (c+1 == len(ids) && sorted[next] > c)) {
				s := 1 / float32(c+1)
				var e float64
				for t := range T {
					e += math.Abs(float64(sum[t]*s - y[t]))
				}
				errs[sorted[next]] += e
				next++
			}
		}
	}
	best, bestE := sorted[0], math.Inf(1)
	for _, k := range sorted {
		if e, ok := errs[k]; ok && e < bestE {
			best, bestE = k, e
		}
	}
	n.setK(best)
	pred := make([]float32, nv*T)
	n.predict(xv, nv, pred, threads)
	return best, pred
}
