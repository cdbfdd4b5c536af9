package index

import (
	"syscall"
	"unsafe"
)

// hugeMin is the smallest array worth backing with transparent huge pages.
const hugeMin = 4 << 20

// adviseHuge asks Linux to back the memory of s with transparent huge
// pages (madvise MADV_HUGEPAGE), when it is large. Searches touch vectors
// and links at random, so with 4 KiB pages nearly every access also misses
// the TLB; 2 MiB pages cut those misses. It is only a hint: errors are
// ignored, and where THP is "never" it does nothing. Call it before the
// memory is first written so the pages are faulted in huge.
func adviseHuge[T any](s []T) {
	if cap(s) == 0 {
		return
	}
	size := uintptr(cap(s)) * unsafe.Sizeof(s[:1][0])
	if size < hugeMin {
		return
	}
	const page = 4096
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), size)
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (page - start%page) % page
	hi := (start + size) &^ (page - 1)
	if start+lo >= hi {
		return
	}
	b = b[lo : hi-start]
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE)
}
