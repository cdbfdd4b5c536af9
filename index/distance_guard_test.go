//go:build linux && amd64 && !purego

package index

import (
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// guarded returns a slice of n T whose backing memory ends exactly at a
// page followed by an inaccessible page, so a kernel that reads or writes
// one element past the end faults.
func guarded[T any](t *testing.T, n int) []T {
	t.Helper()
	var z T
	size := int(unsafe.Sizeof(z)) * n
	page := syscall.Getpagesize()
	data := max(page, (size+page-1)/page*page)
	mem, err := syscall.Mmap(-1, 0, data+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[data:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(mem[data-size:]))), n)
}

// TestAsmKernelsGuarded calls every assembly kernel this CPU has directly,
// on operands that end at an inaccessible page, for every length 0..160
// and some long ones, and compares with the portable kernels.
func TestAsmKernelsGuarded(t *testing.T) {
	type fk = func(a, b *float32, n int) float32
	type uk = func(w *int16, c *uint8, n int) int64
	var levels []struct {
		name    string
		dot, l2 fk
		u8      uk
		batch   func(q, vecs *float32, dim int, ids *uint32, n int, out *float32)
		u8batch func(w *int16, codes *uint8, dim int, ids *uint32, n int, out *int64)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		levels = append(levels, struct {
			name    string
			dot, l2 fk
			u8      uk
			batch   func(q, vecs *float32, dim int, ids *uint32, n int, out *float32)
			u8batch func(w *int16, codes *uint8, dim int, ids *uint32, n int, out *int64)
		}{"avx2", dotAVX2, l2AVX2, dotU8AVX2, dotBatchAVX2, dotU8BatchAVX2})
	}
	if haveAVX512 {
		levels = append(levels, struct {
			name    string
			dot, l2 fk
			u8      uk
			batch   func(q, vecs *float32, dim int, ids *uint32, n int, out *float32)
			u8batch func(w *int16, codes *uint8, dim int, ids *uint32, n int, out *int64)
		}{"avx512", dotAVX512, l2AVX512, dotU8AVX512, dotBatchAVX512, dotU8BatchAVX512})
	}
	if len(levels) == 0 {
		t.Skip("no assembly kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	lengths := seq(0, 160)
	lengths = append(lengths, 255, 256, 257, 1023, 1024, 1025, 1039, 2049, 4096, 4111)
	for _, lv := range levels {
		for _, n := range lengths {
			a, b := guarded[float32](t, n), guarded[float32](t, n)
			w, c := guarded[int16](t, n), guarded[uint8](t, n)
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
			vecs, codes := guarded[float32](t, rows*dim), guarded[uint8](t, rows*dim)
			q, w := guarded[float32](t, dim), guarded[int16](t, dim)
			for i := range vecs {
				vecs[i], codes[i] = float32(rng.NormFloat64()), uint8(rng.Uint32())
			}
			for i := range q {
				q[i], w[i] = float32(rng.NormFloat64()), int16(rng.Uint32())
			}
			ids := guarded[uint32](t, 7)
			copy(ids, []uint32{4, 0, 4, 3, 1, 2, 4})
			out, sums := guarded[float32](t, len(ids)), guarded[int64](t, len(ids))
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
