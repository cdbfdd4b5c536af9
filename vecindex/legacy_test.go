package vecindex

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"genestore/index"
	"genestore/store"
	"genestore/vocab"
)

// TestLegacyEfBelowMLoadsOnce: settings with a build beam below M, as
// builds before Validate's floor saved them, once never held (the index
// raises the beam to M), so every Load rebuilt and re-saved.
func TestLegacyEfBelowMLoadsOnce(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	putRandom(t, db, "genes", 1, 300, 8, 1)
	// A settings record as an older build saved it (no EfConstruction floor).
	legacy := Settings{M: 32, EfConstruction: 20}
	if err := db.Update(func(tx *store.Tx) error {
		return tx.PutBlob(vocab.BlobIndexSettings, "genes", legacy.encode())
	}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		var log bytes.Buffer
		if _, err := Load(ctx, db, "genes", index.DefaultOptions(), &log); err != nil {
			t.Fatal(err)
		}
		t.Logf("load %d: %q", i, log.String())
		if i > 0 && strings.Contains(log.String(), "rebuilt") {
			t.Errorf("load %d rebuilt again", i)
		}
	}
}

// TestDecodeChecksMetric: a snapshot searched by another metric than its
// space's (older builds indexed cell-genes by cosine) is rebuilt, not used.
func TestDecodeChecksMetric(t *testing.T) {
	ctx := context.Background()
	v := &Vectors{Space: vocab.SpaceCellGenes, Dim: 2, Generation: 5, Keys: []uint64{1, 2}, Vecs: []float32{1, 0, 0, 2}}
	ix, err := Build(ctx, v, index.Options{Metric: index.Cosine}) // as builds before bb3896d did
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, _ = ix.WriteTo(&buf)
	got, reason, err := Decode(buf.Bytes(), nil, 5, nil, vocab.SpaceCellGenes)
	if got != nil {
		t.Errorf("cosine snapshot of %s accepted (space metric %v); reason %q err %v", vocab.SpaceCellGenes, MetricOf(vocab.SpaceCellGenes), reason, err)
	}
}
