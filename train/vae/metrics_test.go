package vae

import (
	"context"
	"math"
	"slices"
	"testing"

	"genestore/internal/sparse"
	"genestore/query/cluster"
	"genestore/query/eval"
	"genestore/train/sim"
)

// simInput stacks the datasets of a simulation on the genes all of them
// measure, keeps the nHVG most variable and returns the model input with
// cell types.
func simInput(t testing.TB, cfg sim.Config, nHVG int) (Input, []string) {
	t.Helper()
	s, err := sim.Generate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return stackSim(t, s.Datasets, nHVG)
}

func stackSim(t testing.TB, dss []sim.Dataset, nHVG int) (Input, []string) {
	t.Helper()
	count := map[string]int{}
	for _, ds := range dss {
		for _, g := range ds.Genes {
			count[g]++
		}
	}
	var shared []string
	for _, g := range dss[0].Genes {
		if count[g] == len(dss) {
			shared = append(shared, g)
		}
	}
	X := &sparse.CSR{Cols: len(shared), Indptr: []int64{0}}
	var in Input
	var types []string
	for b, ds := range dss {
		pos := map[string]int{}
		for j, g := range ds.Genes {
			pos[g] = j
		}
		cols := make([]int, len(shared))
		for j, g := range shared {
			cols[j] = pos[g]
		}
		sub := ds.X.SelectCols(cols)
		for r := range sub.Rows {
			idx, val := sub.Row(r)
			X.Indices = append(X.Indices, idx...)
			X.Data = append(X.Data, val...)
			X.Indptr = append(X.Indptr, int64(len(X.Data)))
			in.Batch = append(in.Batch, b)
		}
		X.Rows += sub.Rows
		in.BatchNames = append(in.BatchNames, ds.Name)
		types = append(types, ds.CellTypes...)
	}
	in.X = X
	if nHVG > 0 && nHVG < X.Cols {
		in.X = X.SelectCols(topVariable(X, nHVG))
	}
	return in, types
}

// topVariable picks the n columns of highest variance of log1p(CP10k), in
// increasing column order (a simple stand-in for HVG selection).
func topVariable(X *sparse.CSR, n int) []int {
	L := logNorm(X)
	mean, sq := make([]float64, X.Cols), make([]float64, X.Cols)
	for k, c := range L.Indices {
		v := float64(L.Data[k])
		mean[c] += v
		sq[c] += v * v
	}
	idx := make([]int, X.Cols)
	vr := make([]float64, X.Cols)
	for j := range idx {
		idx[j] = j
		m := mean[j] / float64(X.Rows)
		vr[j] = sq[j]/float64(X.Rows) - m*m
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if vr[a] > vr[b] {
			return -1
		}
		if vr[a] < vr[b] {
			return 1
		}
		return 0
	})
	idx = idx[:n]
	slices.Sort(idx)
	return idx
}

// logNorm returns log1p of counts scaled to 1e4 per cell.
func logNorm(X *sparse.CSR) *sparse.CSR {
	out := &sparse.CSR{Rows: X.Rows, Cols: X.Cols, Indptr: X.Indptr, Indices: X.Indices, Data: make([]float32, len(X.Data))}
	for r := range X.Rows {
		lo, hi := X.Indptr[r], X.Indptr[r+1]
		s := 0.0
		for _, v := range X.Data[lo:hi] {
			s += float64(v)
		}
		for k := lo; k < hi; k++ {
			if s > 0 {
				out.Data[k] = float32(math.Log1p(float64(X.Data[k]) * 1e4 / s))
			}
		}
	}
	return out
}

// scores are the integration metrics of one embedding.
type scores struct {
	NMI, ARI, BatchASW, LabelASW, ILISI float64
}

// integration computes scIB-style metrics of emb (n × dim) given cell types
// and batches: NMI/ARI of the best-NMI Leiden clustering over a resolution
// sweep, label ASW (rescaled to [0, 1]), batch ASW (1 − |silhouette of batch|
// per cell type, averaged over types) and the median iLISI of 30-nearest-
// neighbour sets, rescaled to [0, 1] by (iLISI−1)/(batches−1).
func integration(t testing.TB, emb []float32, dim int, types []string, batch []int, nBatch int) scores {
	t.Helper()
	ctx := context.Background()
	n := len(types)
	tc, _ := eval.Codes(types)
	g, err := cluster.KNNGraph(ctx, emb, n, dim, 15, cluster.Euclidean, cluster.DefaultGraphOptions())
	if err != nil {
		t.Fatal(err)
	}
	res, err := cluster.Sweep(ctx, g, []float64{0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.5}, seededOpts(1))
	if err != nil {
		t.Fatal(err)
	}
	var s scores
	s.NMI = -1
	for _, r := range res {
		nmi, err := eval.NMI(tc, r.Labels)
		if err != nil {
			t.Fatal(err)
		}
		if nmi > s.NMI {
			s.NMI = nmi
			if s.ARI, err = eval.ARI(tc, r.Labels); err != nil {
				t.Fatal(err)
			}
		}
	}
	dist := func(i, j int) float64 {
		d := 0.0
		for k := range dim {
			x := float64(emb[i*dim+k] - emb[j*dim+k])
			d += x * x
		}
		return math.Sqrt(d)
	}
	sil := func(members []int, lab func(int) int, nl int) []float64 {
		out := make([]float64, len(members))
		sum := make([]float64, nl)
		cnt := make([]int, nl)
		for _, i := range members {
			cnt[lab(i)]++
		}
		for a, i := range members {
			clear(sum)
			for _, j := range members {
				if i != j {
					sum[lab(j)] += dist(i, j)
				}
			}
			own := lab(i)
			if cnt[own] < 2 {
				continue
			}
			in := sum[own] / float64(cnt[own]-1)
			other := math.Inf(1)
			for l := range nl {
				if l != own && cnt[l] > 0 {
					other = math.Min(other, sum[l]/float64(cnt[l]))
				}
			}
			if math.IsInf(other, 1) {
				continue
			}
			out[a] = (other - in) / math.Max(other, in)
		}
		return out
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	nt := slices.Max(tc) + 1
	ls := sil(all, func(i int) int { return tc[i] }, nt)
	for _, v := range ls {
		s.LabelASW += (v + 1) / 2
	}
	s.LabelASW /= float64(n)
	types2 := 0
	for c := range nt {
		var members []int
		for i := range n {
			if tc[i] == c {
				members = append(members, i)
			}
		}
		bs := sil(members, func(i int) int { return batch[i] }, nBatch)
		v := 0.0
		for _, x := range bs {
			v += 1 - math.Abs(x)
		}
		if len(members) > 0 {
			s.BatchASW += v / float64(len(members))
			types2++
		}
	}
	s.BatchASW /= float64(types2)
	// iLISI: inverse Simpson index of batch among each cell's 30 neighbours.
	ids, _, err := cluster.KNN(ctx, emb, n, dim, 30, cluster.Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	lisi := make([]float64, n)
	cnt := make([]float64, nBatch)
	for i, nb := range ids {
		clear(cnt)
		for _, j := range nb {
			cnt[batch[j]]++
		}
		simpson := 0.0
		for _, c := range cnt {
			p := c / float64(len(nb))
			simpson += p * p
		}
		lisi[i] = 1 / simpson
	}
	slices.Sort(lisi)
	s.ILISI = (lisi[n/2] - 1) / float64(nBatch-1)
	return s
}

func seededOpts(seed uint64) cluster.Options {
	o := cluster.DefaultOptions()
	o.Seed = seed
	return o
}
