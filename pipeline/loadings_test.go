package pipeline

import (
	"math"
	"math/rand/v2"
	"testing"

	"genestore/internal/sparse"
)

// TestRegressionLoadingsRecoverPlantedWeights builds expression that is an
// exact linear function of the latent plus a gene mean, and checks the
// loadings come back.
func TestRegressionLoadingsRecoverPlantedWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n, dim, genes = 2000, 4, 6
	z := make([]float32, n*dim)
	for i := range z {
		z[i] = float32(r.NormFloat64())
	}
	want := make([]float64, genes*dim)
	for i := range want {
		want[i] = r.NormFloat64()
	}
	x := &sparse.CSR{Rows: n, Cols: genes, Indptr: []int64{0}}
	for i := 0; i < n; i++ {
		for g := 0; g < genes; g++ {
			v := 10.0 // gene mean, removed by the centring
			for a := 0; a < dim; a++ {
				v += float64(z[i*dim+a]) * want[g*dim+a]
			}
			x.Indices = append(x.Indices, int32(g))
			x.Data = append(x.Data, float32(v))
		}
		x.Indptr = append(x.Indptr, int64(len(x.Data)))
	}
	got, err := regressionLoadings(x, z, dim, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 0.02 {
			t.Fatalf("loading %d = %.4f, want %.4f", i, got[i], want[i])
		}
	}
}
