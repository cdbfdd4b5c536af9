package query_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"genestore/internal/sparse"
	"genestore/query"
	"genestore/query/backend"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/vocab"
)

// caseStore writes a human dataset (AHNAK, CD79A, MS4A1) and a mouse one
// named "lung" (Ahnak, Sftpc, Cd79b), each with gene vectors of its own genes.
func caseStore(t *testing.T) *query.Engine {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "case.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, d := range []struct {
		name    string
		symbols []string
	}{{"human", []string{"AHNAK", "CD79A", "MS4A1"}}, {"lung", []string{"Ahnak", "Sftpc", "Cd79b"}}} {
		genes := make([]ingest.Gene, len(d.symbols))
		for i, s := range d.symbols {
			genes[i] = ingest.Gene{ID: d.name + s, Symbol: s}
		}
		ds := &ingest.Dataset{Format: "sim", Values: vocab.Counts, Genes: genes, Barcodes: []string{"a", "b"},
			X: &sparse.CSR{Rows: 2, Cols: len(genes), Indptr: make([]int64, 3)}}
		info, err := db.AddDataset(ctx, d.name, ds, store.AddOptions{})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(func(tx *store.Tx) error {
			var ids []uint32
			var vecs []float32
			for i, s := range d.symbols {
				gs, err := tx.GenesBySymbol(s)
				if err != nil {
					return err
				}
				for _, g := range gs {
					if g.Symbol == s {
						ids = append(ids, g.ID)
					}
				}
				vecs = append(vecs, float32(i+1), 1, float32(len(d.name)))
			}
			return tx.PutEmbeddings(vocab.SpaceGenes, info.ID, ids, 3, vecs, store.Provenance{Kind: "gene-model", ModelVersion: "m1"})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	b, err := backend.New(db, backend.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e, err := query.New(b, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestGeneLookupCase: an exact-case symbol wins over other case-folded
// matches; a case-folded match of several symbols is refused with the
// candidates, never picked silently (issue 16 §4).
func TestGeneLookupCase(t *testing.T) {
	e := caseStore(t)
	ctx := context.Background()
	for _, tc := range []struct{ ask, dataset, want string }{
		{"Ahnak", "lung", "Ahnak"},
		{"AHNAK", "human", "AHNAK"},
		{"sftpc", "lung", "Sftpc"}, // one candidate: case-folded match taken
		{"cd79a", "human", "CD79A"},
	} {
		a, err := e.GeneNeighbors(ctx, query.GeneNeighborsRequest{Symbol: tc.ask, Dataset: tc.dataset, K: 2})
		if err != nil {
			t.Errorf("%s in %s: %v", tc.ask, tc.dataset, err)
			continue
		}
		if a.Gene.Symbol != tc.want || a.From != tc.dataset || len(a.Neighbors) != 2 {
			t.Errorf("%s in %s: %+v", tc.ask, tc.dataset, a)
		}
	}
	for _, ask := range []string{"ahnak", "aHnAk"} {
		_, err := e.GeneNeighbors(ctx, query.GeneNeighborsRequest{Symbol: ask, Dataset: "lung"})
		if !errors.Is(err, query.ErrAmbiguous) || !errors.Is(err, query.ErrInvalid) || !strings.Contains(err.Error(), "AHNAK, Ahnak") {
			t.Errorf("%s: %v", ask, err)
		}
		if _, err := e.ResolveGene(ctx, ask); !errors.Is(err, query.ErrAmbiguous) {
			t.Errorf("ResolveGene(%s): %v", ask, err)
		}
	}
}
