package store

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"genestore/vocab"
)

// layerStore makes a store with one dataset of `cells` cells and 12 genes
// and returns it with the dataset id.
func layerStore(t testing.TB, cells int) (*DB, uint32) {
	t.Helper()
	db := openTemp(t)
	info, err := db.AddDataset(context.Background(), "D", randomDataset(1, "D", cells, 12, 3, true), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return db, info.ID
}

// writeLayer writes a layer over genes with value gene*10000 + cell.
func writeLayer(t testing.TB, db *DB, ds uint32, cells int, genes []uint32) {
	t.Helper()
	err := db.Update(func(tx *Tx) error {
		l := Layer{Dataset: ds, Name: vocab.LayerPredicted, Values: vocab.Predicted, Cells: cells, Genes: genes,
			Provenance: Provenance{Kind: "expr-predict", ModelVersion: "expr:abc"}}
		if err := tx.PutLayer(l); err != nil {
			return err
		}
		for first := 0; first < cells; first += LayerChunkCells {
			n := min(LayerChunkCells, cells-first)
			v := make([]float32, 0, n*len(genes))
			for _, g := range genes {
				for c := range n {
					v = append(v, float32(int(g)*10000+first+c))
				}
			}
			if err := tx.PutLayerChunk(ds, vocab.LayerPredicted, first, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLayerRoundTrip(t *testing.T) {
	const cells = 2500 // three chunks, the last partial
	db, ds := layerStore(t, cells)
	genes := []uint32{2, 5, 9}
	writeLayer(t, db, ds, cells, genes)
	err := db.View(func(tx *Tx) error {
		l, err := tx.Layer(ds, vocab.LayerPredicted)
		if err != nil {
			return err
		}
		if l.Cells != cells || !reflect.DeepEqual(l.Genes, genes) || l.Values != vocab.Predicted ||
			l.Provenance.ModelVersion != "expr:abc" || !l.Provenance.Created.Equal(fixedClock()) {
			t.Errorf("layer = %+v", l)
		}
		v, err := tx.LayerGene(ds, vocab.LayerPredicted, 5)
		if err != nil {
			return err
		}
		if len(v) != cells || v[0] != 50000 || v[cells-1] != float32(50000+cells-1) || v[1500] != 51500 {
			t.Errorf("LayerGene(5): %d values, v[0] %v, v[1500] %v, last %v", len(v), v[0], v[1500], v[cells-1])
		}
		if _, err := tx.LayerGene(ds, vocab.LayerPredicted, 3); !errors.Is(err, ErrNotFound) {
			t.Errorf("gene not in layer: %v", err)
		}
		ch, err := tx.LayerChunk(ds, vocab.LayerPredicted, 2048)
		if err != nil {
			return err
		}
		if n := cells - 2048; len(ch) != 3*n || ch[0] != 22048 || ch[n] != 52048 {
			t.Errorf("LayerChunk(2048) = %d values, %v, %v", len(ch), ch[0], ch[n])
		}
		ls, err := tx.Layers()
		if err != nil || len(ls) != 1 || ls[0].Name != vocab.LayerPredicted {
			t.Errorf("Layers = %v, %v", ls, err)
		}
		if _, err := tx.Layer(ds, "other"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing layer: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Verify(context.Background()); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	// Replacing keeps only the new genes.
	writeLayer(t, db, ds, cells, []uint32{1})
	_ = db.View(func(tx *Tx) error {
		if _, err := tx.LayerGene(ds, vocab.LayerPredicted, 5); !errors.Is(err, ErrNotFound) {
			t.Errorf("replaced layer still has gene 5: %v", err)
		}
		return nil
	})
	if err := db.Verify(context.Background()); err != nil {
		t.Fatalf("Verify after replace: %v", err)
	}
	if err := db.Update(func(tx *Tx) error { return tx.DeleteLayer(ds, vocab.LayerPredicted) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *Tx) error { return tx.DeleteLayer(ds, vocab.LayerPredicted) }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestLayerRejectsBadInput(t *testing.T) {
	db, ds := layerStore(t, 100)
	good := Layer{Dataset: ds, Name: "p", Values: vocab.Predicted, Cells: 100, Genes: []uint32{1, 2}}
	with := func(f func(*Layer)) Layer { l := good; l.Genes = []uint32{1, 2}; f(&l); return l }
	tests := []struct {
		name string
		l    Layer
		want string
		is   error
	}{
		{"cells", with(func(l *Layer) { l.Cells = 99 }), "has 99 cells, the dataset 100", ErrInvalid},
		{"order", with(func(l *Layer) { l.Genes = []uint32{2, 1} }), "not strictly ascending", ErrInvalid},
		{"no genes", with(func(l *Layer) { l.Genes = nil }), "no genes", ErrInvalid},
		{"unknown gene", with(func(l *Layer) { l.Genes = []uint32{1, 999} }), "gene id 999", ErrNotFound},
		{"dataset", with(func(l *Layer) { l.Dataset = 77 }), "77", ErrNotFound},
		{"name", with(func(l *Layer) { l.Name = "" }), "empty layer name", ErrInvalid},
		{"values", with(func(l *Layer) { l.Values = "" }), "no value type", ErrInvalid},
	}
	for _, tt := range tests {
		err := db.Update(func(tx *Tx) error { return tx.PutLayer(tt.l) })
		if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %v containing %q", tt.name, err, tt.is, tt.want)
		}
	}
	chunks := []struct {
		name  string
		first int
		v     []float32
		want  string
	}{
		{"offset", 5, make([]float32, 200), "chunk at cell 5"},
		{"length", 0, make([]float32, 199), "199 values for 2 genes × 100 cells"},
		{"NaN", 0, append(make([]float32, 199), float32(nan())), "value NaN for gene 2, cell 99"},
	}
	for _, c := range chunks {
		err := db.Update(func(tx *Tx) error {
			if err := tx.PutLayer(good); err != nil {
				return err
			}
			return tx.PutLayerChunk(ds, "p", c.first, c.v)
		})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want ErrInvalid containing %q", c.name, err, c.want)
		}
	}
	_ = db.View(func(tx *Tx) error {
		if ls, _ := tx.Layers(); len(ls) != 0 {
			t.Errorf("failed puts left layers %v", ls)
		}
		return nil
	})
}

// TestVerifyFindsLayerDamage removes one column chunk, and separately
// writes a model record without its blob, and checks Verify reports each.
func TestVerifyFindsLayerDamage(t *testing.T) {
	db, ds := layerStore(t, 1500)
	writeLayer(t, db, ds, 1500, []uint32{1, 2})
	err := db.Update(func(tx *Tx) error {
		vb := tx.btx.Bucket(bLayers).Bucket(layerKey(ds, vocab.LayerPredicted)).Bucket(kLayerValues)
		return vb.Delete(u32u32key(1024, 2))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Verify(context.Background()); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "3 column chunks, want 4") {
		t.Fatalf("Verify = %v, want ErrCorrupt counting the chunks", err)
	}
	_ = db.View(func(tx *Tx) error {
		if _, err := tx.LayerGene(ds, vocab.LayerPredicted, 2); !errors.Is(err, ErrCorrupt) {
			t.Errorf("LayerGene over a missing chunk: %v", err)
		}
		return nil
	})

	db2, _ := layerStore(t, 10)
	if err := db2.Update(func(tx *Tx) error { return tx.PutModel(ModelRecord{Name: "expr"}) }); err != nil {
		t.Fatal(err)
	}
	if err := db2.Verify(context.Background()); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `model record "expr" has no weights blob`) {
		t.Fatalf("Verify = %v, want the missing blob", err)
	}
}

func TestModelRecordRoundTrip(t *testing.T) {
	db := openTemp(t)
	r := ModelRecord{Name: vocab.ModelExpr, Provenance: Provenance{Kind: "expr", ModelVersion: "expr:0123", Params: []byte(`{"landmarks":["A"]}`), Datasets: []uint32{1}}}
	err := db.Update(func(tx *Tx) error {
		if err := tx.PutBlob(vocab.BlobModel, vocab.ModelExpr, []byte("weights")); err != nil {
			return err
		}
		return tx.PutModel(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *Tx) error {
		got, err := tx.Model(vocab.ModelExpr)
		r.Provenance.Created = fixedClock()
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("Model = %+v, %v; want %+v", got, err, r)
		}
		if _, err := tx.Model("none"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing model: %v", err)
		}
		if ms, err := tx.Models(); err != nil || len(ms) != 1 {
			t.Errorf("Models = %v, %v", ms, err)
		}
		return nil
	})
	if err := db.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkLayerGene measures the `expr --gene` read path: one gene's
// values over 100,000 cells from a layer of 200 genes (98 column chunks).
func BenchmarkLayerGene(b *testing.B) {
	const cells = 100_000
	db, ds := layerStore(b, cells)
	var genes []uint32
	for g := uint32(1); g <= 12; g++ {
		genes = append(genes, g)
	}
	start := time.Now()
	writeLayer(b, db, ds, cells, genes)
	b.ReportMetric(float64(cells*len(genes))/time.Since(start).Seconds(), "values-written/s")
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		err := db.View(func(tx *Tx) error {
			_, err := tx.LayerGene(ds, vocab.LayerPredicted, genes[i%len(genes)])
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/gene")
}

func FuzzLayerRecord(f *testing.F) {
	l := Layer{Dataset: 3, Name: "predicted", Values: vocab.Predicted, Cells: 5000, Genes: []uint32{1, 7, 9}, Provenance: seedProv}
	fuzzCodec(f, layerVersion, [][]byte{encodeLayer(l), encodeLayer(Layer{})}, decodeLayer, encodeLayer)
}

func FuzzLayerColumn(f *testing.F) {
	fuzzCodec(f, layerColumnVersion, [][]byte{encodeLayerColumn([]float32{0, -1.5, 3e7}), encodeLayerColumn(nil)},
		decodeLayerColumn, encodeLayerColumn)
}

func FuzzModelRecord(f *testing.F) {
	fuzzCodec(f, modelRecordVersion, [][]byte{encodeModelRecord(ModelRecord{Name: "expr", Provenance: seedProv}), encodeModelRecord(ModelRecord{})},
		decodeModelRecord, encodeModelRecord)
}
