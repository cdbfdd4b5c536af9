package sim

import (
	"math"
	"math/rand/v2"
)

// Stream purposes: every random decision draws from a PCG stream named by
// (Seed, purpose, dataset, block), so data do not depend on the order or the
// number of goroutines that generate them.
const (
	streamGenes    = 1 // gene universe: modules, base rates, loadings, dispersions
	streamTypes    = 2 // cell-type programs
	streamDataset  = 3 // per-dataset structure: genes measured, rewiring, batch factors
	streamCells    = 4 // per-block cells
	streamDatasets = 5 // assignment of non-shared genes to datasets
)

// splitmix64 is the SplitMix64 finaliser, used to derive well-mixed seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// newStream returns the PCG generator for (seed, purpose, a, b).
func newStream(seed, purpose, a, b uint64) *rand.Rand {
	h := splitmix64(seed)
	h = splitmix64(h ^ purpose)
	h = splitmix64(h ^ a)
	h = splitmix64(h ^ b)
	return rand.New(rand.NewPCG(h, splitmix64(h^0x5eed)))
}

// gammaSampler draws Gamma(shape, 1) variates by Marsaglia and Tsang's
// method (ACM TOMS 26(3), 2000); shapes below 1 use the boost
// Gamma(k) = Gamma(k+1)·U^(1/k). Constants are precomputed per shape.
type gammaSampler struct {
	shape float64
	d, c  float64 // Marsaglia–Tsang constants for shape' = shape (+1 if shape < 1)
	invK  float64 // 1/shape when boosting, else 0
}

func newGammaSampler(shape float64) gammaSampler {
	g := gammaSampler{shape: shape}
	k := shape
	if k < 1 {
		g.invK = 1 / k
		k++
	}
	g.d = k - 1.0/3
	g.c = 1 / math.Sqrt(9*g.d)
	return g
}

// sample returns one Gamma(shape, 1) variate.
func (g *gammaSampler) sample(r *rand.Rand) float64 {
	var x, v float64
	for {
		for {
			x = r.NormFloat64()
			v = 1 + g.c*x
			if v > 0 {
				break
			}
		}
		v = v * v * v
		u := r.Float64()
		x2 := x * x
		if u < 1-0.0331*x2*x2 {
			break
		}
		if u > 0 && math.Log(u) < 0.5*x2+g.d*(1-v+math.Log(v)) {
			break
		}
	}
	out := g.d * v
	if g.invK != 0 {
		u := r.Float64()
		for u == 0 {
			u = r.Float64()
		}
		out *= math.Pow(u, g.invK)
	}
	return out
}

// poissonInversionLimit is the mean below which Poisson variates are drawn
// by sequential inversion; above it, by PTRS.
const poissonInversionLimit = 10

// poisson returns one Poisson(lambda) variate. Small means use inversion by
// sequential search (one uniform, O(lambda) steps); larger means use
// Hörmann's transformed rejection with squeeze (PTRS, Insurance: Mathematics
// and Economics 12, 1993), the method NumPy uses.
func poisson(r *rand.Rand, lambda float64) int64 {
	if !(lambda > 0) {
		return 0
	}
	if lambda < poissonInversionLimit {
		u := r.Float64()
		if u <= expLowerBound(lambda) { // u ≤ P(0) = e^-λ: zero without computing e^-λ
			return 0
		}
		p := math.Exp(-lambda)
		s := p
		var k int64
		for u > s {
			k++
			p *= lambda / float64(k)
			if p == 0 || k > 1000 {
				break
			}
			s += p
		}
		return k
	}
	slam := math.Sqrt(lambda)
	loglam := math.Log(lambda)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invalpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := r.Float64() - 0.5
		v := r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + lambda + 0.43)
		if us >= 0.07 && v <= vr {
			return countOf(k)
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invalpha)-math.Log(a/(us*us)+b) <= -lambda+k*loglam-lg {
			return countOf(k)
		}
	}
}

// countOf converts a non-negative whole count to int64, saturating at
// math.MaxInt64: a conversion of 2^63 or more is implementation-defined
// (math.MinInt64 on amd64), which would turn a huge count into a negative
// one.
func countOf(k float64) int64 {
	if k >= 1<<63 {
		return math.MaxInt64
	}
	return int64(k)
}

// expLowerBound returns 1 - x + x²/2 - x³/6, a lower bound of e^-x for
// every x ≥ 0: Taylor's remainder after the cubic term, e^-ξ·x⁴/24, is
// positive. It lets samplers return 0 without a transcendental call when
// the uniform draw is below it.
func expLowerBound(x float64) float64 {
	return 1 - x*(1-x*(0.5-x*(1.0/6)))
}

// nbInversionLimit is the mean below which negative-binomial counts are
// drawn by inversion; above it, as a gamma–Poisson mixture.
const nbInversionLimit = 10

// nbSampler draws negative-binomial counts with mean mu and dispersion phi
// (variance mu + phi·mu²), k = 1/phi. Means below nbInversionLimit use
// inversion by sequential search over the pmf, P(0) = (k/(k+mu))^k and
// P(n+1) = P(n)·(n+k)/(n+1)·mu/(k+mu), skipping the pmf when the uniform
// draw is below a cheap lower bound of P(0); larger means use the gamma–Poisson mixture
// Poisson(mu·G/k), G ~ Gamma(k, 1). phi = 0 gives Poisson(mu).
type nbSampler struct {
	gamma   gammaSampler
	k       float64
	poisson bool // phi == 0
}

func newNBSampler(phi float64) nbSampler {
	if phi <= 0 {
		return nbSampler{poisson: true}
	}
	return nbSampler{gamma: newGammaSampler(1 / phi), k: 1 / phi}
}

// sample returns one count with mean mu.
func (s *nbSampler) sample(r *rand.Rand, mu float64) int64 {
	if s.poisson {
		return poisson(r, mu)
	}
	if !(mu > 0) {
		return 0
	}
	if mu < nbInversionLimit {
		u := r.Float64()
		if u <= expLowerBound(mu) { // u ≤ e^-mu ≤ (1+mu/k)^-k = P(0)
			return 0
		}
		k := s.k
		p := math.Exp(-k * math.Log1p(mu/k))
		ratio := mu / (k + mu)
		c := p
		var n int64
		for u > c {
			p *= (float64(n) + k) / float64(n+1) * ratio
			n++
			if p == 0 {
				break
			}
			c += p
		}
		return n
	}
	g := s.gamma.sample(r)
	return poisson(r, mu*g/s.gamma.shape)
}
