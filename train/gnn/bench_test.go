package gnn

import (
	"context"
	"math"
	"math/rand"
	"testing"

	"genestore/internal/sparse"
	"genestore/train/prep"

	"genestore/internal/cputime"
)

// peerProfiles mirrors simulate_profiles of shared/bench/peer_train.py: two
// sets of `genes` genes × `cells` cells sharing sharedFrac of their genes,
// expression log1p(loading·activity·5) + N(0, 0.3²), z-scored per gene.
func peerProfiles(rng *rand.Rand, genes, cells int, sharedFrac float64) []DatasetInput {
	const modules = 50
	universe := genes + int(math.Round(float64(genes)*(1-sharedFrac)))
	module := make([]int, universe)
	loading := make([]float64, universe)
	for g := range module {
		module[g] = rng.Intn(modules)
		loading[g] = 1 + 0.3*rng.NormFloat64()
	}
	var out []DatasetInput
	for s, first := range []int{0, universe - genes} {
		act := make([]float64, modules*cells)
		for i := range act {
			act[i] = rng.ExpFloat64() // gamma(1, 1)
		}
		dense := make([]float32, cells*genes)
		ids := make([]uint32, genes)
		for gi := 0; gi < genes; gi++ {
			g := first + gi
			ids[gi] = uint32(g)
			row := make([]float64, cells)
			mean := 0.0
			for c := range row {
				row[c] = math.Log1p(math.Max(loading[g]*act[module[g]*cells+c]*5, 0)) + 0.3*rng.NormFloat64()
				mean += row[c]
			}
			mean /= float64(cells)
			ss := 0.0
			for _, v := range row {
				ss += (v - mean) * (v - mean)
			}
			sd := math.Sqrt(ss / float64(cells))
			for c, v := range row {
				dense[c*genes+gi] = float32((v - mean) / sd)
			}
		}
		X := &sparse.CSR{Rows: cells, Cols: genes, Indptr: make([]int64, cells+1)}
		for c := 0; c < cells; c++ {
			for gi := 0; gi < genes; gi++ {
				if v := dense[c*genes+gi]; v != 0 {
					X.Indices = append(X.Indices, int32(gi))
					X.Data = append(X.Data, v)
				}
			}
			X.Indptr[c+1] = int64(len(X.Data))
		}
		copts := prep.DefaultCoexprOptions()
		copts.TopK, copts.Alpha, copts.Correction = 10, 1, prep.NoCorrection
		edges, err := prep.Coexpression(context.Background(), X, copts)
		if err != nil {
			panic(err)
		}
		out = append(out, DatasetInput{Name: string(rune('A' + s)), Genes: ids, X: X, Edges: edges})
	}
	return out
}

// BenchmarkEpochPeerShape times full-batch epochs on the shape of
// `peer_train.py --models gnn`: two datasets of 5,000 genes × 512 cells,
// top-10 Pearson graphs, 4,000 shared genes, 512→128→64, BCE with one
// negative per edge + InfoNCE (τ 0.1, weight 1), Adam. Reports wall and CPU
// seconds per epoch (the CPU figure is steadier on a shared machine; with
// GOMAXPROCS > 1 it sums all threads). One sub-benchmark per shared-layer
// convolution.
func BenchmarkEpochPeerShape(b *testing.B) {
	inputs := peerProfiles(rand.New(rand.NewSource(0)), 5000, 512, 0.8)
	for _, c := range []string{ConvGCN, ConvTransformer} {
		b.Run(c, func(b *testing.B) { benchEpochPeerShape(b, inputs, c) })
	}
}

func benchEpochPeerShape(b *testing.B, inputs []DatasetInput, conv string) {
	edges := 0
	for _, in := range inputs {
		edges += len(in.Edges)
	}
	opts := DefaultOptions()
	opts.Conv = conv
	opts.Dim, opts.Hidden, opts.SharedLayers, opts.MaxProfile = 64, 128, 1, 512
	opts.HoldOut, opts.CosineWeight, opts.ContrastWeight, opts.Temperature = 0, 0, 1, 0.1
	opts.LearningRate = 1e-3
	// Two runs of 2 and 12 epochs: their difference is 10 epochs without
	// the setup (profiles, graphs) and without warm-up.
	const short, full = 2, 12
	b.ResetTimer()
	var wall, cpu float64
	for i := 0; i < b.N; i++ {
		var c [2]float64
		var res *Result
		for k, e := range []int{short, full} {
			opts.Epochs = e
			c0 := cputime.Seconds()
			var err error
			_, res, err = Train(context.Background(), inputs, opts, nil)
			if err != nil {
				b.Fatal(err)
			}
			c[k] = cputime.Seconds() - c0
		}
		cpu += c[1] - c[0]
		for _, l := range res.Log[short:] {
			wall += l.Seconds
		}
		b.Logf("loss %.4f → %.4f", res.Log[0].Loss, res.Log[len(res.Log)-1].Loss)
	}
	n := float64(b.N * (full - short))
	b.ReportMetric(wall/n, "s/epoch")
	b.ReportMetric(cpu/n, "cpu-s/epoch")
	b.ReportMetric(float64(edges)/2, "edges/graph")
}
