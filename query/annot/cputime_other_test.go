//go:build !unix

package annot

// cpuSeconds is not measured off unix; benchmarks then report 0 CPU seconds.
func cpuSeconds() float64 { return 0 }
