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

// interleaved is a Backend that, once, lets another engine annotate gene
// other (and store it) between a query's snapshot and its write: the race
// of two `annotate genes --gene` runs on one collection.
type interleaved struct {
	query.Backend
	other func() error
	done  bool
}

func (b *interleaved) View(ctx context.Context, fn func(query.Reader) error) error {
	err := b.Backend.View(ctx, fn)
	if !b.done {
		b.done = true
		if oerr := b.other(); oerr != nil {
			return oerr
		}
	}
	return err
}

// TestAnnotateGenesKeepsConcurrentRows: a gene-list annotation merged its
// rows into the predictions read in its snapshot, so rows another writer
// stored between that snapshot and the write were lost.
func TestAnnotateGenesKeepsConcurrentRows(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	a, b := f.tr.Symbols[5], f.tr.Symbols[9]
	req := func(sym string) query.AnnotateGenesRequest {
		return query.AnnotateGenesRequest{Collection: querytest.Collection, Genes: []string{sym}, Write: true}
	}
	ib := &interleaved{Backend: f.b, other: func() error {
		_, err := f.e.AnnotateGenes(ctx, req(b))
		return err
	}}
	e, err := query.New(ib, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.AnnotateGenes(ctx, req(a)); err != nil {
		t.Fatal(err)
	}
	rows, _, err := f.predictions(ctx, vocab.KindGoTerms, querytest.Collection)
	if err != nil {
		t.Fatal(err)
	}
	genes := map[uint64]bool{}
	for _, r := range rows {
		genes[r.Entity] = true
	}
	if len(genes) != 2 {
		t.Errorf("stored predictions cover %d genes, want both %s and %s", len(genes), a, b)
	}
}

// TestAnnotateCellsSkipsUnlabelledReferences: reference cells whose label
// is missing ("": every third cell of the "curated" column) are not
// neighbours that vote; they voted for "", which lowered every
// confidence and could win.
func TestAnnotateCellsSkipsUnlabelledReferences(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	a, err := f.e.AnnotateCells(ctx, query.AnnotateCellsRequest{References: []string{"ds1"}, Label: "curated", Query: "ds2", Rows: true})
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, r := range a.Rows {
		if r.Label == "" {
			t.Fatalf("cell %d labelled \"\"", r.Cell)
		}
		sum += float64(r.Confidence)
	}
	t.Logf("mean confidence %.3f, %d unassigned of %d", sum/float64(len(a.Rows)), a.Unassigned, a.Cells)
	if mean := sum / float64(len(a.Rows)); mean < 0.9 {
		t.Errorf("mean confidence %.3f: unlabelled references still vote", mean)
	}
}
