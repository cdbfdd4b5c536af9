//go:build unix

package cputime

import (
	"syscall"
	"time"
)

// Used returns the process's CPU time so far (0 if the kernel refuses).
func Used() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
