//go:build !unix

package query_test

// cpuSeconds is unavailable here; CPU figures read 0.
func cpuSeconds() float64 { return 0 }
