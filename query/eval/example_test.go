package eval_test

import (
	"fmt"

	"genestore/query/eval"
)

func ExampleARI() {
	ari, _ := eval.ARI([]int{0, 0, 1, 1}, []int{0, 0, 1, 2})
	nmi, _ := eval.NMI([]int{0, 0, 1, 1}, []int{0, 0, 1, 2})
	fmt.Printf("ARI %.4f NMI %.4f\n", ari, nmi)
	// Output: ARI 0.5714 NMI 0.8000
}

func ExampleAUROC() {
	auc, _ := eval.AUROC([]float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true})
	fmt.Println(auc)
	// Output: 0.75
}
