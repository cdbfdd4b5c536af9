package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"genestore/query/cluster"
)

// termEmbedding: nTerms terms of size genes each; gene vectors are the
// term's axis plus noise (noise 0: identical vectors within a term).
func termEmbedding(nTerms, size, dim int, noise float64, seed uint64) ([]float32, []string, [][]string) {
	rng := rand.New(rand.NewPCG(seed, 1))
	var vecs []float32
	var genes []string
	sets := make([][]string, nTerms)
	for t := 0; t < nTerms; t++ {
		for g := 0; g < size; g++ {
			name := fmt.Sprintf("T%dG%d", t, g)
			genes = append(genes, name)
			sets[t] = append(sets[t], name)
			for d := 0; d < dim; d++ {
				v := noise * rng.NormFloat64()
				if d == t%dim {
					v += 1
				}
				vecs = append(vecs, float32(v))
			}
		}
	}
	return vecs, genes, sets
}

func TestGOCoAnnotationAUROC(t *testing.T) {
	o := GeneSetOptions{Pairs: 2000, Seed: 3}
	v, genes, sets := termEmbedding(3, 10, 3, 0, 1)
	// positives have cosine 1, negatives 0: exactly 1
	got, err := GOCoAnnotationAUROC(v, 3, genes, sets, o)
	if err != nil || got != 1 {
		t.Errorf("separated terms: %v, %v; want 1", got, err)
	}
	// all vectors equal: every score ties → exactly 0.5
	same := make([]float32, len(v))
	for i := range same {
		same[i] = 1
	}
	got, err = GOCoAnnotationAUROC(same, 3, genes, sets, o)
	if err != nil || got != 0.5 {
		t.Errorf("identical vectors: %v, %v; want 0.5", got, err)
	}
	// pure noise: close to 0.5
	noise, _, _ := termEmbedding(3, 10, 8, 1e6, 2)
	got, err = GOCoAnnotationAUROC(noise, 8, genes, sets, o)
	if err != nil || math.Abs(got-0.5) > 0.05 {
		t.Errorf("noise: %v, %v; want ≈ 0.5", got, err)
	}
	// reproducible
	a, _ := GOCoAnnotationAUROC(noise, 8, genes, sets, o)
	if a != got {
		t.Errorf("same seed, different result: %v %v", a, got)
	}
	// terms outside 10–200 genes are ignored → undefined
	if _, err := GOCoAnnotationAUROC(v, 3, genes, [][]string{genes[:5]}, o); !errors.Is(err, ErrUndefined) {
		t.Errorf("small terms: %v", err)
	}
	dup := append([]string{}, genes...)
	dup[1] = dup[0]
	if _, err := GOCoAnnotationAUROC(v, 3, dup, sets, o); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("duplicate genes: %v", err)
	}
}

func TestKNNGOPredictionAUROC(t *testing.T) {
	o := GeneSetOptions{MinSize: 2, MaxSize: 5, K: 1}
	sets := [][]string{{"a", "b"}, {"c", "d"}}
	genes := []string{"a", "b", "c", "d"}
	ctx := context.Background()
	// neighbours share the term: every nonzero score is a positive → 1
	good := []float32{1, 0, 1, 0.1, 0, 1, 0.1, 1}
	got, err := KNNGOPredictionAUROC(ctx, good, 2, genes, sets, o)
	if err != nil || got != 1 {
		t.Errorf("good: %v, %v; want 1", got, err)
	}
	// neighbours always in the other term: every positive scores 0 → 0
	bad := []float32{1, 0, 0, 1, 1, 0.1, 0.1, 1}
	got, err = KNNGOPredictionAUROC(ctx, bad, 2, genes, sets, o)
	if err != nil || got != 0 {
		t.Errorf("bad: %v, %v; want 0", got, err)
	}
	// larger planted case
	v, g, s := termEmbedding(6, 12, 6, 0.3, 4)
	got, err = KNNGOPredictionAUROC(ctx, v, 6, g, s, GeneSetOptions{})
	if err != nil || got < 0.95 {
		t.Errorf("planted: %v, %v; want ≥ 0.95", got, err)
	}
}

func TestEdgeAUC(t *testing.T) {
	v := []float32{1, 0, 1, 0, 0, 1}
	cases := []struct {
		name  string
		edges [][2]int
		want  float64
	}{
		{"edge between equal vectors", [][2]int{{0, 1}}, 1},
		// positive scores 0, negatives 1 and 0 → (0 + ½)/2
		{"edge between orthogonal", [][2]int{{2, 0}, {0, 2}, {1, 1}}, 0.25},
	}
	for _, c := range cases {
		got, err := EdgeAUC(v, 3, 2, c.edges, EdgeOptions{})
		if err != nil || got != c.want {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	// sampled path agrees on a planted case
	pv, _, _ := termEmbedding(4, 25, 4, 0.2, 5)
	var edges [][2]int
	for tt := 0; tt < 4; tt++ {
		for i := 0; i < 25; i++ {
			edges = append(edges, [2]int{tt*25 + i, tt*25 + (i+1)%25})
		}
	}
	full, err := EdgeAUC(pv, 100, 4, edges, EdgeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sampled, err := EdgeAUC(pv, 100, 4, edges, EdgeOptions{MaxPairs: 1000, Seed: 1})
	if err != nil || math.Abs(full-sampled) > 0.03 || full < 0.8 {
		t.Errorf("full %v, sampled %v (%v)", full, sampled, err)
	}
	if _, err := EdgeAUC(v, 3, 2, [][2]int{{0, 3}}, EdgeOptions{}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("bad edge: %v", err)
	}
}

func TestCommonRatioShareOverlap(t *testing.T) {
	cr, err := CommonRatio([]string{"A", "A", "B", "B", "C"}, []int{0, 0, 0, 1, 1})
	if err != nil || !near(cr, 0.2, 1e-12) {
		t.Errorf("common ratio %v %v, want 0.2", cr, err)
	}
	graphs := map[int]map[string][]string{
		0: {"A": {"X", "Y"}, "B": {"Y"}, "C": {"Q"}},
		1: {"A": {"Z", "Y", "Y"}},
	}
	// cluster 0: (A,0)-(A,1): J({X,Y},{Y,Z}) = 1/3; (A,1)-(B,0): 1/2 → 5/12, weight 3/4
	genes := []string{"A", "A", "B", "C"}
	ds := []int{0, 1, 0, 0}
	cl := []int{0, 0, 0, 1}
	got, err := ShareOverlap(genes, ds, cl, graphs, ShareOptions{})
	if err != nil || !near(got, 5.0/12*3/4, 1e-12) {
		t.Errorf("share overlap %v %v, want %v", got, err, 5.0/16)
	}
	sampled, err := ShareOverlap(genes, ds, cl, graphs, ShareOptions{MaxPairs: 1, Seed: 2})
	if err != nil || !(near(sampled, 1.0/3*3/4, 1e-12) || near(sampled, 0.5*3/4, 1e-12)) {
		t.Errorf("sampled share overlap %v %v", sampled, err)
	}
	idx, _ := CommonEntries(genes, ds)
	if len(idx) != 2 || idx[0] != 0 || idx[1] != 1 {
		t.Errorf("common entries %v, want [0 1]", idx)
	}
}

func TestGeneBatchASW(t *testing.T) {
	// genes A,B in both datasets, C only in dataset 0 (dropped).
	// cluster 0 = {A0, A1, B0, B1} at 0, 0.1 (dataset 0) and 0.05, 0.15 (dataset 1)
	v := []float32{0, 0.05, 0.1, 0.15, 9}
	genes := []string{"A", "A", "B", "B", "C"}
	ds := []int{0, 1, 0, 1, 0}
	cl := []int{0, 0, 0, 0, 0}
	got, err := GeneBatchASW(v, 1, genes, ds, cl, cluster.Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := BatchASW([]float32{0, 0.05, 0.1, 0.15}, 4, 1, []int{0, 0, 0, 0}, []int{0, 1, 0, 1}, cluster.Euclidean)
	if !near(got, want, 1e-12) || got < 0.5 {
		t.Errorf("gene batch ASW %v, want %v (well mixed)", got, want)
	}
}
