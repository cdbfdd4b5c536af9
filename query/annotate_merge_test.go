package query_test

import (
	"context"
	"errors"
	"testing"

	"genestore/query"
	"genestore/query/querytest"
	"genestore/store"
	"genestore/vocab"
)

// TestAnnotateGenesMergeOtherModel: re-annotating some genes (Genes set,
// Write) keeps the other genes' stored rows, so those rows must come from
// the same model version as the new ones: after a retrain the merge is
// refused instead of storing old-model rows under the new model's
// provenance.
func TestAnnotateGenesMergeOtherModel(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	if _, err := f.e.AnnotateGenes(ctx, query.AnnotateGenesRequest{Collection: querytest.Collection, Write: true}); err != nil {
		t.Fatal(err)
	}
	// retrain: the same consensus vectors under a new model version
	err := f.db.Update(func(tx *store.Tx) error {
		ids, dim, vecs, err := tx.Embeddings(vocab.SpaceGenes, vocab.Consensus)
		if err != nil {
			return err
		}
		return tx.PutEmbeddings(vocab.SpaceGenes, vocab.Consensus, ids, dim, vecs, store.Provenance{Kind: "gene-model", ModelVersion: "gene-model-2"})
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.e.AnnotateGenes(ctx, query.AnnotateGenesRequest{Collection: querytest.Collection, Genes: []string{"G00005"}, Write: true})
	rows, prov, perr := f.predictions(ctx, vocab.KindGoTerms, querytest.Collection)
	if perr != nil {
		t.Fatal(perr)
	}
	if !errors.Is(err, query.ErrModelMismatch) {
		t.Errorf("merge into predictions of another model: %v; stored %d rows as model %q", err, len(rows), prov.ModelVersion)
	}
	if prov.ModelVersion != querytest.GeneModel {
		t.Errorf("stored predictions relabelled model %q (%d rows, most computed with %q)", prov.ModelVersion, len(rows), querytest.GeneModel)
	}
	// annotating every gene replaces them
	if _, err := f.e.AnnotateGenes(ctx, query.AnnotateGenesRequest{Collection: querytest.Collection, Write: true}); err != nil {
		t.Fatal(err)
	}
	if _, prov, _ := f.predictions(ctx, vocab.KindGoTerms, querytest.Collection); prov.ModelVersion != "gene-model-2" {
		t.Errorf("full re-annotation stored model %q", prov.ModelVersion)
	}
}

// TestAnnotateGenesMergeOtherVote: the kept rows must also come from the
// same k and number of terms, which the stored provenance then states.
func TestAnnotateGenesMergeOtherVote(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	if _, err := f.e.AnnotateGenes(ctx, query.AnnotateGenesRequest{Collection: querytest.Collection, K: 10, Write: true}); err != nil {
		t.Fatal(err)
	}
	params := func() string {
		_, prov, err := f.predictions(ctx, vocab.KindGoTerms, querytest.Collection)
		if err != nil {
			t.Fatal(err)
		}
		return string(prov.Params)
	}
	before := params()
	for _, req := range []query.AnnotateGenesRequest{
		{Collection: querytest.Collection, Genes: []string{"G00005"}, Write: true}, // k 20 by default
		{Collection: querytest.Collection, Genes: []string{"G00005"}, K: 10, TopN: 3, Write: true},
	} {
		if _, err := f.e.AnnotateGenes(ctx, req); !errors.Is(err, query.ErrInvalid) {
			t.Errorf("k %d top %d into k 10 top 5: %v, want ErrInvalid", req.K, req.TopN, err)
		}
		if after := params(); after != before {
			t.Errorf("refused merge changed the stored params %s to %s", before, after)
		}
	}
	if _, err := f.e.AnnotateGenes(ctx, query.AnnotateGenesRequest{Collection: querytest.Collection, Genes: []string{"G00005"}, K: 10, Write: true}); err != nil {
		t.Errorf("same k and top: %v", err)
	}
}
