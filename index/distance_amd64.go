//go:build !purego

package index

import (
	"os"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The amd64 kernels are in distance_amd64.s: AVX2+FMA float32 kernels and
// an AVX2 int8 kernel (VPMOVZXBW + VPMADDWD into int32 lanes, widened to
// int64 every 1,024 elements so that any dimension sums exactly), and
// AVX-512 versions of both (F for the floats, BW for the codes; a masked
// load finishes each vector, so there is no scalar tail). They are chosen
// once, at start-up: AVX-512 where the CPU and OS support it (x/sys/cpu
// checks the ZMM state is enabled), else AVX2+FMA, else the portable Go
// kernels. The environment variable GENESTORE_INDEX_KERNEL set to "avx2"
// or "portable" caps the choice (for measuring one kernel against another
// on the same machine); it is read once, at start-up.

const (
	kernPortable = iota
	kernAVX2
	kernAVX512
)

// kern is the chosen kernel level, set once at start-up.
var kern = chooseKernel(os.Getenv("GENESTORE_INDEX_KERNEL"))

func chooseKernel(limit string) int {
	k := kernPortable
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		k = kernAVX2
		if cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW {
			k = kernAVX512
		}
	}
	switch limit {
	case "portable", "purego":
		k = kernPortable
	case "avx2":
		k = min(k, kernAVX2)
	}
	return k
}

// kernelName names the distance kernels chosen at start-up.
var kernelName = [...]string{"portable", "avx2+fma", "avx512"}[kern]

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
	switch kern {
	case kernAVX512:
		return dotAVX512(unsafe.SliceData(a), unsafe.SliceData(b), len(a))
	case kernAVX2:
		return dotAVX2(unsafe.SliceData(a), unsafe.SliceData(b), len(a))
	}
	return dotPortable(a, b)
}

// l2sq returns |a − b|²; len(b) ≥ len(a) is the caller's promise.
func l2sq(a, b []float32) float32 {
	switch kern {
	case kernAVX512:
		return l2AVX512(unsafe.SliceData(a), unsafe.SliceData(b), len(a))
	case kernAVX2:
		return l2AVX2(unsafe.SliceData(a), unsafe.SliceData(b), len(a))
	}
	return l2Portable(a, b)
}

// dotU8 returns Σ w_j·c_j exactly; len(c) ≥ len(w) is the caller's promise.
func dotU8(w []int16, c []uint8) int64 {
	switch kern {
	case kernAVX512:
		return dotU8AVX512(unsafe.SliceData(w), unsafe.SliceData(c), len(w))
	case kernAVX2:
		return dotU8AVX2(unsafe.SliceData(w), unsafe.SliceData(c), len(w))
	}
	return dotU8Portable(w, c)
}

// dotBatch sets out[i] = q·vecs[ids[i]·dim:][:dim] with dim = len(q),
// prefetching the rows first. Every row must lie inside vecs and len(out)
// must be at least len(ids): the index's links are checked on load, so ids
// are always node ids.
func dotBatch(q, vecs []float32, ids []uint32, out []float32) {
	if kern == kernPortable || len(ids) == 0 {
		dotBatchPortable(q, vecs, ids, out)
		return
	}
	_ = out[len(ids)-1]
	pq, pv, pi, po := unsafe.SliceData(q), unsafe.SliceData(vecs), unsafe.SliceData(ids), unsafe.SliceData(out)
	if kern == kernAVX512 {
		dotBatchAVX512(pq, pv, len(q), pi, len(ids), po)
		return
	}
	dotBatchAVX2(pq, pv, len(q), pi, len(ids), po)
}

// shortU8 reports whether the int32-lane int8 kernels take dimension dim:
// a positive multiple of 32 up to 256 (their loop needs a whole 32 and no
// lane can overflow there).
func shortU8(dim int) bool { return dim > 0 && dim <= 256 && dim%32 == 0 }

// dotU8Batch sets out[i] = dotU8(w, codes[ids[i]·dim:][:dim]) with
// dim = len(w), prefetching the rows first; same promises as dotBatch.
func dotU8Batch(w []int16, codes []uint8, ids []uint32, out []int64) {
	if kern == kernPortable || len(ids) == 0 {
		dotU8BatchPortable(w, codes, ids, out)
		return
	}
	_ = out[len(ids)-1]
	pw, pc, pi, po := unsafe.SliceData(w), unsafe.SliceData(codes), unsafe.SliceData(ids), unsafe.SliceData(out)
	if shortU8(len(w)) {
		// The int32-lane kernels leave prefetching to the shared routine.
		prefetchRowsAsm(unsafe.Pointer(pc), len(w), pi, len(ids))
		if kern == kernAVX512 {
			dotU8BatchShortAVX512(pw, pc, len(w), pi, len(ids), po)
		} else {
			dotU8BatchShortAVX2(pw, pc, len(w), pi, len(ids), po)
		}
		return
	}
	if kern == kernAVX512 {
		dotU8BatchAVX512(pw, pc, len(w), pi, len(ids), po)
		return
	}
	dotU8BatchAVX2(pw, pc, len(w), pi, len(ids), po)
}

// batchPrefetches reports whether dotBatch and dotU8Batch prefetch their
// rows themselves (the assembly kernels do; the caller touches them
// otherwise).
func batchPrefetches() bool { return kern != kernPortable }

//go:noescape
func dotAVX512(a, b *float32, n int) float32

//go:noescape
func l2AVX512(a, b *float32, n int) float32

//go:noescape
func dotU8AVX512(w *int16, c *uint8, n int) int64

//go:noescape
func dotBatchAVX512(q, vecs *float32, dim int, ids *uint32, n int, out *float32)

//go:noescape
func dotU8BatchAVX512(w *int16, codes *uint8, dim int, ids *uint32, n int, out *int64)

// dotU8BatchShortAVX2 is dotU8BatchAVX2 for dim a multiple of 32 up to
// 256, summed in int32 lanes (exact there; see the assembly).
//
//go:noescape
func dotU8BatchShortAVX2(w *int16, codes *uint8, dim int, ids *uint32, n int, out *int64)

// dotU8BatchShortAVX512 is dotU8BatchAVX512 for dim a multiple of 32 up
// to 256, summed in int32 lanes (exact there; see the assembly).
//
//go:noescape
func dotU8BatchShortAVX512(w *int16, codes *uint8, dim int, ids *uint32, n int, out *int64)

//go:noescape
func prefetchRowsAsm(base unsafe.Pointer, rowBytes int, ids *uint32, n int)

// prefetchRows starts loading every cache line of the rows ids of an array
// at base with rows of rowBytes bytes, where the assembly kernels run
// (batchPrefetches); it does nothing otherwise. The ids must be rows of
// the array.
func prefetchRows(base unsafe.Pointer, rowBytes int, ids []uint32) {
	if kern != kernPortable && len(ids) > 0 {
		prefetchRowsAsm(base, rowBytes, unsafe.SliceData(ids), len(ids))
	}
}
