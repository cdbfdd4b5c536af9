package annot_test

import (
	"fmt"
	"strings"

	"genestore/query/annot"
)

func ExampleParseGMT() {
	gmt := "GO:1\tapoptosis\tTP53\tBAX\nGO:2\tcell cycle\tCDK1\n"
	sets, err := annot.ParseGMT(strings.NewReader(gmt), "example.gmt")
	fmt.Println(len(sets), sets[0].ID, sets[0].Genes, err)
	_, err = annot.ParseGMT(strings.NewReader("GO:1\tno genes\n"), "broken.gmt")
	fmt.Println(err)
	// Output:
	// 2 GO:1 [TP53 BAX] <nil>
	// annot: parse error: broken.gmt:1: too few fields (2, want ID, description and at least one gene)
}

func ExampleEnrich() {
	universe := make([]string, 20)
	for i := range universe {
		universe[i] = fmt.Sprintf("g%d", i)
	}
	sets := []annot.GeneSet{{ID: "A", Genes: universe[:5]}, {ID: "B", Genes: universe[10:]}}
	res, _ := annot.Enrich([]string{"g0", "g1", "g2", "g10"}, universe, sets, annot.EnrichOptions{})
	for _, r := range res {
		fmt.Printf("%s overlap %d/%d expected %.1f p %.4f FDR %.4f\n", r.Set.ID, r.Overlap, r.Size, r.Expected, r.PValue, r.FDR)
	}
	// Output:
	// A overlap 3/5 expected 1.0 p 0.0320 FDR 0.0640
	// B overlap 1/10 expected 2.0 p 0.9567 FDR 0.9567
}

func ExamplePredictTerms() {
	neighbors := []annot.Neighbor{{Gene: "BAX", Score: 0.9}, {Gene: "BAK1", Score: 0.6}, {Gene: "ACTB", Score: 0.5}}
	g2t := map[string][]string{"BAX": {"apoptosis", "mitochondrion"}, "BAK1": {"apoptosis"}}
	for _, p := range annot.PredictTerms(neighbors, g2t, 0) {
		fmt.Printf("%s %.2f %v\n", p.Term, p.Score, p.Evidence)
	}
	// Output:
	// apoptosis 0.75 [BAX BAK1]
	// mitochondrion 0.45 [BAX]
}

func ExampleTransferLabels() {
	labels := [][]string{{"T cell", "T cell", "B cell"}, {"NK", "B cell", "T cell"}}
	sims := [][]float32{{0.9, 0.8, 0.7}, {0.5, 0.4, 0.4}}
	as, _ := annot.TransferLabels(labels, sims, annot.DefaultTransferOptions())
	for _, a := range as {
		fmt.Printf("%s %.2f (top %s)\n", a.Label, a.Confidence, a.Top)
	}
	// Output:
	// T cell 0.71 (top T cell)
	// Unassigned 0.38 (top NK)
}
