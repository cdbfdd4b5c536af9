//go:build unix

package store

import (
	"os"
	"syscall"
)

// removeUnlocked removes path unless a process holds a lock on it: bbolt
// holds one (flock) on every file it has open, so a live writer's file, or
// an open store, is left alone. It reports whether path was removed.
func removeUnlocked(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return false
	}
	return os.Remove(path) == nil // the lock goes with the close
}
