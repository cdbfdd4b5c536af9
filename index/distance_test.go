package index

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Tolerance of the float kernels: the chosen kernel (assembly or Go) and
// the portable Go kernel sum in different orders, so they may differ by a
// few roundings of the partial sums. Both stay within (n+8)·2⁻²³ of
// Σ|aᵢbᵢ| (for dot) or of the sum itself (for squared L2) from the exact
// value; the tests check that bound against a float64 reference.
func kernelTol(n int, mag float64) float64 {
	return float64(n+8)*math.Ldexp(1, -23)*mag + 1e-30
}

// refDot returns a·b in float64 and Σ|aᵢbᵢ|.
func refDot(a, b []float32) (s, mag float64) {
	for i := range a {
		p := float64(a[i]) * float64(b[i])
		s += p
		mag += math.Abs(p)
	}
	return s, mag
}

func refL2(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return s
}

func refU8(w []int16, c []uint8) int64 {
	var s int64
	for i := range w {
		s += int64(w[i]) * int64(c[i])
	}
	return s
}

// checkFloatKernels checks dot and l2sq, chosen and portable, against the
// float64 reference for a and b.
func checkFloatKernels(t *testing.T, a, b []float32) {
	t.Helper()
	want, mag := refDot(a, b)
	tol := kernelTol(len(a), mag)
	for name, got := range map[string]float32{"dot": dot(a, b), "dotPortable": dotPortable(a, b), "Dot": Dot(a, b)} {
		if math.Abs(float64(got)-want) > tol {
			t.Fatalf("%s n=%d: got %v, want %v ± %g", name, len(a), got, want, tol)
		}
	}
	wantL2 := refL2(a, b)
	tolL2 := kernelTol(len(a), wantL2)
	for name, got := range map[string]float32{"l2sq": l2sq(a, b), "l2Portable": l2Portable(a, b), "SquaredL2": SquaredL2(a, b)} {
		// The differences themselves are rounded to float32 first.
		if math.Abs(float64(got)-wantL2) > tolL2+4*math.Ldexp(1, -24)*wantL2 {
			t.Fatalf("%s n=%d: got %v, want %v ± %g", name, len(a), got, wantL2, tolL2)
		}
	}
}

// TestKernelsAgree checks the chosen kernels against the portable Go ones
// and an exact reference on random inputs of every length 0..300, at every
// float and byte offset into the backing arrays (unaligned loads).
func TestKernelsAgree(t *testing.T) {
	t.Logf("kernel chosen at start-up: %s", Kernel())
	forEachKernel(t, testKernelsAgree)
}

func testKernelsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fa, fb := make([]float32, 320), make([]float32, 320)
	wbuf, cbuf := make([]int16, 320), make([]uint8, 320)
	for n := 0; n <= 300; n++ {
		for off := range 4 {
			for i := range fa {
				fa[i] = float32(rng.NormFloat64())
				fb[i] = float32(rng.NormFloat64() * 3)
				wbuf[i] = int16(rng.Uint32())
				cbuf[i] = uint8(rng.Uint32())
			}
			a, b := fa[off:off+n], fb[3-off:3-off+n]
			checkFloatKernels(t, a, b)
			w, c := wbuf[off:off+n], cbuf[(off*5)%16:(off*5)%16+n]
			want := refU8(w, c)
			if got := dotU8(w, c); got != want {
				t.Fatalf("dotU8 n=%d off=%d: got %d, want %d", n, off, got, want)
			}
			if got := dotU8Portable(w, c); got != want {
				t.Fatalf("dotU8Portable n=%d off=%d: got %d, want %d", n, off, got, want)
			}
		}
	}
}

// TestDotU8Extremes checks that the int8 kernel stays exact where int32
// lanes would overflow: long vectors of the largest weights and codes.
func TestDotU8Extremes(t *testing.T) { forEachKernel(t, testDotU8Extremes) }

func testDotU8Extremes(t *testing.T) {
	for _, n := range []int{1023, 1024, 1025, 2047, 2048, 2049, 4111, MaxDim} {
		for _, wv := range []int16{32767, -32768} {
			w, c := make([]int16, n), make([]uint8, n)
			for i := range w {
				w[i], c[i] = wv, 255
			}
			want := int64(n) * int64(wv) * 255
			if got := dotU8(w, c); got != want {
				t.Fatalf("n=%d w=%d: got %d, want %d", n, wv, got, want)
			}
		}
	}
}

// TestBatchKernels checks that the batch kernels give, row by row, exactly
// what the one-row kernels give.
func TestBatchKernels(t *testing.T) { forEachKernel(t, testBatchKernels) }

func testBatchKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dim := range []int{1, 7, 8, 15, 16, 31, 32, 33, 64, 96, 100, 129, 256, 288} {
		rows := 50
		vecs := make([]float32, rows*dim)
		codes := make([]uint8, rows*dim)
		for i := range vecs {
			vecs[i] = float32(rng.NormFloat64())
			codes[i] = uint8(rng.Uint32())
		}
		q := make([]float32, dim)
		w := make([]int16, dim)
		for i := range q {
			q[i] = float32(rng.NormFloat64())
			w[i] = int16(rng.Uint32())
		}
		for _, nids := range []int{0, 1, 2, 17, 32} {
			ids := make([]uint32, nids)
			for i := range ids {
				ids[i] = uint32(rng.IntN(rows))
			}
			out := make([]float32, nids)
			sums := make([]int64, nids)
			dotBatch(q, vecs, ids, out)
			dotU8Batch(w, codes, ids, sums)
			for i, id := range ids {
				o := int(id) * dim
				if want := dot(q, vecs[o:o+dim]); out[i] != want {
					t.Fatalf("dotBatch dim=%d row %d: got %v, want %v", dim, i, out[i], want)
				}
				if want := dotU8(w, codes[o:o+dim]); sums[i] != want {
					t.Fatalf("dotU8Batch dim=%d row %d: got %d, want %d", dim, i, sums[i], want)
				}
			}
		}
	}
}

// FuzzKernels feeds the kernels vectors made from arbitrary bytes (each
// float from a byte pair, kept finite and moderate) and an offset.
func FuzzKernels(f *testing.F) {
	f.Add([]byte{}, uint8(0))
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, uint8(1))
	seed := make([]byte, 600)
	for i := range seed {
		seed[i] = byte(i * 131)
	}
	f.Add(seed, uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, off uint8) {
		forEachKernel(t, func(t *testing.T) { fuzzKernels(t, data, off) })
	})
}

func fuzzKernels(t *testing.T, data []byte, off uint8) {
	o := int(off % 4)
	n := len(data) / 4
	a, b := make([]float32, n+o), make([]float32, n+o)
	w, c := make([]int16, n+o), make([]uint8, n+o)
	for i := range n {
		x, y := data[4*i], data[4*i+1]
		a[o+i] = float32(int8(x)) * float32(math.Ldexp(1, int(y%16)-8))
		b[o+i] = float32(int8(data[4*i+2])) / 7
		w[o+i] = int16(uint16(x) | uint16(data[4*i+3])<<8)
		c[o+i] = data[4*i+2]
	}
	checkFloatKernels(t, a[o:], b[o:])
	if got, want := dotU8(w[o:], c[o:]), refU8(w[o:], c[o:]); got != want {
		t.Fatalf("dotU8 n=%d: got %d, want %d", n, got, want)
	}
}
