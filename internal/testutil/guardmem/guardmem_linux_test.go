//go:build linux

package guardmem

import (
	"syscall"
	"testing"
	"unsafe"
)

// TestSliceEndsAtPage: the slice's last byte is the last byte of a page.
func TestSliceEndsAtPage(t *testing.T) {
	for _, n := range []int{0, 1, 7, 1024, 1025} {
		s := Slice[float32](t, n)
		if len(s) != n {
			t.Fatalf("len %d, want %d", len(s), n)
		}
		if n == 0 {
			continue
		}
		end := uintptr(unsafe.Pointer(&s[n-1])) + 4
		if end%uintptr(syscall.Getpagesize()) != 0 {
			t.Errorf("n %d: slice ends at %#x, not at a page boundary", n, end)
		}
	}
}
