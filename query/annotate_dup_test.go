package query_test

import (
	"context"
	"testing"

	"genestore/query"
	"genestore/query/querytest"
	"genestore/vocab"
)

// TestAnnotateGenesNamedTwice: a gene named twice in Genes (as written,
// in another case or by an alias) is annotated once: its predictions are
// stored once, not once per mention.
func TestAnnotateGenesNamedTwice(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	sym := f.tr.Symbols[5]
	a, err := f.e.AnnotateGenes(ctx, query.AnnotateGenesRequest{Collection: querytest.Collection,
		Genes: []string{sym, "OLD" + sym, sym}, Write: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Genes) != 1 {
		t.Errorf("answer lists %d genes for one gene named three times", len(a.Genes))
	}
	rows, _, err := f.predictions(ctx, vocab.KindGoTerms, querytest.Collection)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range rows {
		seen[r.Label]++
	}
	for l, n := range seen {
		if n != 1 {
			t.Errorf("term %s stored %d times for one gene", l, n)
		}
	}
}
