package query_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"genestore/query"
	"genestore/query/querytest"
	"genestore/store"
	"genestore/vocab"
)

// TestRestrictToSetWithoutVectors: naming in Restrict (or GeneCells'
// Datasets) a dataset that has no vectors in the space searched is
// ErrNotFound naming it, not an empty answer that reads as "no
// neighbours".
func TestRestrictToSetWithoutVectors(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	err := f.db.Update(func(tx *store.Tx) error {
		if err := tx.DeleteEmbeddings(vocab.SpaceGenes, f.tr.DatasetIDs[1]); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.e.GeneNeighbors(ctx, query.GeneNeighborsRequest{Symbol: f.tr.Symbols[0], Restrict: []string{"ds2"}})
	if !errors.Is(err, query.ErrNotFound) || !strings.Contains(err.Error(), `"ds2"`) {
		t.Errorf("genes restricted to ds2 (no gene vectors): %v, %+v; want ErrNotFound naming ds2", err, a)
	}
	// a set that is there is still searched
	if a, err := f.e.GeneNeighbors(ctx, query.GeneNeighborsRequest{Symbol: f.tr.Symbols[0], Restrict: []string{"ds1", "consensus"}}); err != nil || len(a.Neighbors) != 10 {
		t.Errorf("genes restricted to ds1 and consensus: %v", err)
	}
	// Exclude of a set without vectors stays harmless
	if _, err := f.e.GeneNeighbors(ctx, query.GeneNeighborsRequest{Symbol: f.tr.Symbols[0], Exclude: []string{"ds2"}}); err != nil {
		t.Errorf("exclude ds2: %v", err)
	}
	if _, err := f.e.GeneCells(ctx, query.GeneCellsRequest{Symbol: f.tr.Symbols[0], Datasets: []string{"consensus"}}); !errors.Is(err, query.ErrNotFound) {
		t.Errorf("gene cells restricted to consensus (no cell vectors): %v, want ErrNotFound", err)
	}
}
