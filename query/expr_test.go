package query_test

import (
	"context"
	"errors"
	"testing"

	"genestore/query"
	"genestore/query/querytest"
)

// failingLayers is a Backend whose Readers fail LayerGene with err.
type failingLayers struct {
	query.Backend
	err error
}

type failingReader struct {
	query.Reader
	err error
}

func (r failingReader) LayerGene(context.Context, uint32, string, uint32) (query.LayerValues, error) {
	return query.LayerValues{}, r.err
}

func (b failingLayers) View(ctx context.Context, fn func(query.Reader) error) error {
	return b.Backend.View(ctx, func(r query.Reader) error { return fn(failingReader{r, b.err}) })
}

// TestPredictedExprKeepsReadErrors: a layer read that fails for another
// reason than "not found" (a damaged record, a cancelled context) is
// returned as is, not reported as the gene missing from the layer.
func TestPredictedExprKeepsReadErrors(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	boom := errors.New("layer record damaged")
	e, err := query.New(failingLayers{f.b, boom}, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.PredictedExpr(context.Background(), "ds1", f.tr.Symbols[0], "")
	if !errors.Is(err, boom) || errors.Is(err, query.ErrNotFound) {
		t.Errorf("PredictedExpr over a failing layer read: %v, want the read error", err)
	}
}
