//go:build linux && amd64 && !purego

package index

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"golang.org/x/sys/cpu"

	"genestore/internal/testutil/guardmem"
)

// TestAsmKernelsGuarded calls every assembly kernel this CPU has directly,
// on operands that end at an inaccessible page, for every length 0..160
// and some long ones, and compares with the portable kernels.
func TestAsmKernelsGuarded(t *testing.T) {
	type fk = func(a, b *float32, n int) float32
	type uk = func(w *int16, c *uint8, n int) int64
	type level struct {
		name    string
		dot, l2 fk
		u8      uk
		batch   func(q, vecs *float32, dim int, ids *uint32, n int, out *float32)
		u8batch func(w *int16, codes *uint8, dim int, ids *uint32, n int, out *int64)
	}
	var levels []level
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		levels = append(levels, level{"avx2", dotAVX2, l2AVX2, dotU8AVX2, dotBatchAVX2, dotU8BatchAVX2})
	}
	if haveAVX512 {
		levels = append(levels, level{"avx512", dotAVX512, l2AVX512, dotU8AVX512, dotBatchAVX512, dotU8BatchAVX512})
	}
	if len(levels) == 0 {
		t.Skip("no assembly kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	lengths := seq(0, 160)
	lengths = append(lengths, 255, 256, 257, 1023, 1024, 1025, 1039, 2049, 4096, 4111)
	for _, lv := range levels {
		for _, n := range lengths {
			a, b := guardmem.Slice[float32](t, n), guardmem.Slice[float32](t, n)
			w, c := guardmem.Slice[int16](t, n), guardmem.Slice[uint8](t, n)
			for i := range n {
				a[i], b[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
				w[i], c[i] = int16(rng.Uint32()), uint8(rng.Uint32())
			}
			if n > 0 && n%3 == 0 { // int8 extremes
				for i := range n {
					w[i], c[i] = -32768, 255
				}
			}
			want, mag := refDot(a, b)
			if got := lv.dot(unsafe.SliceData(a), unsafe.SliceData(b), n); math.Abs(float64(got)-want) > kernelTol(n, mag) {
				t.Fatalf("%s dot n=%d: got %v, want %v", lv.name, n, got, want)
			}
			wl2 := refL2(a, b)
			if got := lv.l2(unsafe.SliceData(a), unsafe.SliceData(b), n); math.Abs(float64(got)-wl2) > kernelTol(n, wl2)+4*math.Ldexp(1, -24)*wl2 {
				t.Fatalf("%s l2 n=%d: got %v, want %v", lv.name, n, got, wl2)
			}
			if got, want := lv.u8(unsafe.SliceData(w), unsafe.SliceData(c), n), refU8(w, c); got != want {
				t.Fatalf("%s dotU8 n=%d: got %d, want %d", lv.name, n, got, want)
			}
		}
		for _, dim := range []int{1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 100, 1025} {
			const rows = 5
			vecs, codes := guardmem.Slice[float32](t, rows*dim), guardmem.Slice[uint8](t, rows*dim)
			q, w := guardmem.Slice[float32](t, dim), guardmem.Slice[int16](t, dim)
			for i := range vecs {
				vecs[i], codes[i] = float32(rng.NormFloat64()), uint8(rng.Uint32())
			}
			for i := range q {
				q[i], w[i] = float32(rng.NormFloat64()), int16(rng.Uint32())
			}
			ids := guardmem.Slice[uint32](t, 7)
			copy(ids, []uint32{4, 0, 4, 3, 1, 2, 4})
			out, sums := guardmem.Slice[float32](t, len(ids)), guardmem.Slice[int64](t, len(ids))
			lv.batch(unsafe.SliceData(q), unsafe.SliceData(vecs), dim, unsafe.SliceData(ids), len(ids), unsafe.SliceData(out))
			lv.u8batch(unsafe.SliceData(w), unsafe.SliceData(codes), dim, unsafe.SliceData(ids), len(ids), unsafe.SliceData(sums))
			for i, id := range ids {
				row := vecs[int(id)*dim : int(id+1)*dim]
				if want := lv.dot(unsafe.SliceData(q), unsafe.SliceData(row), dim); out[i] != want {
					t.Fatalf("%s dotBatch dim=%d row %d: got %v, want %v", lv.name, dim, i, out[i], want)
				}
				if want := refU8(w, codes[int(id)*dim:int(id+1)*dim]); sums[i] != want {
					t.Fatalf("%s dotU8Batch dim=%d row %d: got %d, want %d", lv.name, dim, i, sums[i], want)
				}
			}
			prefetchRowsAsm(unsafe.Pointer(unsafe.SliceData(vecs)), 4*dim, unsafe.SliceData(ids), len(ids))
		}
	}
}

// TestU8ShortKernelGuarded checks the int32-lane int8 batch kernels (dim a
// multiple of 32 up to 256; AVX2 and AVX-512) against the reference on operands that end at
// an inaccessible page, at the extremes where a lane sum is largest.
func TestU8ShortKernelGuarded(t *testing.T) {
	type kernel = func(w *int16, codes *uint8, dim int, ids *uint32, n int, out *int64)
	var kernels []kernel
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		kernels = append(kernels, dotU8BatchShortAVX2)
	}
	if haveAVX512 {
		kernels = append(kernels, dotU8BatchShortAVX512)
	}
	if len(kernels) == 0 {
		t.Skip("no assembly kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for k := range len(kernels) * 8 {
		kern, dim := kernels[k/8], 32*(k%8+1)
		const rows = 6
		codes := guardmem.Slice[uint8](t, rows*dim)
		w := guardmem.Slice[int16](t, dim)
		for i := range codes {
			codes[i] = uint8(rng.Uint32())
		}
		for i := range w {
			w[i] = int16(rng.Uint32())
		}
		for _, extreme := range []int16{0, -32768, 32767} {
			if extreme != 0 {
				for i := range w {
					w[i] = extreme
				}
				for i := range codes[:2*dim] { // rows 0 and 1 all 255
					codes[i] = 255
				}
			}
			ids := guardmem.Slice[uint32](t, 8)
			copy(ids, []uint32{5, 0, 1, 3, 0, 2, 4, 5})
			sums := guardmem.Slice[int64](t, len(ids))
			kern(unsafe.SliceData(w), unsafe.SliceData(codes), dim, unsafe.SliceData(ids), len(ids), unsafe.SliceData(sums))
			for i, id := range ids {
				if want := refU8(w, codes[int(id)*dim:int(id+1)*dim]); sums[i] != want {
					t.Fatalf("kernel %d dim=%d w=%d row %d: got %d, want %d", k/8, dim, extreme, i, sums[i], want)
				}
			}
		}
	}
}

// TestKernelsNonFinite: NaN and ±Inf in any position give what the
// portable kernels give (NaN stays NaN, Inf stays Inf).
func TestKernelsNonFinite(t *testing.T) { forEachKernel(t, testKernelsNonFinite) }

func testKernelsNonFinite(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 100} {
		for pos := 0; pos < n; pos++ {
			for _, v := range []float32{nan, inf, -inf, math.Float32frombits(1)} {
				a, b := make([]float32, n), make([]float32, n)
				for i := range a {
					a[i], b[i] = 1, 0.5
				}
				a[pos] = v
				for name, pair := range map[string][2]float32{
					"dot": {dot(a, b), dotPortable(a, b)},
					"l2":  {l2sq(a, b), l2Portable(a, b)},
				} {
					got, want := pair[0], pair[1]
					if math.IsNaN(float64(want)) != math.IsNaN(float64(got)) || math.IsInf(float64(want), 0) && got != want ||
						!math.IsNaN(float64(want)) && math.Abs(float64(got-want)) > 1e-5*float64(n) {
						t.Fatalf("%s n=%d a[%d]=%v: got %v, portable %v", name, n, pos, v, got, want)
					}
				}
			}
		}
	}
}
