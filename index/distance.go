package index

import "math"

// This file holds the portable Go distance kernels. They are the reference
// that the assembly kernels (distance_amd64.s) are tested against, and the
// kernels used on other CPUs and under the purego build tag
// (distance_other.go). The per-architecture files define dot, l2sq, dotU8,
// dotBatch, dotU8Batch and kernelName on top of these.

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

// l2Portable is the pure-Go squared Euclidean distance, laid out like
// dotPortable. len(b) must be at least len(a).
func l2Portable(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+8 <= n; i += 8 {
		aa := a[i : i+8 : i+8]
		bb := b[i : i+8 : i+8]
		d0, d1, d2, d3 := aa[0]-bb[0], aa[1]-bb[1], aa[2]-bb[2], aa[3]-bb[3]
		d4, d5, d6, d7 := aa[4]-bb[4], aa[5]-bb[5], aa[6]-bb[6], aa[7]-bb[7]
		s0 += d0*d0 + d4*d4
		s1 += d1*d1 + d5*d5
		s2 += d2*d2 + d6*d6
		s3 += d3*d3 + d7*d7
	}
	for ; i < n; i++ {
		d := a[i] - b[i]
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// dotU8Portable returns Σ w_j·c_j for int16 weights w and uint8 codes c
// (the Int8 query form, see Index.query) in exact integer arithmetic. len(c)
// must be at least len(w).
func dotU8Portable(w []int16, c []uint8) int64 {
	n := len(w)
	c = c[:n]
	var s0, s1 int64
	i := 0
	for ; i+8 <= n; i += 8 {
		ww := w[i : i+8 : i+8]
		cc := c[i : i+8 : i+8]
		s0 += int64(int32(ww[0])*int32(cc[0]) + int32(ww[2])*int32(cc[2]) + int32(ww[4])*int32(cc[4]) + int32(ww[6])*int32(cc[6]))
		s1 += int64(int32(ww[1])*int32(cc[1]) + int32(ww[3])*int32(cc[3]) + int32(ww[5])*int32(cc[5]) + int32(ww[7])*int32(cc[7]))
	}
	for ; i < n; i++ {
		s0 += int64(w[i]) * int64(c[i])
	}
	return s0 + s1
}

// dotBatchPortable sets out[i] to the inner product of q with row ids[i] of
// vecs (rows of len(q) floats).
func dotBatchPortable(q, vecs []float32, ids []uint32, out []float32) {
	dim := len(q)
	out = out[:len(ids)]
	for i, id := range ids {
		o := int(id) * dim
		out[i] = dotPortable(q, vecs[o:o+dim:o+dim])
	}
}

// dotU8BatchPortable sets out[i] to dotU8Portable of w with row ids[i] of
// codes (rows of len(w) codes).
func dotU8BatchPortable(w []int16, codes []uint8, ids []uint32, out []int64) {
	dim := len(w)
	out = out[:len(ids)]
	for i, id := range ids {
		o := int(id) * dim
		out[i] = dotU8Portable(w, codes[o:o+dim:o+dim])
	}
}

// Dot returns the inner product of a and b, using the fastest kernel this
// build and CPU have (see Kernel). It panics if len(b) < len(a).
func Dot(a, b []float32) float32 {
	_ = b[:len(a)]
	return dot(a, b)
}

// SquaredL2 returns the squared Euclidean distance between a and b, using
// the fastest kernel this build and CPU have (see Kernel). The index itself
// ranks by inner products (both metrics are 1 − a·b); SquaredL2 is for
// callers that need Euclidean distances. It panics if len(b) < len(a).
func SquaredL2(a, b []float32) float32 {
	_ = b[:len(a)]
	return l2sq(a, b)
}

// Kernel names the distance kernels this build chose at start-up:
// "avx512" (amd64 assembly, AVX-512F/BW), "avx2+fma" (amd64 assembly) or
// "portable" (Go; other CPUs, or built with -tags purego).
func Kernel() string { return kernelName }

// normalize scales v to unit L2 norm in place and reports whether it could
// (a zero vector cannot be normalised).
func normalize(v []float32) bool {
	s := sumSquares(v)
	if !normalizableSum(s) {
		return false
	}
	inv := 1 / math.Sqrt(s)
	if f := float32(inv); !math.IsInf(float64(f), 0) {
		for i := range v {
			v[i] *= f
		}
		return true
	}
	// 1/√s of a subnormal vector overflows float32: scale in float64
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
	return true
}

// normalizable reports whether v can be scaled to unit length: not zero
// and with a finite norm.
func normalizable(v []float32) bool { return normalizableSum(sumSquares(v)) }

func normalizableSum(s float64) bool { return s != 0 && !math.IsInf(s, 0) && !math.IsNaN(s) }

// sumSquares is ‖v‖² in float64.
func sumSquares(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return s
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
