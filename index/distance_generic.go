//go:build !(goexperiment.simd && amd64)

package index

// kernelName names the distance kernel compiled into this build.
const kernelName = "portable"

func dot(a, b []float32) float32 { return dotPortable(a, b) }
