package pipeline

import (
	"context"
	"errors"
	"testing"
)

// TestSpatialNeighborsOnSimulatedSection checks the spots nearest a spot of
// a simulated section: grid neighbours first, and, once the cell model has
// embedded the section, spatial neighbours more alike than spots far away.
func TestSpatialNeighborsOnSimulatedSection(t *testing.T) {
	ctx := context.Background()
	db, _ := multimodalStore(t, multimodalSim())
	co := DefaultCellOptions()
	co.Model.Epochs, co.Model.Latent, co.Model.Hidden, co.Model.Seed = 15, 8, 64, 1
	if _, err := TrainCells(ctx, db, co, nil, nil); err != nil {
		t.Fatal(err)
	}
	// Spot 210 sits at (10, 10) of the 20 × 20 grid.
	near, err := SpatialNeighbors(ctx, db, "D3", "D3_C000211", 4)
	if err != nil {
		t.Fatal(err)
	}
	if near.X != 10 || near.Y != 10 || near.ModelVersion == "" {
		t.Fatalf("query spot %+v", near)
	}
	var nearCos float64
	for _, n := range near.Neighbors {
		if n.Distance != 1 || n.Cosine == nil {
			t.Fatalf("neighbour %+v: want a grid neighbour with a cosine", n)
		}
		nearCos += *n.Cosine / 4
	}
	all, err := SpatialNeighbors(ctx, db, "D3", "D3_C000211", 399)
	if err != nil {
		t.Fatal(err)
	}
	var farCos float64
	far := all.Neighbors[len(all.Neighbors)-100:]
	for _, n := range far {
		farCos += *n.Cosine / float64(len(far))
	}
	t.Logf("cell-embedding cosine of the 4 grid neighbours %.3f, of the 100 farthest spots %.3f", nearCos, farCos)
	if nearCos <= farCos {
		t.Errorf("grid neighbours' cosine %.3f not above the farthest spots' %.3f", nearCos, farCos)
	}
	if _, err := SpatialNeighbors(ctx, db, "D1", "D1_C000001", 4); !errors.Is(err, ErrSpatial) {
		t.Errorf("rna dataset: %v", err)
	}
}
