package vae

import (
	"genestore/train/optim"
	"genestore/vocab"

	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"genestore/internal/sparse"

	"genestore/internal/cputime"
)

// peerCounts reproduces the data of ../shared/bench/peer_train.py's VAE
// benchmark: negative-binomial counts, 10 cell types with 50 marker genes
// each, log-normal library sizes (median 5000 UMIs), per-gene dispersion.
func peerCounts(cells, genes int, seed uint64) *sparse.CSR {
	rng := rand.New(rand.NewPCG(seed, 7))
	const types, markers = 10, 50
	base := make([]float64, genes)
	for g := range base {
		base[g] = 1.5 * rng.NormFloat64()
	}
	props := make([][]float64, types)
	for t := range props {
		l := make([]float64, genes)
		for g := range l {
			l[g] = base[g] + 0.3*rng.NormFloat64()
		}
		for _, g := range rng.Perm(genes)[:markers] {
			l[g] += 2 + 0.5*rng.NormFloat64()
		}
		s := 0.0
		for g := range l {
			l[g] = math.Exp(l[g])
			s += l[g]
		}
		for g := range l {
			l[g] /= s
		}
		props[t] = l
	}
	theta := make([]float64, genes)
	for g := range theta {
		theta[g] = math.Exp(math.Log(2) + 0.7*rng.NormFloat64())
	}
	X := &sparse.CSR{Rows: cells, Cols: genes, Indptr: make([]int64, cells+1)}
	for i := range cells {
		t := rng.IntN(types)
		lib := math.Exp(math.Log(5000) + 0.5*rng.NormFloat64())
		for g := range genes {
			mu := lib * props[t][g]
			if x := poisson(rng, gammaRand(rng, theta[g])*mu/theta[g]); x > 0 {
				X.Indices = append(X.Indices, int32(g))
				X.Data = append(X.Data, float32(x))
			}
		}
		X.Indptr[i+1] = int64(len(X.Data))
	}
	return X
}

// BenchmarkTrainStep times training steps of the architecture of
// peer_train.py --models vae (2000 → 256 → 32 → 256 → 2000, NB, batch 256,
// Adam lr 1e-3). Compare cells/s with PyTorch at equal threads: run with
// -cpu 1 against peer_train.py --threads 1. cells/cpu-s is the steadier
// figure on a shared machine.
func BenchmarkTrainStep(b *testing.B) {
	const cells, genes, bs = 4096, 2000, 256
	X := peerCounts(cells, genes, 1)
	batch := make([]int32, cells)
	d, err := prepare(X, batch, vocab.Counts, NB, genes, true)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	m := newModel(hyper{Genes: genes, Latent: 32, Hidden: 256, Likelihood: NB, Values: vocab.Counts, BatchNames: []string{"b"}}, rng)
	w := newWork(m, bs, runtime.GOMAXPROCS(0))
	opt := optim.NewAdam(1e-3)
	opt.ClearGrad = true
	perm := rng.Perm(cells)
	step := func(s int) float64 {
		off := (s * bs) % cells
		rows := perm[off : off+bs]
		for i := range bs * 32 {
			w.eps[i] = float32(rng.NormFloat64())
		}
		nll, kl := w.step(d, rows, true, true)
		opt.Step(optimParams(m.params()))
		return (nll + kl) / bs
	}
	for s := range 5 { // warm-up, as peer_train.py
		step(s)
	}
	cpu0 := cputime.Used()
	b.ResetTimer()
	var loss float64
	for s := 0; b.Loop(); s++ {
		loss = step(s)
	}
	cpu := cputime.Used() - cpu0
	n := float64(b.N * bs)
	b.ReportMetric(n/b.Elapsed().Seconds(), "cells/s")
	b.ReportMetric(n/cpu.Seconds(), "cells/cpu-s")
	b.ReportMetric(loss, "loss/cell")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/step")
}

// BenchmarkEmbed times posterior-mean embedding of 2000-gene count cells.
func BenchmarkEmbed(b *testing.B) {
	X := peerCounts(2048, 2000, 2)
	m := newModel(hyper{Genes: 2000, Latent: 32, Hidden: 256, Likelihood: NB, Values: vocab.Counts, BatchNames: []string{"b"}}, rand.New(rand.NewPCG(1, 1)))
	b.ResetTimer()
	cpu0 := cputime.Used()
	for b.Loop() {
		if _, err := m.Embed(context.Background(), X, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*X.Rows)/b.Elapsed().Seconds(), "cells/s")
	b.ReportMetric(float64(b.N*X.Rows)/(cputime.Used()-cpu0).Seconds(), "cells/cpu-s")
}
