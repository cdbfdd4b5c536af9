//go:build !unix

package cluster

// cpuSeconds is not measured off unix; benchmarks then report 0 CPU seconds.
func cpuSeconds() float64 { return 0 }
