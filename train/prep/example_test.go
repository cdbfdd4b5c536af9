package prep_test

import (
	"context"
	"fmt"

	"genestore/internal/sparse"
	"genestore/train/prep"
	"genestore/vocab"
)

func ExampleCoexpression() {
	// 6 cells × 3 genes of counts: genes 0 and 1 rise together, gene 2 is
	// their mirror image.
	X := &sparse.CSR{Rows: 6, Cols: 3, Indptr: []int64{0, 2, 4, 6, 8, 10, 12},
		Indices: []int32{0, 2, 0, 2, 0, 1, 1, 2, 0, 1, 0, 1},
		Data:    []float32{1, 9, 2, 8, 3, 3, 4, 6, 5, 5, 6, 6}}
	Xn, _ := prep.Normalize(X, vocab.Normalized, 0)
	opts := prep.DefaultCoexprOptions()
	opts.TopK, opts.Alpha, opts.Correction = 2, 1, prep.NoCorrection
	edges, _ := prep.Coexpression(context.Background(), Xn, opts)
	for _, e := range edges {
		fmt.Printf("%d-%d %+.2f\n", e.A, e.B, e.Weight)
	}
	// Values checked against numpy.corrcoef of the log1p matrix.
	// Output:
	// 0-1 +0.36
	// 0-2 -0.80
	// 1-2 -0.78
}
