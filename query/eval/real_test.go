package eval

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"genestore/internal/cputime"
	"genestore/internal/testutil/shareddata"
	"genestore/query/annot"
	"genestore/query/cluster"
)

// goSets loads go/human_go_bp.gmt from the shared sample data, skipping
// when absent.
func goSets(t testing.TB) ([]string, [][]string) {
	p := filepath.Join(shareddata.Dir(t), "go", "human_go_bp.gmt")
	f, err := os.Open(p)
	if err != nil {
		t.Skip("GO gene sets not found: ", p)
	}
	defer f.Close()
	sets, err := annot.ParseGMT(f, "human_go_bp.gmt")
	if err != nil {
		t.Fatal(err)
	}
	var genes []string
	seen := map[string]bool{}
	out := make([][]string, len(sets))
	for i, s := range sets {
		out[i] = s.Genes
		for _, g := range s.Genes {
			if !seen[g] {
				seen[g] = true
				genes = append(genes, g)
			}
		}
	}
	return genes, out
}

// plantedGO gives the first nGenes genes random vectors, then pulls the
// members of every fifth kept-size term towards a shared direction.
func plantedGO(genes []string, sets [][]string, dim int, pull float64) []float32 {
	rng := rand.New(rand.NewPCG(9, 9))
	idx := map[string]int{}
	for i, g := range genes {
		idx[g] = i
	}
	v := make([]float64, len(genes)*dim)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	for t, s := range sets {
		if t%5 != 0 || len(s) < 10 || len(s) > 200 {
			continue
		}
		dir := make([]float64, dim)
		for d := range dir {
			dir[d] = rng.NormFloat64()
		}
		for _, g := range s {
			if i, ok := idx[g]; ok {
				for d := 0; d < dim; d++ {
					v[i*dim+d] += pull * dir[d]
				}
			}
		}
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func TestRealGOAUROC(t *testing.T) {
	genes, sets := goSets(t)
	const dim = 16
	genes = genes[:3000] // keep the kNN metric cheap
	o := GeneSetOptions{Pairs: 5000, Seed: 1}
	random := plantedGO(genes, sets, dim, 0)
	planted := plantedGO(genes, sets, dim, 0.5)
	r, err := GOCoAnnotationAUROC(random, dim, genes, sets, o)
	if err != nil || math.Abs(r-0.5) > 0.03 {
		t.Errorf("random vectors: GO AUROC %v, %v; want ≈ 0.5", r, err)
	}
	p, err := GOCoAnnotationAUROC(planted, dim, genes, sets, o)
	if err != nil || p < r+0.05 {
		t.Errorf("planted vectors: GO AUROC %v (random %v), %v", p, r, err)
	}
	ctx := context.Background()
	kr, err := KNNGOPredictionAUROC(ctx, random, dim, genes, sets, o)
	if err != nil || math.Abs(kr-0.5) > 0.08 { // popular terms lift random vectors a little above 0.5
		t.Errorf("random vectors: kNN GO AUROC %v, %v; want ≈ 0.5", kr, err)
	}
	kp, err := KNNGOPredictionAUROC(ctx, planted, dim, genes, sets, o)
	if err != nil || kp < kr+0.02 {
		t.Errorf("planted vectors: kNN GO AUROC %v (random %v), %v", kp, kr, err)
	}
	t.Logf("GO AUROC random %.3f planted %.3f; kNN GO AUROC random %.3f planted %.3f", r, p, kr, kp)
}

func BenchmarkKNNGOPrediction16k(b *testing.B) {
	genes, sets := goSets(b)
	v := plantedGO(genes, sets, 32, 0.5)
	b.ResetTimer()
	cpu0 := cputime.Seconds()
	var auc float64
	for i := 0; i < b.N; i++ {
		var err error
		auc, err = KNNGOPredictionAUROC(context.Background(), v, 32, genes, sets, GeneSetOptions{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cputime.Seconds()-cpu0)/float64(b.N), "cpu-s/op")
	b.ReportMetric(auc, "auroc")
	b.ReportMetric(float64(len(genes)), "genes")
}

func BenchmarkSilhouette10k(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	n, dim := 10000, 32
	v := make([]float32, n*dim)
	l := make([]int, n)
	for i := range l {
		l[i] = rng.IntN(10)
		for d := range dim {
			v[i*dim+d] = float32(rng.NormFloat64() + float64(l[i]%3))
		}
	}
	b.ResetTimer()
	cpu0 := cputime.Seconds()
	for i := 0; i < b.N; i++ {
		if _, err := Silhouette(v, n, dim, l, cluster.Euclidean); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cputime.Seconds()-cpu0)/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
}
