package index

import "math"

// dotPortable is the pure-Go inner product: four independent accumulators
// over blocks of 8, which lets the CPU overlap the multiply-adds (Go does not
// auto-vectorise). len(b) must be at least len(a).
func dotPortable(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+8 <= n; i += 8 {
		aa := a[i : i+8 : i+8]
		bb := b[i : i+8 : i+8]
		s0 += aa[0]*bb[0] + aa[4]*bb[4]
		s1 += aa[1]*bb[1] + aa[5]*bb[5]
		s2 += aa[2]*bb[2] + aa[6]*bb[6]
		s3 += aa[3]*bb[3] + aa[7]*bb[7]
	}
	for ; i < n; i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// Dot returns the inner product of a and b, using the fastest kernel this
// build has (see distance_simd.go). It panics if len(b) < len(a).
func Dot(a, b []float32) float32 { return dot(a, b) }

// normalize scales v to unit L2 norm in place and reports whether it could
// (a zero vector cannot be normalised).
func normalize(v []float32) bool {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 || math.IsInf(s, 0) || math.IsNaN(s) {
		return false
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
	return true
}

// finite reports whether every element of v is a finite number (exponent
// bits not all ones).
func finite(v []float32) bool {
	for _, x := range v {
		if math.Float32bits(x)&0x7f800000 == 0x7f800000 {
			return false
		}
	}
	return true
}

// Kernel names the inner-product kernel compiled into this build:
// "portable" (unrolled Go) or "avx2+fma" (built with GOEXPERIMENT=simd on
// amd64 and run on a CPU that has both).
func Kernel() string { return kernelName }
