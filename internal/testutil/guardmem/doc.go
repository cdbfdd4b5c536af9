// Package guardmem gives tests slices whose backing memory ends exactly at
// an inaccessible page, so an assembly kernel that reads or writes one
// element past the end faults instead of passing unnoticed (Linux only:
// it maps anonymous memory with syscall.Mmap and protects the page after
// it with PROT_NONE).
package guardmem
