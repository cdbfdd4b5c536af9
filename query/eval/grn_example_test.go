package eval_test

import (
	"fmt"

	"genestore/query/eval"
)

func ExampleGRN() {
	// 3 genes, truth 0→1 and 1→2; three scored predictions.
	truth := []eval.RegPair{{Regulator: 0, Target: 1}, {Regulator: 1, Target: 2}}
	pred := []eval.RegPair{{Regulator: 0, Target: 1, Score: 0.9}, {Regulator: 0, Target: 2, Score: 0.8}, {Regulator: 1, Target: 2, Score: 0.7}}
	s, _ := eval.GRN(3, truth, pred, eval.GRNOptions{})
	fmt.Printf("AUROC %.3f AUPRC %.3f ratio %.2f EPR %.2f\n", s.AUROC, s.AUPRC, s.AUPRCRatio, s.EPR)
	// Output: AUROC 0.875 AUPRC 0.833 ratio 2.50 EPR 1.50
}
