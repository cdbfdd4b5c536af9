package index

import (
	"os"
	"strings"
	"sync"
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
	if b := alignedBytes(s, 4096); b != nil {
		_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE)
	}
}

// alignedBytes is the part of s's memory (its capacity) that starts and
// ends on an align boundary, or nil when s is under hugeMin bytes or holds
// no whole aligned block.
func alignedBytes[T any](s []T, align uintptr) []byte {
	if cap(s) == 0 {
		return nil
	}
	size := uintptr(cap(s)) * unsafe.Sizeof(s[:1][0])
	if size < hugeMin {
		return nil
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	lo := (align - start%align) % align
	hi := (start + size) &^ (align - 1)
	if start+lo >= hi {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), size)[lo : hi-start]
}

// madvCollapse is Linux's MADV_COLLAPSE (6.1 on).
const madvCollapse = 25

// thpNever reports whether transparent huge pages are switched off
// system-wide. MADV_COLLAPSE ignores that setting; collapseHuge honours it.
var thpNever = sync.OnceValue(func() bool {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	return err == nil && strings.Contains(string(b), "[never]")
})

// collapseHuge is adviseHuge for memory already written: it also asks the
// kernel to collapse the whole 2 MiB pages of the range into huge pages now
// (MADV_COLLAPSE), which copies them once, rather than whenever khugepaged
// gets to them. Measured at 1M × 64, ef 80, one configuration per process
// (bench ann-ab's code; a binary with the collapse switched off
// interleaved with one with it on, 4 pairs): float32 0.99× (0.98, 0.88,
// 1.06, 1.01: its own vectors gain nothing measurable), int8 packed with
// a re-rank window of 20 1.10× (1.18, 1.45, 1.02, 0.98), whose re-rank
// reads float vectors at random; load time unchanged. The call
// is synchronous and may itself compact memory to find huge pages (the Go
// runtime stopped using it for that reason, golang/go#63334): on a
// fragmented machine a load can take longer, once. It does nothing where
// THP is "never" (MADV_COLLAPSE alone would ignore that). Errors are
// ignored: kernels before 6.1 refuse the call and khugepaged collapses the
// range later, as after adviseHuge.
func collapseHuge[T any](s []T) {
	adviseHuge(s)
	if thpNever() {
		return
	}
	if b := alignedBytes(s, 2<<20); b != nil {
		_ = syscall.Madvise(b, madvCollapse)
	}
}

// CollapseHugePages backs the float vectors v with transparent huge pages
// at once, as the index does with its own arrays when it loads a snapshot:
// for a caller that keeps, in memory, the float vectors an Int8 index
// re-ranks from (SearchOptions.Floats through VectorViews), whose reads are
// otherwise TLB misses on 4 KiB pages. Only whole 2 MiB pages inside v are
// touched; a no-op for under 4 MiB, where THP is "never", and off Linux.
func CollapseHugePages(v []float32) { collapseHuge(v) }
