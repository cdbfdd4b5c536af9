package gnn

import (
	"math"
	"sort"
)

// A graph-transformer layer (layer.Heads ≥ 1) attends over the sparsity
// pattern of the run's adjacency: each gene's positive-edge neighbours and
// itself. The forward pass keeps P = in·W (n × cols: per head the queries,
// keys and values, then the skip term) and the attention weights α (one
// per adjacency entry and head, entry-major) for the backward pass.
//
// Backward, with g_i = ∂L/∂out_i and H heads, per head:
//
//	∂L/∂α_ij = g_i·v_j / H
//	∂L/∂s_ij = α_ij (∂L/∂α_ij − Σ_j' α_ij' ∂L/∂α_ij')   (softmax)
//	∂L/∂q_i  = Σ_j ∂L/∂s_ij k_j / √Out
//	∂L/∂k_j  = Σ_i ∂L/∂s_ij q_i / √Out
//	∂L/∂v_j  = Σ_i α_ij g_i / H
//	∂L/∂skip_i = g_i
//
// The sums over i (the keys' and values' gradients) are gathered by the
// row of j through the reverse index of the symmetric pattern, so every
// output row is written by one worker and results never depend on
// GOMAXPROCS.

// reverseIndex returns, for each entry k = (i, j), the entry of (j, i). The
// pattern must be symmetric with sorted rows (normalizedAdjacency's is).
func (a *adjacency) reverseIndex() []int32 {
	rev := make([]int32, len(a.idx))
	for i := 0; i < a.n; i++ {
		for k := a.indptr[i]; k < a.indptr[i+1]; k++ {
			j := a.idx[k]
			row := a.idx[a.indptr[j]:a.indptr[j+1]]
			p := sort.Search(len(row), func(x int) bool { return row[x] >= int32(i) })
			if p == len(row) || row[p] != int32(i) {
				panic("gnn: attention graph is not symmetric")
			}
			rev[k] = a.indptr[j] + int32(p)
		}
	}
	return rev
}

// attend is the forward pass of transformer layer L given P = in·L.W: it
// fills alpha (entries × Heads) and out (n × Out, the mean over heads of the
// attention-weighted values, plus the skip term and the bias).
func (a *adjacency) attend(L layer, P, alpha, out []float32) {
	H, O, C := L.Heads, L.Out, L.cols()
	HO := H * O
	scale := float32(1 / math.Sqrt(float64(O)))
	invH := 1 / float32(H)
	parFor(a.n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			o := out[i*O : (i+1)*O]
			copy(o, P[i*C+3*HO:i*C+3*HO+O])
			for c, b := range L.B {
				o[c] += b
			}
			k0, k1 := a.indptr[i], a.indptr[i+1]
			for h := 0; h < H; h++ {
				q := P[i*C+h*O : i*C+(h+1)*O]
				m := float32(math.Inf(-1))
				for k := k0; k < k1; k++ {
					j := int(a.idx[k])
					s := dot(q, P[j*C+HO+h*O:j*C+HO+(h+1)*O]) * scale
					alpha[int(k)*H+h] = s
					m = max(m, s)
				}
				sum := 0.0
				for k := k0; k < k1; k++ {
					e := math.Exp(float64(alpha[int(k)*H+h] - m))
					alpha[int(k)*H+h] = float32(e)
					sum += e
				}
				inv := float32(1 / sum)
				for k := k0; k < k1; k++ {
					w := alpha[int(k)*H+h] * inv
					alpha[int(k)*H+h] = w
					w *= invH
					j := int(a.idx[k])
					for c, v := range P[j*C+2*HO+h*O : j*C+2*HO+(h+1)*O] {
						o[c] += w * v
					}
				}
			}
		}
	})
}

// attendBack is the backward pass of transformer layer L: from dOut
// (n × Out) and the forward's P and alpha it fills dP (n × cols) with
// ∂L/∂P. de (entries × Heads) is scratch; rev is a.reverseIndex(). The bias
// gradient is the column sum of dOut and is left to the caller.
func (a *adjacency) attendBack(L layer, P, alpha, dOut, de []float32, rev []int32, dP []float32) {
	H, O, C := L.Heads, L.Out, L.cols()
	HO := H * O
	scale := float32(1 / math.Sqrt(float64(O)))
	invH := 1 / float32(H)
	// queries, skip, and ∂L/∂s per entry: by row i
	parFor(a.n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			g := dOut[i*O : (i+1)*O]
			d := dP[i*C : (i+1)*C]
			copy(d[3*HO:3*HO+O], g)
			k0, k1 := a.indptr[i], a.indptr[i+1]
			for h := 0; h < H; h++ {
				s := float32(0)
				for k := k0; k < k1; k++ {
					j := int(a.idx[k])
					da := dot(g, P[j*C+2*HO+h*O:j*C+2*HO+(h+1)*O]) * invH
					de[int(k)*H+h] = da
					s += alpha[int(k)*H+h] * da
				}
				dq := d[h*O : (h+1)*O]
				clear(dq)
				for k := k0; k < k1; k++ {
					e := alpha[int(k)*H+h] * (de[int(k)*H+h] - s)
					de[int(k)*H+h] = e
					e *= scale
					j := int(a.idx[k])
					for c, v := range P[j*C+HO+h*O : j*C+HO+(h+1)*O] {
						dq[c] += e * v
					}
				}
			}
		}
	})
	// keys and values: by row j, gathering entries (i, j) through rev
	parFor(a.n, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			d := dP[j*C : (j+1)*C]
			clear(d[HO : 3*HO])
			k0, k1 := a.indptr[j], a.indptr[j+1]
			for h := 0; h < H; h++ {
				dk := d[HO+h*O : HO+(h+1)*O]
				dv := d[2*HO+h*O : 2*HO+(h+1)*O]
				for k := k0; k < k1; k++ {
					i := int(a.idx[k])
					r := int(rev[k])*H + h
					w := alpha[r] * invH
					for c, v := range dOut[i*O : (i+1)*O] {
						dv[c] += w * v
					}
					e := de[r] * scale
					for c, v := range P[i*C+h*O : i*C+(h+1)*O] {
						dk[c] += e * v
					}
				}
			}
		}
	})
}
