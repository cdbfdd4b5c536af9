//go:build unix

package store

import (
	"errors"
	"syscall"
)

// pidAlive reports whether process pid exists (signal 0 probes without
// sending).
func pidAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
