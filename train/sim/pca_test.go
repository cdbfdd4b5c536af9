package sim

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// pcaScores returns the scores of the rows of x on its top k principal
// components (eigenvectors of the covariance).
func pcaScores(t *testing.T, x [][]float64, k int) [][]float64 {
	t.Helper()
	n, p := len(x), len(x[0])
	means := make([]float64, p)
	for _, row := range x {
		for j, v := range row {
			means[j] += v / float64(n)
		}
	}
	c := mat.NewDense(n, p, nil)
	for i, row := range x {
		for j, v := range row {
			c.Set(i, j, v-means[j])
		}
	}
	var cov mat.SymDense
	cov.SymOuterK(1, c.T())
	var eig mat.EigenSym
	if !eig.Factorize(&cov, true) {
		t.Fatal("eigen decomposition failed")
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	// EigenSym sorts eigenvalues ascending: the last k columns are the top PCs.
	top := vecs.Slice(0, p, p-k, p)
	var scores mat.Dense
	scores.Mul(c, top)
	out := make([][]float64, n)
	for i := range out {
		out[i] = mat.Row(nil, i, &scores)
	}
	return out
}

// silhouette is the mean silhouette width of labels in Euclidean space.
func silhouette(x [][]float64, labels []string) float64 {
	n := len(x)
	total := 0.0
	for i := range n {
		sum := map[string]float64{}
		cnt := map[string]int{}
		for j := range n {
			if i == j {
				continue
			}
			d := 0.0
			for k := range x[i] {
				d += (x[i][k] - x[j][k]) * (x[i][k] - x[j][k])
			}
			sum[labels[j]] += math.Sqrt(d)
			cnt[labels[j]]++
		}
		a := sum[labels[i]] / float64(cnt[labels[i]])
		b := math.Inf(1)
		for l, s := range sum {
			if l != labels[i] {
				b = math.Min(b, s/float64(cnt[l]))
			}
		}
		total += (b - a) / math.Max(a, b)
	}
	return total / float64(n)
}

// nnPurity is the fraction of points whose nearest neighbour has the same
// label.
func nnPurity(x [][]float64, labels []string) float64 {
	same := 0
	for i := range x {
		best, bestD := -1, math.Inf(1)
		for j := range x {
			if i == j {
				continue
			}
			d := 0.0
			for k := range x[i] {
				d += (x[i][k] - x[j][k]) * (x[i][k] - x[j][k])
			}
			if d < bestD {
				best, bestD = j, d
			}
		}
		if labels[best] == labels[i] {
			same++
		}
	}
	return float64(same) / float64(len(x))
}

// TestPCASeparatesBatches checks that a PCA of the pooled datasets
// separates batches clearly under the default (strong) batch effect (every
// cell's nearest neighbour on 10 PCs is from its own batch; chance is 1/3),
// and not without one, while cell types stay visible.
func TestPCASeparatesBatches(t *testing.T) {
	tests := []struct {
		effect               float64
		minSil, maxSil       float64
		minPurity, maxPurity float64
	}{
		{DefaultConfig().BatchEffect, 0.15, 1, 0.95, 1},
		{0, -1, 0.05, 0, 0.5},
	}
	for _, tc := range tests {
		cfg := smallConfig()
		cfg.Cells = 200
		cfg.BatchEffect = tc.effect
		s := mustGenerate(t, cfg)
		x, batches := pooledShared(s)
		scores := pcaScores(t, x, 10)
		sil := silhouette(scores, batches)
		var types []string
		for _, d := range s.Datasets {
			types = append(types, d.CellTypes...)
		}
		typeSil := silhouette(scores, types)
		purity := nnPurity(scores, batches)
		t.Logf("batch effect %.2f, 10 PCs: batch silhouette %.3f, nearest-neighbour batch purity %.3f, cell-type silhouette %.3f", tc.effect, sil, purity, typeSil)
		if sil < tc.minSil || sil > tc.maxSil {
			t.Errorf("batch effect %.2f: batch silhouette %.3f, want %.2f..%.2f", tc.effect, sil, tc.minSil, tc.maxSil)
		}
		if purity < tc.minPurity || purity > tc.maxPurity {
			t.Errorf("batch effect %.2f: nearest-neighbour batch purity %.3f, want %.2f..%.2f", tc.effect, purity, tc.minPurity, tc.maxPurity)
		}
		if typeSil < 0.1 {
			t.Errorf("batch effect %.2f: cell-type silhouette %.3f, want ≥ 0.1", tc.effect, typeSil)
		}
	}
}
