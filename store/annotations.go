package store

import (
	"fmt"
	"math"
)

// GeneSet is one named set of gene symbols (e.g. a GO term).
type GeneSet struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Genes []string `json:"genes"`
}

// Prediction is one annotation of an entity (a cell type for a cell, a
// function for a gene) with its score and the genes that support it.
type Prediction struct {
	Entity   uint64   `json:"entity"` // vocab.EntityKey(dataset, id)
	Label    string   `json:"label"`
	Score    float32  `json:"score"`
	Evidence []uint32 `json:"evidence,omitempty"` // global gene ids
}

// Predictions is a stored set of predictions.
type Predictions struct {
	Kind       string       `json:"kind"`
	Name       string       `json:"name"`
	Rows       []Prediction `json:"rows"`
	Stale      bool         `json:"stale"`
	Provenance Provenance   `json:"provenance"`
}

// PutCollection stores (replacing) a gene-set collection.
func (tx *Tx) PutCollection(name string, sets []GeneSet) error {
	if err := tx.writable(); err != nil {
		return err
	}
	if err := checkName("collection", name); err != nil {
		return err
	}
	b, err := tx.bucket(bCollections)
	if err != nil {
		return err
	}
	return b.Put([]byte(name), encodeCollection(sets))
}

// Collection returns a gene-set collection, or ErrNotFound.
func (tx *Tx) Collection(name string) ([]GeneSet, error) {
	b, err := tx.bucket(bCollections)
	if err != nil {
		return nil, err
	}
	v := b.Get([]byte(name))
	if v == nil {
		return nil, fmt.Errorf("%w: collection %q", ErrNotFound, name)
	}
	return decodeCollection(v)
}

// Collections lists collection names.
func (tx *Tx) Collections() ([]string, error) {
	b, err := tx.bucket(bCollections)
	if err != nil {
		return nil, err
	}
	var out []string
	err = b.ForEach(func(k, _ []byte) error { out = append(out, string(k)); return nil })
	return out, err
}

// PutPredictions stores (replacing) predictions (kind, name), e.g.
// ("cell-type", "pbmc_small"). Scores must be finite.
func (tx *Tx) PutPredictions(kind, name string, rows []Prediction, prov Provenance) error {
	if err := tx.writable(); err != nil {
		return err
	}
	if err := checkName("prediction kind", kind); err != nil {
		return err
	}
	if err := checkName("predictions", name); err != nil {
		return err
	}
	for i, r := range rows {
		if f := float64(r.Score); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%w: prediction %d (%q) has score %v", ErrInvalid, i, r.Label, r.Score)
		}
	}
	root, err := tx.bucket(bPredictions)
	if err != nil {
		return err
	}
	kb, err := root.CreateBucketIfNotExists([]byte(kind))
	if err != nil {
		return err
	}
	return kb.Put([]byte(name), encodePredictions(Predictions{Rows: rows, Provenance: tx.stamp(prov)}))
}

// Predictions returns stored predictions, or ErrNotFound.
func (tx *Tx) Predictions(kind, name string) (Predictions, error) {
	kb, err := tx.nested(bPredictions, kind)
	if err != nil {
		return Predictions{}, err
	}
	var v []byte
	if kb != nil {
		v = kb.Get([]byte(name))
	}
	if v == nil {
		return Predictions{}, fmt.Errorf("%w: predictions %s/%s", ErrNotFound, kind, name)
	}
	p, err := decodePredictions(v)
	p.Kind, p.Name = kind, name
	return p, err
}

// MarkPredictionsStale sets the Stale flag of predictions (kind, name).
func (tx *Tx) MarkPredictionsStale(kind, name string) error {
	if err := tx.writable(); err != nil {
		return err
	}
	p, err := tx.Predictions(kind, name)
	if err != nil {
		return err
	}
	p.Stale = true
	kb, _ := tx.nested(bPredictions, kind)
	return kb.Put([]byte(name), encodePredictions(p))
}

// collectionVersion is the version byte of collections.
//
// Collection (bucket "collections", key name), version 1:
//
//	uv n, n × (str id, str name, uv k, k × str gene symbol)
const collectionVersion = 1

func encodeCollection(sets []GeneSet) []byte {
	e := newEnc(collectionVersion, 64*len(sets))
	e.count(len(sets))
	for _, s := range sets {
		e.str(s.ID)
		e.str(s.Name)
		e.strs(s.Genes)
	}
	return e.seal()
}

func decodeCollection(v []byte) ([]GeneSet, error) {
	d, err := openRecord("collection", v, collectionVersion)
	if err != nil {
		return nil, err
	}
	n := d.count(3)
	out := make([]GeneSet, n)
	for i := 0; i < n && d.err == nil; i++ {
		out[i] = GeneSet{ID: d.str(), Name: d.str(), Genes: d.strs()}
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return out, nil
}

// predictionsVersion is the version byte of predictions records.
//
// Predictions (bucket "predictions" / kind, key name), version 1:
//
//	u8 stale (0/1), uv n,
//	n × (u64 entity key, str label, f32 score, uv k, k × u32 evidence gene),
//	provenance
const predictionsVersion = 1

func encodePredictions(p Predictions) []byte {
	e := newEnc(predictionsVersion, 32*len(p.Rows)+64)
	e.boolean(p.Stale)
	e.count(len(p.Rows))
	for _, r := range p.Rows {
		e.u64(r.Entity)
		e.str(r.Label)
		e.f32(r.Score)
		e.u32s(r.Evidence)
	}
	e.prov(p.Provenance)
	return e.seal()
}

func decodePredictions(v []byte) (Predictions, error) {
	d, err := openRecord("predictions", v, predictionsVersion)
	if err != nil {
		return Predictions{}, err
	}
	var p Predictions
	p.Stale = d.boolean()
	n := d.count(14)
	p.Rows = make([]Prediction, n)
	for i := 0; i < n && d.err == nil; i++ {
		r := Prediction{Entity: d.u64(), Label: d.str(), Score: d.f32()}
		if ev := d.u32s(); len(ev) > 0 {
			r.Evidence = ev
		}
		p.Rows[i] = r
	}
	p.Provenance = d.prov()
	if err := d.done(); err != nil {
		return Predictions{}, err
	}
	return p, nil
}
