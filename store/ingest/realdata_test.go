package ingest

import (
	"context"
	"genestore/vocab"
	"path/filepath"
	"testing"
)

func TestRealPBMCSmall(t *testing.T) {
	dir := filepath.Join(sharedData(t), "pbmc_small")
	ds, err := Read(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Format != FormatMTX || ds.X.Rows != 80 || ds.X.Cols != 230 || ds.X.NNZ() != 4456 || ds.Values != vocab.Counts {
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

// sameDataset compares matrices, barcodes and genes exactly.
func sameDataset(t *testing.T, a, b *Dataset) {
	t.Helper()
	if a.X.Rows != b.X.Rows || a.X.Cols != b.X.Cols || a.X.NNZ() != b.X.NNZ() {
		t.Fatalf("shape %d×%d nnz %d vs %d×%d nnz %d", a.X.Rows, a.X.Cols, a.X.NNZ(), b.X.Rows, b.X.Cols, b.X.NNZ())
	}
	for i := range a.Barcodes {
		if a.Barcodes[i] != b.Barcodes[i] {
			t.Fatalf("barcode %d: %q vs %q", i, a.Barcodes[i], b.Barcodes[i])
		}
	}
	for i := range a.Genes {
		if a.Genes[i] != b.Genes[i] {
			t.Fatalf("gene %d: %+v vs %+v", i, a.Genes[i], b.Genes[i])
		}
	}
	for i := range a.X.Indptr {
		if a.X.Indptr[i] != b.X.Indptr[i] {
			t.Fatalf("indptr %d: %d vs %d", i, a.X.Indptr[i], b.X.Indptr[i])
		}
	}
	for k := range a.X.Data {
		if a.X.Indices[k] != b.X.Indices[k] || a.X.Data[k] != b.X.Data[k] {
			t.Fatalf("entry %d: (%d, %v) vs (%d, %v)", k, a.X.Indices[k], a.X.Data[k], b.X.Indices[k], b.X.Data[k])
		}
	}
}

func TestRealH5ADMatchesMTX(t *testing.T) {
	data := sharedData(t)
	cases := []struct {
		dir          string
		cells, genes int
		long         bool
	}{
		{"lung_treutlein2014_mouse", 185, 218, false},
		{"hsmm_myoblast", 271, 47192, false},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			ctx := context.Background()
			h, err := Read(ctx, filepath.Join(data, c.dir, c.dir+".h5ad"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			m, err := Read(ctx, filepath.Join(data, c.dir), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if h.Format != FormatH5AD || h.X.Rows != c.cells || h.X.Cols != c.genes {
				t.Fatalf("h5ad %s %d×%d, want %d×%d", h.Format, h.X.Rows, h.X.Cols, c.cells, c.genes)
			}
			if h.Values != vocab.Normalized || m.Values != vocab.Normalized {
				t.Fatalf("values h5ad %s mtx %s, want normalized (FPKM)", h.Values, m.Values)
			}
			sameDataset(t, h, m)
			// Every obs column of obs.csv is in the h5ad, with equal text
			// for categoricals.
			for _, mc := range m.Obs {
				hc := h.Column(mc.Name)
				if hc == nil {
					t.Errorf("h5ad lacks obs column %q", mc.Name)
					continue
				}
				if hc.Categorical && mc.Categorical {
					for i := range hc.Values {
						if hc.Values[i] != mc.Values[i] {
							t.Errorf("obs %s[%d]: h5ad %q vs csv %q", mc.Name, i, hc.Values[i], mc.Values[i])
							break
						}
					}
				}
			}
		})
	}
}

// TestRealMTXFolders reads every dataset folder of the shared data and
// checks the shape and nonzeros against its meta.json.
func TestRealMTXFolders(t *testing.T) {
	data := sharedData(t)
	for _, c := range []struct {
		dir               string
		cells, genes, nnz int
		values            vocab.ValueType
		obs               int // columns besides barcode in obs.csv
	}{
		{"pbmc_small", 80, 230, 4456, vocab.Counts, 7},
		{"pbmc3k_sct283", 283, 914, 82904, vocab.Counts, 0}, // obs.csv holds only barcodes
		{"hsmm_myoblast", 271, 47192, 2017470, vocab.Normalized, 8},
		{"lung_treutlein2014_mouse", 185, 218, 18944, vocab.Normalized, 16},
	} {
		ds, err := Read(context.Background(), filepath.Join(data, c.dir), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if ds.X.Rows != c.cells || ds.X.Cols != c.genes || ds.X.NNZ() != c.nnz || ds.Values != c.values {
			t.Errorf("%s: %d×%d nnz %d %s; want %d×%d nnz %d %s", c.dir, ds.X.Rows, ds.X.Cols, ds.X.NNZ(), ds.Values, c.cells, c.genes, c.nnz, c.values)
		}
		if len(ds.Obs) != c.obs {
			t.Errorf("%s: %d obs columns, want %d", c.dir, len(ds.Obs), c.obs)
		}
	}
}
