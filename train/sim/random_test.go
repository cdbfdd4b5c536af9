package sim

import (
	"math"
	"testing"
)

// moments returns the sample mean and variance of n draws.
func moments(n int, draw func() float64) (mean, variance float64) {
	var s, ss float64
	for range n {
		x := draw()
		s += x
		ss += x * x
	}
	mean = s / float64(n)
	variance = ss/float64(n) - mean*mean
	return mean, variance * float64(n) / float64(n-1)
}

func checkMoments(t *testing.T, name string, n int, mean, variance, wantMean, wantVar, varTol float64) {
	t.Helper()
	se := math.Sqrt(wantVar / float64(n))
	if math.Abs(mean-wantMean) > 5*se+1e-12 {
		t.Errorf("%s: mean %.5g, want %.5g ± %.2g", name, mean, wantMean, 5*se)
	}
	if math.Abs(variance-wantVar) > varTol*wantVar {
		t.Errorf("%s: variance %.5g, want %.5g (±%.0f%%)", name, variance, wantVar, 100*varTol)
	}
}

func TestGammaMoments(t *testing.T) {
	const n = 200000
	for i, k := range []float64{0.2, 0.7, 1, 3.5, 50} {
		r := newStream(uint64(i), 99, 0, 0)
		g := newGammaSampler(k)
		mean, v := moments(n, func() float64 { return g.sample(r) })
		checkMoments(t, "gamma", n, mean, v, k, k, 0.06)
	}
}

func TestPoissonMoments(t *testing.T) {
	const n = 200000
	for i, lam := range []float64{0, 0.01, 0.4, 3, 9.99, 10, 25, 400, 1e5} {
		r := newStream(uint64(i), 98, 0, 0)
		mean, v := moments(n, func() float64 { return float64(poisson(r, lam)) })
		if lam == 0 {
			if mean != 0 || v != 0 {
				t.Errorf("poisson(0): mean %v variance %v", mean, v)
			}
			continue
		}
		checkMoments(t, "poisson", n, mean, v, lam, lam, 0.04)
	}
}

// TestPoissonPMF compares the frequencies of small values with the Poisson
// probabilities on both sides of the inversion/PTRS switch.
func TestPoissonPMF(t *testing.T) {
	const n = 400000
	for i, lam := range []float64{0.5, 9.5, 12, 30} {
		r := newStream(uint64(i), 97, 0, 0)
		counts := map[int64]int{}
		for range n {
			counts[poisson(r, lam)]++
		}
		lo, hi := int64(math.Max(0, lam-2*math.Sqrt(lam))), int64(lam+2*math.Sqrt(lam))
		for k := lo; k <= hi; k++ {
			lg, _ := math.Lgamma(float64(k) + 1)
			p := math.Exp(-lam + float64(k)*math.Log(lam) - lg)
			got := float64(counts[k]) / n
			se := math.Sqrt(p * (1 - p) / n)
			if math.Abs(got-p) > 5*se {
				t.Errorf("poisson(%v): P(%d) = %.5f, want %.5f ± %.5f", lam, k, got, p, 5*se)
			}
		}
	}
}

func TestNBMoments(t *testing.T) {
	const n = 300000
	tests := []struct{ mu, phi, varTol float64 }{
		{0.05, 0.2, 0.05},
		{0.5, 0.2, 0.04},
		{5, 1, 0.05},
		{50, 0.1, 0.04},
		{20, 3, 0.12},
		{8, 0, 0.04},
		{9.9, 3, 0.15},
		{10.1, 0.5, 0.05},
	}
	for i, tc := range tests {
		r := newStream(uint64(i), 96, 0, 0)
		s := newNBSampler(tc.phi)
		mean, v := moments(n, func() float64 { return float64(s.sample(r, tc.mu)) })
		checkMoments(t, "nb", n, mean, v, tc.mu, tc.mu+tc.phi*tc.mu*tc.mu, tc.varTol)
	}
}

// TestNBPMF compares the frequencies of small values with the
// negative-binomial probabilities, for the inversion and mixture paths.
func TestNBPMF(t *testing.T) {
	const n = 400000
	for i, tc := range []struct{ mu, phi float64 }{{0.3, 0.5}, {2, 0.5}, {9, 2}, {15, 0.2}} {
		r := newStream(uint64(i), 95, 0, 0)
		s := newNBSampler(tc.phi)
		counts := map[int64]int{}
		for range n {
			counts[s.sample(r, tc.mu)]++
		}
		k := 1 / tc.phi
		for x := int64(0); x <= int64(2*tc.mu)+1; x++ {
			lg1, _ := math.Lgamma(float64(x) + k)
			lg2, _ := math.Lgamma(k)
			lg3, _ := math.Lgamma(float64(x) + 1)
			p := math.Exp(lg1 - lg2 - lg3 + k*math.Log(k/(k+tc.mu)) + float64(x)*math.Log(tc.mu/(k+tc.mu)))
			got := float64(counts[x]) / n
			se := math.Sqrt(p * (1 - p) / n)
			if math.Abs(got-p) > 5*se+1e-6 {
				t.Errorf("nb(%v, %v): P(%d) = %.5f, want %.5f ± %.5f", tc.mu, tc.phi, x, got, p, 5*se)
			}
		}
	}
}

func BenchmarkNBSample(b *testing.B) {
	r := newStream(1, 1, 0, 0)
	s := newNBSampler(0.2)
	var sum int64
	for i := 0; b.Loop(); i++ {
		sum += s.sample(r, float64(i%8)*0.5)
	}
	_ = sum
}

func TestExpLowerBound(t *testing.T) {
	for x := 0.0; x < 20; x += 0.001 {
		if b := expLowerBound(x); b > math.Exp(-x) {
			t.Fatalf("expLowerBound(%v) = %v > e^-x = %v", x, b, math.Exp(-x))
		}
	}
}

// TestHugeMeansSaturate: a mean beyond int64's range (reachable with valid
// configs: LibSizeMean 1e9 and LibSizeSD 5 give libraries above 2^63 in a
// few cells per 10^5) saturates instead of converting to a negative count,
// which fillBlock dropped as a zero.
func TestHugeMeansSaturate(t *testing.T) {
	r := newStream(1, 97, 0, 0)
	nb := newNBSampler(0.5)
	for _, mu := range []float64{1e19, 1e25, 1e300} {
		if c := poisson(r, mu); c != math.MaxInt64 {
			t.Errorf("poisson(%g) = %d, want MaxInt64", mu, c)
		}
		if c := nb.sample(r, mu); c <= 0 {
			t.Errorf("nb(%g) = %d, want > 0", mu, c)
		}
	}
	c := DefaultConfig()
	c.Datasets, c.Cells, c.Genes, c.Modules, c.ModuleGenes, c.CellTypes = 1, 300000, 2, 1, 1, 1
	c.LibSizeMean, c.LibSizeSD, c.Dispersion, c.BatchEffect, c.ProgramNoise = 1e9, 5, 0, 0, 0
	X := mustGenerate(t, c).Datasets[0].X
	lost := 0
	for i := range X.Rows {
		// One gene clamped at MaxInt32 and the other missing: its mean was
		// above 2^63 (a mean ratio of 2^32 between the two genes is otherwise
		// out of reach).
		if idx, val := X.Row(i); len(idx) == 1 && val[0] == float32(math.MaxInt32) {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d cells lost a gene whose mean overflowed int64", lost)
	}
}
