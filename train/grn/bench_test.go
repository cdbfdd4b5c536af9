package grn

import (
	"math/rand/v2"
	"testing"
	"time"

	"genestore/internal/cputime"
	"genestore/train/optim"
)

// BenchmarkTrainStep times one training step in the shape of
// shared/bench/peer_train.py --models cnn: 64 pairs, 3 views × (1 + 2)
// images of 32×32, the default VGG, BCE + NT-Xent, Adam. Images are
// uniform noise, as in the peer. Compare with GOMAXPROCS=1 against the
// peer's --threads 1.
//
// Measured 2026-12-04 on the shared 2-core machine (load average 6–24,
// so CPU-seconds, not wall time), interleaved peer, ours, ×3, 5 steps of
// ours and 10 of the peer (PyTorch 1.13, Debian) per run:
//
//	run  peer pairs/CPU-s  ours pairs/CPU-s  ratio
//	1    7.6               23.3              3.07
//	2    8.1               23.0              2.84
//	3    8.1               24.9              3.08
//
// median ratio 3.07× (medians 23.3 vs 8.1 pairs/CPU-s).
func BenchmarkTrainStep(b *testing.B) {
	const pairs = 64
	o := DefaultOptions()
	hp := hyper{Bins: o.Bins, Conv1: o.Conv1, Conv2: o.Conv2, Hidden: o.Hidden, Embed: o.Embed, Head: o.Head,
		Neighbours: 2, Views: 3, Genes: 2}
	rng := rand.New(rand.NewPCG(1, 1))
	m := newModel(hp, rng)
	w := newWork(hp, pairs, threadsForBench())
	for i := range w.x {
		w.x[i] = rng.Float32()
	}
	y := make([]float32, pairs)
	for i := range y {
		if rng.IntN(2) == 0 {
			y[i] = 1
		}
	}
	opt := optim.NewAdam(1e-3)
	opt.ClearGrad = true
	ps := m.params()
	step := func() {
		w.forward(m, pairs)
		w.loss(m, pairs, y, 1, 0.1, true)
		opt.Step(ps)
	}
	for range 3 { // warm-up, as the peer
		step()
	}
	b.ResetTimer()
	c0, t0 := cputime.Seconds(), time.Now()
	for b.Loop() {
		step()
	}
	cpu, wall := cputime.Seconds()-c0, time.Since(t0).Seconds()
	n := float64(b.N * pairs)
	b.ReportMetric(n/wall, "pairs/s")
	if cpu > 0 {
		b.ReportMetric(n/cpu, "pairs/CPU-s")
	}
}

func threadsForBench() int { return max(1, runtimeGOMAXPROCS()) }
