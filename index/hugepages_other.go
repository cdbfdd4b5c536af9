//go:build !linux

package index

// adviseHuge is a no-op where transparent huge pages do not exist.
func adviseHuge[T any](s []T) {}

// collapseHuge is a no-op where transparent huge pages do not exist.
func collapseHuge[T any](s []T) {}

// CollapseHugePages is a no-op where transparent huge pages do not exist.
func CollapseHugePages(v []float32) {}
