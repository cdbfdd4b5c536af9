//go:build purego || !amd64

package index

import "unsafe"

// kernelName names the distance kernels compiled into this build.
const kernelName = "portable"

func dot(a, b []float32) float32       { return dotPortable(a, b) }
func l2sq(a, b []float32) float32      { return l2Portable(a, b) }
func dotU8(w []int16, c []uint8) int64 { return dotU8Portable(w, c) }
func dotBatch(q, vecs []float32, ids []uint32, out []float32) {
	dotBatchPortable(q, vecs, ids, out)
}
func dotU8Batch(w []int16, codes []uint8, ids []uint32, out []int64) {
	dotU8BatchPortable(w, codes, ids, out)
}

// batchPrefetches reports whether dotBatch and dotU8Batch prefetch their
// rows themselves (the portable kernels do not; the caller touches them).
func batchPrefetches() bool { return false }

// prefetchRows does nothing: Go has no prefetch instruction (see
// batchPrefetches).
func prefetchRows(base unsafe.Pointer, rowBytes int, ids []uint32) {}
