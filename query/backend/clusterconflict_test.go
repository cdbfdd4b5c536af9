package backend_test

import (
	"context"
	"errors"
	"testing"

	"genestore/query"
	"genestore/vocab"
)

// TestPutClusteringRechecksModel: a clustering is computed outside the
// write transaction (with no lock held, another process may retrain
// meanwhile), so it is refused when its vectors' model is no longer the
// space's, and stored when it still is.
func TestPutClusteringRechecksModel(t *testing.T) {
	b, _, _ := newBackend(t)
	ctx := context.Background()
	var (
		set  query.VectorSet
		keys []uint64
	)
	err := b.View(ctx, func(r query.Reader) error {
		info, err := r.Space(ctx, vocab.SpaceCells)
		if err != nil {
			return err
		}
		set = info.Sets[0]
		keys, err = r.Keys(ctx, vocab.SpaceCells, []uint32{set.Dataset})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c := query.Clustering{Name: "leiden-1", Keys: keys, Labels: make([]int32, len(keys)),
		Provenance: query.Provenance{Kind: "leiden", ModelVersion: "an-older-model", Datasets: []uint32{set.Dataset}}}
	if err := b.PutClustering(ctx, vocab.SpaceCells, c); !errors.Is(err, query.ErrModelMismatch) {
		t.Fatalf("clustering of a replaced model stored: %v", err)
	}
	c.Provenance.ModelVersion = set.ModelVersion
	if err := b.PutClustering(ctx, vocab.SpaceCells, c); err != nil {
		t.Fatalf("clustering of the current model: %v", err)
	}
}
