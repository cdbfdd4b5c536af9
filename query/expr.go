package query

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"genestore/vocab"
)

// Layers is the optional part of a Reader that reads derived layers of
// datasets (predicted expression, written by the pipeline's Predict). A
// Reader without it answers PredictedExpr with ErrNotComputed.
type Layers interface {
	// LayerGene returns gene's value in every cell of the dataset's layer,
	// in cell order, and what the layer records about how it was made
	// (ErrNoLayer when there is no such layer, ErrNotFound when the gene is
	// not in it).
	LayerGene(ctx context.Context, dataset uint32, layer string, gene uint32) (LayerValues, error)
}

// LayerValues are one gene's values in a layer with the layer's provenance.
type LayerValues struct {
	Values []float32
	// Model is the version of the model that wrote the layer; Stale is
	// true when the store's model of that name has changed since.
	Model string
	Stale bool
	// LandmarksPresent and LandmarksMissing: of the model's landmarks, how
	// many the dataset measures and how many were filled.
	LandmarksPresent, LandmarksMissing int
}

// PredictedExpr is a gene's predicted expression over a dataset's cells.
type PredictedExpr struct {
	Dataset          string    `json:"dataset"`
	Gene             string    `json:"gene"`
	GeneID           uint32    `json:"gene_id"`
	Layer            string    `json:"layer"`
	Model            string    `json:"model"`
	Stale            bool      `json:"stale"`
	Cells            int       `json:"cells"`
	Mean             float64   `json:"mean"`
	SD               float64   `json:"sd"`
	Min              float64   `json:"min"`
	Median           float64   `json:"median"`
	Max              float64   `json:"max"`
	LandmarksPresent int       `json:"landmarks_present"`
	LandmarksMissing int       `json:"landmarks_missing"`
	Barcodes         []string  `json:"barcodes"`
	Values           []float32 `json:"values"`
}

// PredictedExpr returns gene symbol's values in layer (default
// vocab.LayerPredicted) of dataset, cell by cell with barcodes, and their
// summary. The symbol is matched ignoring case, the exact spelling first;
// several other spellings in the layer (CD3E and Cd3e for "cd3e") are
// ErrAmbiguous.
func (e *Engine) PredictedExpr(ctx context.Context, dataset, symbol, layer string) (*PredictedExpr, error) {
	if e.r == nil {
		return viewed(ctx, e, func(s *Engine) (*PredictedExpr, error) { return s.PredictedExpr(ctx, dataset, symbol, layer) })
	}
	lb, ok := e.r.(Layers)
	if !ok {
		return nil, fmt.Errorf("%w: this backend reads no derived layers", ErrNotComputed)
	}
	if layer == "" {
		layer = vocab.LayerPredicted
	}
	_, ds, err := e.names(ctx)
	if err != nil {
		return nil, err
	}
	d, err := e.datasetID(ds, dataset)
	if err != nil {
		return nil, err
	}
	gs, err := e.r.GenesBySymbol(ctx, symbol)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(gs, func(a, b Gene) int { // exact spelling first
		switch {
		case a.Symbol == symbol && b.Symbol != symbol:
			return -1
		case a.Symbol != symbol && b.Symbol == symbol:
			return 1
		}
		return 0
	})
	var lv LayerValues
	var gene *Gene
	var others []string // other spellings in the layer, when the first found is not exact
	for i := range gs {
		if gene != nil && (gene.Symbol == symbol || gs[i].Symbol == gene.Symbol || slices.Contains(others, gs[i].Symbol)) {
			continue
		}
		x, err := lb.LayerGene(ctx, d, layer, gs[i].ID)
		if err == nil {
			if gene == nil {
				lv, gene = x, &gs[i]
			} else {
				others = append(others, gs[i].Symbol)
			}
			continue
		}
		if errors.Is(err, ErrNoLayer) {
			return nil, fmt.Errorf("%w: dataset %q has no layer %q", ErrNotFound, dataset, layer)
		}
		if !errors.Is(err, ErrNotFound) { // only "gene not in the layer" tries the next spelling
			return nil, err
		}
	}
	if gene == nil {
		return nil, fmt.Errorf("%w: gene %q in the %q layer of dataset %q", ErrNotFound, symbol, layer, dataset)
	}
	if len(others) > 0 { // as ResolveGene: never picked silently from several
		return nil, fmt.Errorf("%w: gene %q matches %s in the %q layer of dataset %q; give the exact symbol",
			ErrAmbiguous, symbol, strings.Join(append([]string{gene.Symbol}, others...), ", "), layer, dataset)
	}
	cells := make([]uint32, len(lv.Values))
	for i := range cells {
		cells[i] = uint32(i)
	}
	bc, err := e.r.Barcodes(ctx, d, cells)
	if err != nil {
		return nil, err
	}
	out := &PredictedExpr{Dataset: dataset, Gene: gene.Symbol, GeneID: gene.ID, Layer: layer, Model: lv.Model, Stale: lv.Stale,
		Cells: len(lv.Values), LandmarksPresent: lv.LandmarksPresent, LandmarksMissing: lv.LandmarksMissing,
		Barcodes: bc, Values: lv.Values}
	if n := len(lv.Values); n > 0 {
		s := slices.Clone(lv.Values)
		slices.Sort(s)
		out.Min, out.Max, out.Median = float64(s[0]), float64(s[n-1]), float64(s[n/2])
		if n%2 == 0 {
			out.Median = (float64(s[n/2-1]) + float64(s[n/2])) / 2
		}
		var sum, sq float64
		for _, v := range lv.Values {
			sum += float64(v)
		}
		out.Mean = sum / float64(n)
		for _, v := range lv.Values {
			sq += (float64(v) - out.Mean) * (float64(v) - out.Mean)
		}
		out.SD = math.Sqrt(sq / float64(n))
	}
	return out, nil
}
