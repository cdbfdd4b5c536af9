package classic_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"genestore/train/grn"
	"genestore/train/grn/classic"
)

func ExampleInfer() {
	// 200 cells, 4 genes: gene 0 activates gene 1, gene 1 represses gene 2,
	// gene 3 is noise.
	r := rand.New(rand.NewPCG(1, 2))
	v := grn.View{Name: "demo", Cells: 200, Genes: 4, X: make([]float32, 800)}
	for c := range 200 {
		x0 := r.NormFloat64()
		x1 := x0 + 0.3*r.NormFloat64()
		x2 := -x1 + 0.3*r.NormFloat64()
		copy(v.X[4*c:], []float32{float32(x0), float32(x1), float32(x2), float32(r.NormFloat64())})
	}
	res, err := classic.Infer(context.Background(), []grn.View{v}, []int32{0, 1}, classic.DefaultOptions())
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Method, "-", res.Combination)
	// the best regulator of genes 1 and 2 (edges are sorted best first)
	for _, target := range []int32{1, 2} {
		for _, e := range res.Edges {
			if e.Target == target {
				fmt.Printf("%d → %d sign %+d\n", e.Regulator, e.Target, e.Sign)
				break
			}
		}
	}
	// Output:
	// ensemble - single view
	// 0 → 1 sign +1
	// 1 → 2 sign -1
}
