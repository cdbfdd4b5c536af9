package vae

import (
	"flag"
	"math"
	"math/rand/v2"
	"testing"

	"genestore/internal/sparse"
	"genestore/internal/testutil/shareddata"
)

var long = flag.Bool("long", false, "run long tests")

// toy is a small simulated count data set with known cell types and batches.
type toy struct {
	X     *sparse.CSR
	Type  []int
	Batch []int
	Names []string
}

// simulate draws negative-binomial counts for cells of `types` cell types in
// `batches` batches. Each type has its own marker genes; each batch scales
// every gene by a log-normal factor (sd batchSD) and has its own library
// size, which is what makes uncorrected embeddings split by batch.
func simulate(cells, genes, types, batches int, batchSD float64, seed uint64) toy {
	rng := rand.New(rand.NewPCG(seed, 99))
	base := make([]float64, genes)
	for g := range base {
		base[g] = rng.NormFloat64() * 1.2
	}
	prof := make([][]float64, types)
	for t := range prof {
		prof[t] = make([]float64, genes)
		for g := range genes {
			prof[t][g] = base[g] + 0.2*rng.NormFloat64()
		}
		for range max(genes/20, 3) {
			prof[t][rng.IntN(genes)] += 1.5 + rng.Float64()
		}
	}
	beff := make([][]float64, batches)
	libMean := make([]float64, batches)
	for b := range beff {
		beff[b] = make([]float64, genes)
		for g := range genes {
			beff[b][g] = batchSD * rng.NormFloat64()
		}
		libMean[b] = math.Log(2000) + 0.5*rng.NormFloat64()
	}
	theta := make([]float64, genes)
	for g := range theta {
		theta[g] = math.Exp(math.Log(3) + 0.5*rng.NormFloat64())
	}
	out := toy{X: &sparse.CSR{Rows: cells, Cols: genes, Indptr: make([]int64, cells+1)}}
	for b := range batches {
		out.Names = append(out.Names, "b"+string(rune('0'+b)))
	}
	p := make([]float64, genes)
	for i := range cells {
		t, b := rng.IntN(types), i%batches
		out.Type = append(out.Type, t)
		out.Batch = append(out.Batch, b)
		s := 0.0
		for g := range genes {
			p[g] = math.Exp(prof[t][g] + beff[b][g])
			s += p[g]
		}
		lib := math.Exp(libMean[b] + 0.3*rng.NormFloat64())
		for g := range genes {
			mu := lib * p[g] / s
			x := poisson(rng, gammaRand(rng, theta[g])*mu/theta[g])
			if x > 0 {
				out.X.Indices = append(out.X.Indices, int32(g))
				out.X.Data = append(out.X.Data, float32(x))
			}
		}
		out.X.Indptr[i+1] = int64(len(out.X.Data))
	}
	return out
}

// gammaRand draws Gamma(shape, 1) (Marsaglia–Tsang).
func gammaRand(rng *rand.Rand, shape float64) float64 {
	if shape < 1 {
		return gammaRand(rng, shape+1) * math.Pow(rng.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}

func poisson(rng *rand.Rand, mu float64) int {
	if mu > 30 {
		return max(0, int(math.Round(mu+math.Sqrt(mu)*rng.NormFloat64())))
	}
	l, k, p := math.Exp(-mu), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// sharedData returns ../shared/data relative to the module root, or skips.
func sharedData(t testing.TB) string {
	return shareddata.Dir(t)
}
