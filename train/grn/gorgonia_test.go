package grn

// The conv stack (conv 32, ReLU, conv 32, ReLU, pool, conv 64, ReLU,
// conv 64, ReLU, pool) forward and backward over a batch of 32×32 images,
// once with gorgonia's Conv2d / MaxPool2D and once with the hand-written
// kernels, to measure which is faster. gorgonia stays in this test file:
// the production path never links it.
//
// Measured 2026-12-04, 64 images, GOMAXPROCS=1, shared 2-core machine
// (CPU-seconds): hand-written 193.5 and 203.6 images/CPU-s, gorgonia 28.6
// and 27.6 (two runs): the hand-written kernels are 6.8–7.4× faster.

import (
	"math/rand/v2"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"genestore/internal/cputime"
)

const convBenchImages = 64

func reportImages(b *testing.B, c0 float64, t0 time.Time) {
	n := float64(b.N * convBenchImages)
	b.ReportMetric(n/time.Since(t0).Seconds(), "images/s")
	if cpu := cputime.Seconds() - c0; cpu > 0 {
		b.ReportMetric(n/cpu, "images/CPU-s")
	}
}

func BenchmarkConvStackHandWritten(b *testing.B) {
	o := DefaultOptions()
	hp := hyper{Bins: o.Bins, Conv1: o.Conv1, Conv2: o.Conv2, Hidden: 1, Embed: 1, Head: 1, Views: 1, Genes: 2}
	rng := rand.New(rand.NewPCG(1, 1))
	m := newModel(hp, rng)
	w := newWork(hp, convBenchImages, threadsForBench())
	w.ensureGrad()
	for i := range w.x {
		w.x[i] = rng.Float32()
	}
	for i := range w.dfeat {
		w.dfeat[i] = 1 // d Σ(features)
	}
	b.ResetTimer()
	c0, t0 := cputime.Seconds(), time.Now()
	for b.Loop() {
		w.convForward(m, convBenchImages)
		w.convBackward(m, convBenchImages)
	}
	reportImages(b, c0, t0)
}

func BenchmarkConvStackGorgonia(b *testing.B) {
	g := G.NewGraph()
	rng := rand.New(rand.NewPCG(1, 1))
	tens := func(name string, shape ...int) *G.Node {
		n := 1
		for _, s := range shape {
			n *= s
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 0.1)
		}
		return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))))
	}
	x := tens("x", convBenchImages, 1, 32, 32)
	ws := []*G.Node{tens("w1", 32, 1, 3, 3), tens("w2", 32, 32, 3, 3), tens("w3", 64, 32, 3, 3), tens("w4", 64, 64, 3, 3)}
	must := func(n *G.Node, err error) *G.Node {
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	k, pad, one := tensor.Shape{3, 3}, []int{1, 1}, []int{1, 1}
	h := x
	for i, wi := range ws {
		h = must(G.Conv2d(h, wi, k, pad, one, one))
		h = must(G.Rectify(h))
		if i%2 == 1 {
			h = must(G.MaxPool2D(h, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}))
		}
	}
	cost := must(G.Sum(h))
	if _, err := G.Grad(cost, ws...); err != nil {
		b.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(ws...))
	defer vm.Close()
	run := func() {
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
		vm.Reset()
	}
	run() // warm-up
	b.ResetTimer()
	c0, t0 := cputime.Seconds(), time.Now()
	for b.Loop() {
		run()
	}
	reportImages(b, c0, t0)
}
