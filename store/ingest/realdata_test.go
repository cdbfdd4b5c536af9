package ingest

import (
	"context"
	"path/filepath"
	"testing"
)

func TestRealPBMCSmall(t *testing.T) {
	dir := filepath.Join(sharedData(t), "pbmc_small")
	ds, err := Read(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Format != FormatMTX || ds.X.Rows != 80 || ds.X.Cols != 230 || ds.X.NNZ() != 4456 || ds.Values != Counts {
		t.Fatalf("got %s %d×%d nnz %d values %s; want mtx 80×230 nnz 4456 counts", ds.Format, ds.X.Rows, ds.X.Cols, ds.X.NNZ(), ds.Values)
	}
	if len(ds.Obs) != 7 {
		t.Fatalf("obs columns %d, want 7", len(ds.Obs))
	}
	if c := ds.Column("groups"); c == nil || !c.Categorical || c.Values[0] != "g2" {
		t.Fatalf("groups column: %+v", c)
	}
	if c := ds.Column("nCount_RNA"); c == nil || c.Categorical || c.Values[0] != "70" {
		t.Fatalf("nCount_RNA column: %+v", c)
	}
	// Row sums of cell 0 equal nCount_RNA (70) in the Seurat object.
	_, vals := ds.X.Row(0)
	var sum float32
	for _, v := range vals {
		sum += v
	}
	if sum != 70 || len(vals) != 47 {
		t.Fatalf("cell 0: sum %v over %d genes, want 70 over 47", sum, len(vals))
	}
	if len(ds.SHA256) != 64 {
		t.Fatalf("sha %q", ds.SHA256)
	}
}
