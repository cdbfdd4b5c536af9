package expr_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"genestore/train/expr"
)

// toy makes a dataset whose 20 targets are nonlinear functions of the two
// programs that drive its 12 landmarks.
func toy(seed uint64, rows int) expr.Dataset {
	rng := rand.New(rand.NewPCG(seed, 1))
	var genes []string
	for j := range 12 {
		genes = append(genes, fmt.Sprintf("LM%d", j))
	}
	for j := range 20 {
		genes = append(genes, fmt.Sprintf("TG%d", j))
	}
	x := make([]float32, 0, rows*len(genes))
	for range rows {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		for j := range 12 {
			w := float64(j) / 11
			x = append(x, float32(w*a+(1-w)*b+0.1*rng.NormFloat64()))
		}
		for j := range 20 {
			x = append(x, float32(math.Tanh(a*b+float64(j)/10)+0.1*rng.NormFloat64()))
		}
	}
	return expr.Dataset{Name: fmt.Sprint("toy", seed), Genes: genes, X: x}
}

func ExampleFit() {
	ctx := context.Background()
	o := expr.DefaultOptions()
	o.AutoLandmarks = 12 // pick the landmarks from the data
	o.Hidden = []int{64}
	o.Seed = 1
	m, err := expr.Fit(ctx, []expr.Dataset{toy(1, 800)}, o)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(m.Landmarks()), "landmarks,", len(m.Targets()), "targets")

	q := toy(2, 300)
	ev, err := m.Evaluate(ctx, &q, expr.PredictOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("chosen beats linear regression:", ev.MeanMAE[expr.Chosen] < ev.MeanMAE[expr.LeastSquares])

	rows := 0
	_, err = m.Predict(ctx, &q, expr.PredictOptions{BlockRows: 128}, func(first, n int, values []float32) error {
		rows += n // values: n × 20 predictions, row-major
		return nil
	})
	fmt.Println(rows, "rows predicted", err)
	// Output:
	// 12 landmarks, 20 targets
	// chosen beats linear regression: true
	// 300 rows predicted <nil>
}

func ExampleSelectLandmarks() {
	// Three programs, each measured by a clean gene (A0, B0, C0) and two
	// noisy ones (A1, A2, …): the clean gene of each program explains its
	// group best, so the three landmarks are A0, B0 and C0 in some order.
	rng := rand.New(rand.NewPCG(3, 3))
	genes := []string{"A0", "B0", "C0", "A1", "B1", "C1", "A2", "B2", "C2"}
	var x []float32
	for range 1000 {
		z := [3]float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		for c := range 3 {
			noise := []float64{0.05, 0.8, 0.8}[c]
			for p := range 3 {
				x = append(x, float32(z[p]+noise*rng.NormFloat64()))
			}
		}
	}
	lm, err := expr.SelectLandmarks(context.Background(), []expr.Dataset{{Name: "d", Genes: genes, X: x}}, 3)
	sort.Strings(lm)
	fmt.Println(lm, err)
	// Output:
	// [A0 B0 C0] <nil>
}
