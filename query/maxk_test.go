package query_test

import (
	"context"
	"testing"

	"genestore/query"
	"genestore/query/querytest"
)

// TestDefaultKWithinMaxK: Options.MaxK bounds k in every query, the
// defaults (10, 25) included.
func TestDefaultKWithinMaxK(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	e, err := query.New(f.b, query.Options{MaxK: 5})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := e.GeneNeighbors(ctx, query.GeneNeighborsRequest{Symbol: f.tr.Symbols[0]})
	if err != nil || a.K != 5 || len(a.Neighbors) != 5 {
		t.Errorf("gene neighbours with MaxK 5, default k: %v, k %d, %d neighbours", err, a.K, len(a.Neighbors))
	}
	c, err := e.Coexpr(ctx, query.CoexprRequest{Symbol: f.tr.Symbols[0]})
	if err != nil || c.K != 5 || len(c.Partners) > 5 {
		t.Errorf("coexpr with MaxK 5, default k: %v, k %d, %d partners", err, c.K, len(c.Partners))
	}
}
