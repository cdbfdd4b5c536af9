package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"genestore/store"
	"genestore/vocab"
)

// SpatialNeighbor is one spot near the query spot.
type SpatialNeighbor struct {
	Rank     int     `json:"rank"`
	Cell     uint32  `json:"cell"`
	Barcode  string  `json:"barcode"`
	X        float64 `json:"x"`
	Y        float64 `json:"y"`
	Distance float64 `json:"distance"` // Euclidean, in the coordinates' units
	// Cosine is the cosine similarity of the two spots' cell embeddings;
	// absent when the store holds none for the dataset.
	Cosine *float64 `json:"cosine,omitempty"`
}

// SpatialNeighborsResult is the answer of SpatialNeighbors.
type SpatialNeighborsResult struct {
	Dataset      string            `json:"dataset"`
	Barcode      string            `json:"barcode"`
	Cell         uint32            `json:"cell"`
	X            float64           `json:"x"`
	Y            float64           `json:"y"`
	K            int               `json:"k"`
	ModelVersion string            `json:"model_version,omitempty"` // of the cell embeddings compared
	Neighbors    []SpatialNeighbor `json:"neighbors"`
}

// SpatialNeighbors returns the k spots of a spatial dataset nearest the
// spot with the given barcode in space (Euclidean distance of the stored
// coordinates, ties by cell index), each with the cosine similarity of the
// two spots' cell embeddings when the cell model has embedded the dataset.
// It reads the store only.
func SpatialNeighbors(ctx context.Context, db *store.DB, dataset, barcode string, k int) (*SpatialNeighborsResult, error) {
	if k < 1 {
		return nil, fmt.Errorf("%w: k = %d, want ≥ 1", ErrSpatial, k)
	}
	out := &SpatialNeighborsResult{Dataset: dataset, Barcode: barcode, K: k}
	var (
		coords   [][2]float64
		barcodes []string
		vecs     map[uint32][]float32
	)
	err := db.View(func(tx *store.Tx) error {
		info, err := tx.DatasetByName(dataset)
		if err != nil {
			return err
		}
		if coords, err = tx.SpotCoords(info.ID); err != nil {
			return err
		}
		if coords == nil {
			return fmt.Errorf("%w: dataset %q (modality %s) has no spot coordinates", ErrSpatial, dataset, info.Modality)
		}
		if out.Cell, err = tx.CellByBarcode(info.ID, barcode); err != nil {
			return err
		}
		if barcodes, err = tx.Barcodes(info.ID); err != nil {
			return err
		}
		ids, dim, flat, err := tx.Embeddings(vocab.SpaceCells, info.ID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && len(ids) == 0) {
			return nil
		}
		if err != nil {
			return err
		}
		vecs = make(map[uint32][]float32, len(ids))
		for i, id := range ids {
			vecs[id] = flat[i*dim : (i+1)*dim]
		}
		sp, err := tx.Space(vocab.SpaceCells)
		if err == nil {
			for _, s := range sp.Sets {
				if s.Dataset == info.ID {
					out.ModelVersion = s.Provenance.ModelVersion
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q := coords[out.Cell]
	out.X, out.Y = q[0], q[1]
	type cand struct {
		cell uint32
		d    float64
	}
	cands := make([]cand, 0, len(coords)-1)
	for i, c := range coords {
		if uint32(i) != out.Cell {
			cands = append(cands, cand{uint32(i), math.Hypot(c[0]-q[0], c[1]-q[1])})
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if c := cmp.Compare(a.d, b.d); c != 0 {
			return c
		}
		return cmp.Compare(a.cell, b.cell)
	})
	qv := vecs[out.Cell]
	for r, c := range cands[:min(k, len(cands))] {
		n := SpatialNeighbor{Rank: r + 1, Cell: c.cell, Barcode: barcodes[c.cell], X: coords[c.cell][0], Y: coords[c.cell][1], Distance: c.d}
		if v, ok := vecs[c.cell]; ok && qv != nil {
			cos := cosine(qv, v)
			n.Cosine = &cos
		}
		out.Neighbors = append(out.Neighbors, n)
	}
	return out, nil
}

// cosine is the cosine similarity of a and b (0 when either is zero).
func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i, x := range a {
		ab += float64(x) * float64(b[i])
		aa += float64(x) * float64(x)
		bb += float64(b[i]) * float64(b[i])
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}
