package server_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"genestore/query"
	"genestore/query/backend"
	"genestore/query/querytest"
	"genestore/store"
	"genestore/vocab"
)

// TestPredictedRoute writes a predicted layer (value = cell row) for one
// gene of ds1 beside the expression model's record, and reads it back
// through GET /v1/genes/{symbol}/predicted.
func TestPredictedRoute(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := querytest.Build(ctx, db, querytest.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	var cells int
	err = db.Update(func(tx *store.Tx) error {
		d, err := tx.DatasetByName("ds1")
		if err != nil {
			return err
		}
		gs, err := tx.GenesBySymbol("G00002")
		if err != nil || len(gs) == 0 {
			t.Fatalf("gene G00002: %v", err)
		}
		if err := tx.PutBlob(vocab.BlobModel, vocab.ModelExpr, []byte("w")); err != nil {
			return err
		}
		if err := tx.PutModel(store.ModelRecord{Name: vocab.ModelExpr, Provenance: store.Provenance{ModelVersion: "expr:1"}}); err != nil {
			return err
		}
		cells = d.Cells
		l := store.Layer{Dataset: d.ID, Name: vocab.LayerPredicted, Values: vocab.Predicted, Cells: cells, Genes: []uint32{gs[0].ID},
			Provenance: store.Provenance{ModelVersion: "expr:1", Params: []byte(`{"landmarks_present":900,"landmarks_missing":4}`)}}
		if err := tx.PutLayer(l); err != nil {
			return err
		}
		for first := 0; first < cells; first += store.LayerChunkCells {
			v := make([]float32, min(store.LayerChunkCells, cells-first))
			for i := range v {
				v[i] = float32(first + i)
			}
			if err := tx.PutLayerChunk(d.ID, vocab.LayerPredicted, first, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := backend.New(db, backend.DefaultOptions())
	e, _ := query.New(b, query.Options{})
	s := newServer(t, &fixture{e: e, db: db}, nil)
	code, m, body := get(t, s, http.MethodGet, "/v1/genes/g00002/predicted?dataset=ds1")
	if code != 200 || m["gene"] != "G00002" || m["model"] != "expr:1" || m["stale"] != false ||
		int(m["cells"].(float64)) != cells || m["max"].(float64) != float64(cells-1) || m["landmarks_missing"].(float64) != 4 {
		t.Fatalf("%d %s", code, body[:min(300, len(body))])
	}
	if v := m["values"].([]any); len(v) != cells || v[7].(float64) != 7 || len(m["barcodes"].([]any)) != cells {
		t.Errorf("values %d", len(v))
	}
	for target, want := range map[string]int{
		"/v1/genes/G00003/predicted?dataset=ds1": 404, // not in the layer
		"/v1/genes/G00002/predicted?dataset=ds2": 404, // no layer
		"/v1/genes/G00002/predicted":             400, // no dataset
	} {
		if code, _, body := get(t, s, http.MethodGet, target); code != want {
			t.Errorf("%s: %d %s, want %d", target, code, body, want)
		}
	}
	// A layer that does not exist is named as missing, not the gene as absent from it.
	if code, _, body := get(t, s, http.MethodGet, "/v1/genes/G00002/predicted?dataset=ds1&layer=nope"); code != 404 ||
		!strings.Contains(string(body), `has no layer \"nope\"`) {
		t.Errorf("layer=nope: %d %s", code, body)
	}
}
