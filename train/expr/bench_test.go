package expr

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"genestore/internal/cputime"
	"genestore/train/optim"
)

// BenchmarkTrainStep times one MLP training step (forward, backward, Adam)
// in the shape of the peer benchmark (shared/bench/peer_train.py --models
// dgex): 978 landmarks → 3,000 tanh units (dropout 0.1) → 4,000 targets,
// batch 200, random inputs.
func BenchmarkTrainStep(b *testing.B) {
	const L, H, T, B = 978, 3000, 4000, 200
	rng := rand.New(rand.NewPCG(1, 1))
	net := newMLP([]int{L, H, T}, rng)
	x, y := make([]float32, B*L), make([]float32, B*T)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	for i := range y {
		y[i] = float32(rng.NormFloat64())
	}
	threads := runtime.GOMAXPROCS(0)
	w := net.work(B)
	adam := optim.NewAdam(1e-3)
	ps := net.params()
	step := func() {
		net.forward(x, B, w, rng, 0.1, threads)
		net.backward(x, y, B, w, threads)
		adam.Step(ps)
	}
	for range 3 {
		step()
	}
	b.ResetTimer()
	cpu0 := cputime.Seconds()
	for b.Loop() {
		step()
	}
	cpu := cputime.Seconds() - cpu0
	samples := float64(B * b.N)
	b.ReportMetric(samples/b.Elapsed().Seconds(), "samples/s")
	if cpu > 0 {
		b.ReportMetric(samples/cpu, "samples/CPU-s")
	}
}
