//go:build goexperiment.simd && amd64

package index

import "simd/archsimd"

// kernelName names the distance kernel compiled into this build.
var kernelName = func() string {
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		return "avx2+fma"
	}
	return "portable"
}()

var haveAVX2 = archsimd.X86.AVX2() && archsimd.X86.FMA()

func dot(a, b []float32) float32 {
	if !haveAVX2 || len(a) < 16 {
		return dotPortable(a, b)
	}
	return dotAVX2(a, b)
}

// dotAVX2 computes the inner product 8 lanes at a time with two
// accumulators, then finishes the tail in scalar code.
func dotAVX2(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var acc0, acc1 archsimd.Float32x8
	i := 0
	for ; i+16 <= n; i += 16 {
		x0 := archsimd.LoadFloat32x8Slice(a[i:])
		y0 := archsimd.LoadFloat32x8Slice(b[i:])
		x1 := archsimd.LoadFloat32x8Slice(a[i+8:])
		y1 := archsimd.LoadFloat32x8Slice(b[i+8:])
		acc0 = x0.MulAdd(y0, acc0)
		acc1 = x1.MulAdd(y1, acc1)
	}
	for ; i+8 <= n; i += 8 {
		acc0 = archsimd.LoadFloat32x8Slice(a[i:]).MulAdd(archsimd.LoadFloat32x8Slice(b[i:]), acc0)
	}
	h := acc0.Add(acc1)
	v := h.GetLo().Add(h.GetHi())
	v = v.AddPairs(v)
	v = v.AddPairs(v)
	s := v.GetElem(0)
	// Leave no dirty upper YMM state for the scalar SSE code that follows.
	archsimd.ClearAVXUpperBits()
	for ; i < n; i++ {
		s += a[i] * b[i]
	}
	return s
}
