//go:build linux

package guardmem

import (
	"syscall"
	"testing"
	"unsafe"
)

// Slice returns n T whose backing memory ends exactly at a page followed
// by an inaccessible one; it is unmapped when t's test ends.
func Slice[T any](t testing.TB, n int) []T {
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
