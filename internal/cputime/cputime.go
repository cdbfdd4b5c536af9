// Package cputime reads this process's CPU time (user + system, all
// threads). Benchmarks report rates per CPU-second beside wall-clock ones:
// on a shared machine the CPU figure is the one other processes disturb
// least.
package cputime

// Seconds returns the process's CPU time so far in seconds (0 where the
// platform does not report it).
func Seconds() float64 { return Used().Seconds() }
