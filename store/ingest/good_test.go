package ingest

import (
	"context"
	"genestore/vocab"
	"path/filepath"
	"testing"
)

// TestGoodFixtures reads the tiny dataset from every format and checks each
// reader yields the same matrix, barcodes and genes.
func TestGoodFixtures(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "testdata", "ingest")
	cases := []struct {
		path   string
		opts   Options
		format string
		ids    bool // the format carries gene ids and symbols
		obs    bool // obs columns cell_type and n_counts expected
		values vocab.ValueType
	}{
		{"tiny_v3", Options{}, FormatMTX, true, true, vocab.Counts},
		{"tiny_v3/matrix.mtx.gz", Options{}, FormatMTX, true, true, vocab.Counts},
		{"tiny_v2", Options{Obs: filepath.Join(dir, "tiny_obs.csv")}, FormatMTX, true, true, vocab.Counts},
		{"tiny_genes_by_cells.csv", Options{}, FormatCSV, false, false, vocab.Counts},
		{"tiny_cells_by_genes.tsv.gz", Options{Transpose: true, Obs: filepath.Join(dir, "tiny_obs.csv")}, FormatCSV, false, true, vocab.Counts},
		{"tiny_csr.h5ad", Options{}, FormatH5AD, true, true, vocab.Counts},
		{"tiny_csc.h5ad", Options{}, FormatH5AD, true, true, vocab.Counts},
		{"tiny_dense.h5ad", Options{}, FormatH5AD, true, true, vocab.Counts},
		{"tiny_layers.h5ad", Options{}, FormatH5AD, true, true, vocab.Counts},
		{"tiny_csr.h5ad", Options{Values: vocab.Log}, FormatH5AD, true, true, vocab.Log},
		{"tiny_v3.h5", Options{}, FormatTenxH5, true, false, vocab.Counts},
		{"tiny_v2.h5", Options{}, FormatTenxH5, true, false, vocab.Counts},
		{"tiny_legacy_categories.h5ad", Options{}, FormatH5AD, true, true, vocab.Counts},
		{"tiny_v3.h5", Options{Format: FormatTenxH5, Obs: filepath.Join(dir, "tiny_obs.csv")}, FormatTenxH5, true, true, vocab.Counts},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			ds, err := Read(context.Background(), filepath.Join(dir, c.path), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if ds.Format != c.format || ds.Values != c.values {
				t.Errorf("format %s values %s, want %s %s", ds.Format, ds.Values, c.format, c.values)
			}
			if ds.X.Rows != 4 || ds.X.Cols != 5 || ds.X.NNZ() != len(tinyEntries) {
				t.Fatalf("%d×%d nnz %d, want 4×5 nnz %d", ds.X.Rows, ds.X.Cols, ds.X.NNZ(), len(tinyEntries))
			}
			for cell := 0; cell < 4; cell++ {
				if ds.Barcodes[cell] != tinyBarcodes[cell] {
					t.Errorf("barcode %d = %q, want %q", cell, ds.Barcodes[cell], tinyBarcodes[cell])
				}
				idx, val := ds.X.Row(cell)
				dense := make([]float32, 5)
				for k, g := range idx {
					dense[g] = val[k]
				}
				for g := range dense {
					if dense[g] != tinyDense[cell][g] {
						t.Errorf("X[%d,%d] = %v, want %v", cell, g, dense[g], tinyDense[cell][g])
					}
				}
			}
			for g := range ds.Genes {
				want := Gene{ID: tinyIDs[g], Symbol: tinySymbols[g]}
				if !c.ids {
					want.Symbol = tinyIDs[g]
				}
				if ds.Genes[g] != want {
					t.Errorf("gene %d = %+v, want %+v", g, ds.Genes[g], want)
				}
			}
			if !c.obs {
				if len(ds.Obs) != 0 {
					t.Errorf("unexpected obs %+v", ds.Obs)
				}
				return
			}
			ct := ds.Column("cell_type")
			if ct == nil || !ct.Categorical {
				t.Fatalf("cell_type column %+v", ct)
			}
			wantCT := []string{"T cell", "B cell, naive", "", "T cell"}
			for i, v := range wantCT {
				if ct.Values[i] != v {
					t.Errorf("cell_type[%d] = %q, want %q", i, ct.Values[i], v)
				}
			}
			nc := ds.Column("n_counts")
			if nc == nil || nc.Categorical || nc.Values[0] != "4" || nc.Values[1] != "7" {
				t.Errorf("n_counts column %+v", nc)
			}
			if len(ds.SHA256) != 64 {
				t.Errorf("SHA256 %q", ds.SHA256)
			}
		})
	}
}
