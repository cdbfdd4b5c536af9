package query_test

import (
	"context"
	"errors"
	"strings"
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

// caseLayers is a Backend whose genes "CD3E" (id 1) and "Cd3e" (id 2) are
// both in every dataset's predicted layer, with one cell each.
type caseLayers struct{ query.Backend }

type caseReader struct{ query.Reader }

func (caseReader) GenesBySymbol(_ context.Context, s string) ([]query.Gene, error) {
	var out []query.Gene
	for _, g := range []query.Gene{{ID: 1, Symbol: "CD3E"}, {ID: 2, Symbol: "Cd3e"}} {
		if strings.EqualFold(g.Symbol, s) {
			out = append(out, g)
		}
	}
	return out, nil
}

func (caseReader) LayerGene(_ context.Context, _ uint32, _ string, gene uint32) (query.LayerValues, error) {
	return query.LayerValues{Values: []float32{float32(gene)}}, nil
}

func (b caseLayers) View(ctx context.Context, fn func(query.Reader) error) error {
	return b.Backend.View(ctx, func(r query.Reader) error { return fn(caseReader{r}) })
}

// TestPredictedExprCaseVariants: a symbol matching two spellings in the
// layer only ignoring case is refused (it took whichever came first); the
// exact spelling is still answered.
func TestPredictedExprCaseVariants(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	e, err := query.New(caseLayers{f.b}, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := e.PredictedExpr(ctx, "ds1", "cd3e", ""); !errors.Is(err, query.ErrAmbiguous) {
		t.Errorf("cd3e with CD3E and Cd3e in the layer: %v, want ErrAmbiguous", err)
	}
	for _, s := range []string{"CD3E", "Cd3e"} {
		p, err := e.PredictedExpr(ctx, "ds1", s, "")
		if err != nil || p.Gene != s {
			t.Errorf("%s: %+v, %v", s, p, err)
		}
	}
}
