//go:build !purego

package index

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The amd64 kernels are in distance_amd64.s: AVX2+FMA float32 kernels and
// an AVX2 int8 kernel (VPMOVZXBW + VPMADDWD into int32 lanes, widened to
// int64 every 1,024 elements so that any dimension sums exactly). They are
// chosen once, at start-up, when the CPU (and the OS, for the YMM state)
// supports AVX2 and FMA; otherwise the portable Go kernels run.

// useAVX2 is set once at start-up and never changed.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kernelName names the distance kernels chosen at start-up.
var kernelName = func() string {
	if useAVX2 {
		return "avx2+fma"
	}
	return "portable"
}()

//go:noescape
func dotAVX2(a, b *float32, n int) float32

//go:noescape
func l2AVX2(a, b *float32, n int) float32

//go:noescape
func dotU8AVX2(w *int16, c *uint8, n int) int64

//go:noescape
func dotBatchAVX2(q, vecs *float32, dim int, ids *uint32, n int, out *float32)

//go:noescape
func dotU8BatchAVX2(w *int16, codes *uint8, dim int, ids *uint32, n int, out *int64)

// dot returns a·b; len(b) ≥ len(a) is the caller's promise.
func dot(a, b []float32) float32 {
	if !useAVX2 {
		return dotPortable(a, b)
	}
	return dotAVX2(unsafe.SliceData(a), unsafe.SliceData(b), len(a))
}

// l2sq returns |a − b|²; len(b) ≥ len(a) is the caller's promise.
func l2sq(a, b []float32) float32 {
	if !useAVX2 {
		return l2Portable(a, b)
	}
	return l2AVX2(unsafe.SliceData(a), unsafe.SliceData(b), len(a))
}

// dotU8 returns Σ w_j·c_j exactly; len(c) ≥ len(w) is the caller's promise.
func dotU8(w []int16, c []uint8) int64 {
	if !useAVX2 {
		return dotU8Portable(w, c)
	}
	return dotU8AVX2(unsafe.SliceData(w), unsafe.SliceData(c), len(w))
}

// dotBatch sets out[i] = q·vecs[ids[i]·dim:][:dim] with dim = len(q),
// prefetching the rows first. Every row must lie inside vecs and len(out)
// must be at least len(ids): the index's links are checked on load, so ids
// are always node ids.
func dotBatch(q, vecs []float32, ids []uint32, out []float32) {
	if !useAVX2 || len(ids) == 0 {
		dotBatchPortable(q, vecs, ids, out)
		return
	}
	_ = out[len(ids)-1]
	dotBatchAVX2(unsafe.SliceData(q), unsafe.SliceData(vecs), len(q), unsafe.SliceData(ids), len(ids), unsafe.SliceData(out))
}

// dotU8Batch sets out[i] = dotU8(w, codes[ids[i]·dim:][:dim]) with
// dim = len(w), prefetching the rows first; same promises as dotBatch.
func dotU8Batch(w []int16, codes []uint8, ids []uint32, out []int64) {
	if !useAVX2 || len(ids) == 0 {
		dotU8BatchPortable(w, codes, ids, out)
		return
	}
	_ = out[len(ids)-1]
	dotU8BatchAVX2(unsafe.SliceData(w), unsafe.SliceData(codes), len(w), unsafe.SliceData(ids), len(ids), unsafe.SliceData(out))
}

// batchPrefetches reports whether dotBatch and dotU8Batch prefetch their
// rows themselves (the assembly kernels do; the caller touches them
// otherwise).
func batchPrefetches() bool { return useAVX2 }
