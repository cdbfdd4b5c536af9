//go:build linux && amd64 && !purego

package vae

import (
	"math"
	"math/rand/v2"
	"testing"

	"genestore/internal/testutil/guardmem"
)

func near(got, want, rel, abs float64) bool {
	return math.Abs(got-want) <= rel*math.Abs(want)+abs
}

// TestExpShiftSumGuarded compares expShiftSum with fastExp for every
// multiple of 8 up to 256, operands ending at an inaccessible page.
func TestExpShiftSumGuarded(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("no AVX2+FMA")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 8; n <= 256; n += 8 {
		src, dst := guardmem.Slice[float32](t, n), guardmem.Slice[float32](t, n)
		mx := float32(math.Inf(-1))
		for i := range src {
			src[i] = float32(rng.NormFloat64() * 10)
			mx = max(mx, src[i])
		}
		got := expShiftSum(n, &src[0], &dst[0], mx)
		want := 0.0
		for i, v := range src {
			e := fastExp(float64(v - mx))
			want += e
			if !near(float64(dst[i]), e, 1e-6, 2e-38) {
				t.Fatalf("n=%d: dst[%d] = %g, want %g", n, i, dst[i], e)
			}
		}
		if !near(float64(got), want, 1e-5, 0) {
			t.Fatalf("n=%d: sum %g, want %g", n, got, want)
		}
	}
}

// TestExpShiftSumNaN: a NaN argument gives NaN, as fastExp does, in every
// lane (VMAXPS returns its second source when either is NaN, so the clamp
// once replaced NaN by the clamp value and exp(NaN) came out as 1e-38).
func TestExpShiftSumNaN(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("no AVX2+FMA")
	}
	nan := float32(math.NaN())
	if e := fastExp(float64(nan)); !math.IsNaN(e) {
		t.Fatalf("fastExp(NaN) = %v", e)
	}
	for lane := range 16 {
		src, dst := make([]float32, 16), make([]float32, 16)
		src[lane] = nan
		s := expShiftSum(16, &src[0], &dst[0], 0)
		if !math.IsNaN(float64(dst[lane])) || !math.IsNaN(float64(s)) {
			t.Fatalf("lane %d: exp(NaN) = %v, sum %v; want NaN", lane, dst[lane], s)
		}
		for i, v := range dst {
			if i != lane && v != 1 {
				t.Fatalf("lane %d: exp(0) = %v at %d", lane, v, i)
			}
		}
	}
	// a NaN shift (the max of a row holding a NaN) as well
	src, dst := make([]float32, 8), make([]float32, 8)
	if s := expShiftSum(8, &src[0], &dst[0], nan); !math.IsNaN(float64(s)) {
		t.Fatalf("shift NaN: sum %v, want NaN", s)
	}
}

// TestNbRowGuarded compares nbRow with the float64 formulas of nbCell's
// scalar tail, operands ending at an inaccessible page.
func TestNbRowGuarded(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("no AVX2+FMA")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 8; n <= 200; n += 8 {
		l, x, th, lth, drow, dacc := guardmem.Slice[float32](t, n), guardmem.Slice[float32](t, n), guardmem.Slice[float32](t, n), guardmem.Slice[float32](t, n), guardmem.Slice[float32](t, n), guardmem.Slice[float32](t, n)
		l0 := make([]float32, n)
		s := 0.0
		for i := range n {
			l0[i] = float32(rng.NormFloat64())
			lth[i] = float32(rng.NormFloat64() * 2)
			th[i] = float32(math.Exp(float64(lth[i])))
			if rng.IntN(3) == 0 {
				x[i] = float32(rng.IntN(30))
			}
			drow[i] = float32(math.Exp(float64(l0[i])))
			s += float64(drow[i])
			dacc[i] = float32(rng.NormFloat64())
		}
		copy(l, l0)
		e := append([]float32(nil), drow...)
		d0 := append([]float32(nil), dacc...)
		lib := 100 + rng.Float64()*5000
		cst := math.Log(lib) - math.Log(s)
		a := nbArgs{invS: float32(1 / s), lib: float32(lib), cst: float32(cst), negScale: -0.5}
		nbRow(n, &l[0], &x[0], &th[0], &lth[0], &drow[0], &dacc[0], &a)
		ll, sumR, llMag, rMag := 0.0, 0.0, 0.0, 0.0
		for g := range n {
			rho := float64(e[g]) * float64(a.invS)
			mu := float64(a.lib) * rho
			tt := float64(th[g]) + mu
			lt := math.Log(tt)
			xv := float64(x[g])
			ll += float64(th[g])*(float64(lth[g])-lt) + xv*(float64(a.cst)+float64(l0[g])-lt)
			llMag += float64(th[g])*(math.Abs(float64(lth[g]))+math.Abs(lt)) + xv*(math.Abs(float64(a.cst))+math.Abs(float64(l0[g]))+math.Abs(lt))
			r := xv - (float64(th[g])+xv)*mu/tt
			sumR += r
			rMag += xv + (float64(th[g])+xv)*mu/tt
			dth := float64(lth[g]) - lt + (mu-xv)/tt
			wd := float64(d0[g]) + float64(a.negScale)*float64(th[g])*dth
			// float32 rounding of each term (the terms of dθ cancel)
			dtol := 1e-6 * (math.Abs(float64(d0[g])) + float64(th[g])*(math.Abs(float64(lth[g]))+math.Abs(lt)+math.Abs(mu-xv)/tt+1))
			if !near(float64(drow[g]), r, 1e-5, 1e-5) || !near(float64(l[g]), rho, 1e-6, 1e-12) || !near(float64(dacc[g]), wd, 0, dtol) {
				t.Fatalf("n=%d g=%d: r %g want %g, ρ %g want %g, dacc %g want %g", n, g, drow[g], r, l[g], rho, dacc[g], wd)
			}
		}
		if !near(float64(a.ll), ll, 0, 1e-6*llMag) || !near(float64(a.sumR), sumR, 0, 1e-6*rMag) {
			t.Fatalf("n=%d: ll %g want %g, sumR %g want %g", n, a.ll, ll, a.sumR, sumR)
		}
	}
}

// TestNbRowZeroCountInfLogit: a gene whose logit is −∞ (its e is 0) and
// whose count is 0 adds nothing to the likelihood, as in nbCell's scalar
// tail, which skips x·(…) at x = 0; 0·(−∞) used to make the sum NaN.
func TestNbRowZeroCountInfLogit(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("no AVX2+FMA")
	}
	const n = 8
	l, x, th, lth, drow, dacc := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	s := 0.0
	for i := range n {
		l[i] = float32(i) / 4
		x[i] = float32(i % 3)
		th[i] = 2
		lth[i] = float32(math.Log(2))
		drow[i] = float32(math.Exp(float64(l[i])))
	}
	l[5], x[5], drow[5] = float32(math.Inf(-1)), 0, 0
	for _, e := range drow {
		s += float64(e)
	}
	a := nbArgs{invS: float32(1 / s), lib: 1000, cst: float32(math.Log(1000) - math.Log(s)), negScale: -1}
	l0 := append([]float32(nil), l...)
	nbRow(n, &l[0], &x[0], &th[0], &lth[0], &drow[0], &dacc[0], &a)
	want := 0.0
	for g := range n {
		mu := 1000 * float64(math.Exp(float64(l0[g]))) / s
		lt := math.Log(2 + mu)
		want += 2 * (math.Log(2) - lt)
		if x[g] != 0 {
			want += float64(x[g]) * (float64(a.cst) + float64(l0[g]) - lt)
		}
	}
	if math.IsNaN(float64(a.ll)) || !near(float64(a.ll), want, 1e-4, 1e-5) {
		t.Fatalf("ll %v, want %v", a.ll, want)
	}
	if math.IsNaN(float64(a.sumR)) {
		t.Fatalf("sumR NaN")
	}
}
