package query_test

import (
	"context"
	"errors"
	"testing"

	"genestore/query"
	"genestore/query/querytest"
)

// TestExcludeEverySet: an Exclude that leaves no vector set to search is
// ErrInvalid, not an empty answer that reads as "no neighbours".
func TestExcludeEverySet(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	sym := f.tr.Symbols[0]
	if a, err := f.e.GeneNeighbors(ctx, query.GeneNeighborsRequest{Symbol: sym, Exclude: []string{"consensus"}}); !errors.Is(err, query.ErrInvalid) {
		t.Errorf("gene neighbours of the consensus vector excluding consensus: %v, %+v; want ErrInvalid", err, a)
	}
	if a, err := f.e.GeneCells(ctx, query.GeneCellsRequest{Symbol: sym, Exclude: []string{"ds1", "ds2"}}); !errors.Is(err, query.ErrInvalid) {
		t.Errorf("gene cells excluding every dataset: %v, %+v; want ErrInvalid", err, a)
	}
	bc := f.tr.Barcodes[0][0]
	if a, err := f.e.CellNeighbors(ctx, query.CellNeighborsRequest{Dataset: "ds1", Barcode: bc, Exclude: []string{"ds1", "ds2"}}); !errors.Is(err, query.ErrInvalid) {
		t.Errorf("cell neighbours excluding every dataset: %v, %+v; want ErrInvalid", err, a)
	}
	// excluding some sets still searches the others
	if a, err := f.e.CellNeighbors(ctx, query.CellNeighborsRequest{Dataset: "ds1", Barcode: bc, Exclude: []string{"ds1"}}); err != nil || len(a.Neighbors) != 10 {
		t.Errorf("cell neighbours excluding ds1: %v", err)
	}
}
