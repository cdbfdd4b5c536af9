//go:build !unix

package store

// removeUnlocked cannot tell here whether another process has path open,
// so it removes nothing.
func removeUnlocked(path string) bool { return false }
