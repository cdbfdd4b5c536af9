package store

import (
	"fmt"
)

// ModelRecord is the provenance of a model whose weights are the blob of
// kind vocab.BlobModel and the same name: what it was trained on, with
// which parameters, and its scores (in Provenance.Params, model-defined
// JSON). Provenance.ModelVersion identifies the weights.
type ModelRecord struct {
	Name       string     `json:"name"`
	Provenance Provenance `json:"provenance"`
}

// Inside the models bucket (schema 4): name → model record (version 1):
// str name, provenance.

// PutModel stores r, replacing any record of that name. Write the weights
// blob in the same transaction: Verify reports a record without its blob.
func (tx *Tx) PutModel(r ModelRecord) error {
	if err := tx.writable(); err != nil {
		return err
	}
	if err := checkName("model", r.Name); err != nil {
		return err
	}
	b, err := tx.bucket(bModels)
	if err != nil {
		return err
	}
	r.Provenance = tx.stamp(r.Provenance)
	return b.Put([]byte(r.Name), encodeModelRecord(r))
}

// Model returns model name's record; ErrNotFound when absent.
func (tx *Tx) Model(name string) (ModelRecord, error) {
	b, err := tx.bucket(bModels)
	if err != nil {
		return ModelRecord{}, err
	}
	v := b.Get([]byte(name))
	if v == nil {
		return ModelRecord{}, fmt.Errorf("%w: model %q", ErrNotFound, name)
	}
	r, err := decodeModelRecord(v)
	if err != nil {
		return ModelRecord{}, fmt.Errorf("model %q: %w", name, err)
	}
	return r, nil
}

// Models lists the model records by name.
func (tx *Tx) Models() ([]ModelRecord, error) {
	b, err := tx.bucket(bModels)
	if err != nil {
		return nil, err
	}
	var out []ModelRecord
	err = b.ForEach(func(k, v []byte) error {
		r, err := decodeModelRecord(v)
		if err != nil {
			return fmt.Errorf("model %q: %w", k, err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

const modelRecordVersion = 1

func encodeModelRecord(r ModelRecord) []byte {
	e := newEnc(modelRecordVersion, 64+len(r.Name)+len(r.Provenance.Params))
	e.str(r.Name)
	e.prov(r.Provenance)
	return e.seal()
}

func decodeModelRecord(v []byte) (ModelRecord, error) {
	d, err := openRecord("model record", v, modelRecordVersion)
	if err != nil {
		return ModelRecord{}, err
	}
	var r ModelRecord
	r.Name = d.str()
	r.Provenance = d.prov()
	if err := d.done(); err != nil {
		return ModelRecord{}, err
	}
	return r, nil
}
