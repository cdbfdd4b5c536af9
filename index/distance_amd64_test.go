//go:build !purego

package index

import (
	"fmt"
	"testing"
	"unsafe"

	"golang.org/x/sys/cpu"

	"genestore/internal/cputime"
)

var haveAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW

// forEachKernel runs f once per kernel level this CPU has (portable, AVX2,
// AVX-512), with that level chosen; it restores the start-up choice.
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	saved := kern
	defer func() { kern = saved }()
	for k := kernPortable; k <= chooseKernel(""); k++ {
		kern = k
		t.Run([...]string{"portable", "avx2", "avx512"}[k], f)
	}
}

func TestChooseKernel(t *testing.T) {
	best := chooseKernel("")
	if got := chooseKernel("portable"); got != kernPortable {
		t.Errorf("portable cap: got %d", got)
	}
	if got := chooseKernel("avx2"); got != min(best, kernAVX2) {
		t.Errorf("avx2 cap: got %d, want %d", got, min(best, kernAVX2))
	}
	t.Logf("best kernel here: %d", best)
}

func seq(a, b int) []int {
	var s []int
	for i := a; i <= b; i++ {
		s = append(s, i)
	}
	return s
}

// BenchmarkKernels times one distance of each kernel, interleaving the
// kernels per dimension, and reports ns/distance.
func BenchmarkKernels(b *testing.B) {
	for _, dim := range []int{32, 64, 100, 128, 256} {
		x, y := mixture(1, 1, dim, 1), mixture(2, 1, dim, 1)
		w, c := make([]int16, dim), make([]uint8, dim)
		for i := range w {
			w[i], c[i] = int16(i*977), uint8(i*37)
		}
		px, py, pw, pc := unsafe.SliceData(x), unsafe.SliceData(y), unsafe.SliceData(w), unsafe.SliceData(c)
		kernels := []struct {
			name string
			ok   bool
			f    func() float32
		}{
			{"f32/portable", true, func() float32 { return dotPortable(x, y) }},
			{"f32/avx2", cpu.X86.HasAVX2 && cpu.X86.HasFMA, func() float32 { return dotAVX2(px, py, dim) }},
			{"f32/avx512", haveAVX512, func() float32 { return dotAVX512(px, py, dim) }},
			{"int8/portable", true, func() float32 { return float32(dotU8Portable(w, c)) }},
			{"int8/avx2", cpu.X86.HasAVX2 && cpu.X86.HasFMA, func() float32 { return float32(dotU8AVX2(pw, pc, dim)) }},
			{"int8/avx512", haveAVX512, func() float32 { return float32(dotU8AVX512(pw, pc, dim)) }},
		}
		for _, k := range kernels {
			if !k.ok {
				continue
			}
			b.Run(fmt.Sprintf("%s/dim=%d", k.name, dim), func(b *testing.B) {
				var s float32
				c0 := cputime.Used()
				for b.Loop() {
					s += k.f()
				}
				_ = s
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/distance")
				b.ReportMetric(float64((cputime.Used()-c0).Nanoseconds())/float64(b.N), "cpu-ns/distance")
			})
		}
	}
}

// BenchmarkU8BatchKernels times the general int8 batch kernel against the
// int32-lane one on the same 17 random 64-dimensional rows per call, rows
// in cache (2,000) and not (100k), at the CPU's best level. It reports ns
// per row; run it several times to interleave the two.
func BenchmarkU8BatchKernels(b *testing.B) {
	const dim, batch = 64, 17
	if !cpu.X86.HasAVX2 {
		b.Skip("no AVX2 on this CPU")
	}
	general, short := dotU8BatchAVX2, dotU8BatchShortAVX2
	if haveAVX512 {
		general, short = dotU8BatchAVX512, dotU8BatchShortAVX512
	}
	for _, n := range []int{2000, 100_000} {
		r := newKernelRows(n, dim, batch)
		codes, w, ids := r.codes, r.w, r.ids
		sums := make([]int64, batch)
		for _, k := range []struct {
			name string
			run  func(part []uint32)
		}{
			{"general", func(part []uint32) {
				general(&w[0], &codes[0], dim, &part[0], len(part), &sums[0])
			}},
			{"int32-lanes", func(part []uint32) {
				prefetchRowsAsm(unsafe.Pointer(&codes[0]), dim, &part[0], len(part))
				short(&w[0], &codes[0], dim, &part[0], len(part), &sums[0])
			}},
		} {
			b.Run(fmt.Sprintf("%s/rows=%d", k.name, n), func(b *testing.B) {
				i := 0
				for b.Loop() {
					k.run(ids[i*batch : (i+1)*batch])
					i = (i + 1) % 1024
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/row")
			})
		}
	}
}
