package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"genestore/query"
	"genestore/store"
	"genestore/vocab"
)

var _ query.Layers = (*snap)(nil)

// LayerGene implements query.Layers: the layer's values for gene, and the
// landmark counts of its provenance (the pipeline's PredictParams).
func (s *snap) LayerGene(ctx context.Context, dataset uint32, layer string, gene uint32) (query.LayerValues, error) {
	var out query.LayerValues
	err := s.view(func(tx *store.Tx) error {
		l, err := tx.Layer(dataset, layer)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: %q of dataset %d", query.ErrNoLayer, layer, dataset)
		}
		if err != nil {
			return err
		}
		if out.Values, err = tx.LayerGene(dataset, layer, gene); err != nil {
			return err
		}
		out.Model = l.Provenance.ModelVersion
		var p struct {
			Present int `json:"landmarks_present"`
			Missing int `json:"landmarks_missing"`
		}
		if json.Unmarshal(l.Provenance.Params, &p) == nil {
			out.LandmarksPresent, out.LandmarksMissing = p.Present, p.Missing
		}
		rec, err := tx.Model(vocab.ModelExpr)
		switch {
		case err == nil:
			out.Stale = rec.Provenance.ModelVersion != out.Model
		case errors.Is(err, store.ErrNotFound):
			out.Stale = true
		default:
			return err
		}
		return nil
	})
	return out, err
}
