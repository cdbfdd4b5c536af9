package store

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"genestore/internal/testutil/shareddata"
	"genestore/store/ingest"
	"genestore/vocab"
)

// sharedData returns ../shared/data relative to the module root, or skips.
func sharedData(t *testing.T) string {
	return shareddata.Dir(t)
}

// TestRealDataRoundTrip ingests the shared sample datasets and checks that
// everything read back equals what the reader produced, with the counts
// the data README gives.
func TestRealDataRoundTrip(t *testing.T) {
	data := sharedData(t)
	ctx := context.Background()
	db := openTemp(t)
	tests := []struct {
		name, path   string
		cells, genes int
		nnz          int64
		dupSymbols   int
		wantValues   vocab.ValueType
	}{
		{"pbmc_small", "pbmc_small", 80, 230, 4456, 0, vocab.Counts},
		{"lung", "lung_treutlein2014_mouse/lung_treutlein2014_mouse.h5ad", 185, 218, -1, -1, ""},
		{"hsmm", "hsmm_myoblast", 271, 47192, -1, 198, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := ingest.Read(ctx, filepath.Join(data, tc.path), ingest.Options{})
			if err != nil {
				t.Fatalf("ingest: %v", err)
			}
			info, err := db.AddDataset(ctx, tc.name, ds, AddOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if info.Cells != tc.cells || info.Genes != tc.genes || (tc.nnz >= 0 && info.NNZ != tc.nnz) {
				t.Errorf("%d cells × %d genes, %d nnz; want %d × %d, %d", info.Cells, info.Genes, info.NNZ, tc.cells, tc.genes, tc.nnz)
			}
			if tc.dupSymbols >= 0 && info.DuplicateSymbols != tc.dupSymbols {
				t.Errorf("duplicate symbols %d, want %d", info.DuplicateSymbols, tc.dupSymbols)
			}
			if tc.wantValues != "" && info.Values != tc.wantValues {
				t.Errorf("values %q, want %q", info.Values, tc.wantValues)
			}
			err = db.View(func(tx *Tx) error {
				m, err := tx.Matrix(info.ID)
				if err != nil {
					return err
				}
				csrEqual(t, "matrix", m, ds.X)
				bc, err := tx.Barcodes(info.ID)
				if err != nil || !reflect.DeepEqual(bc, ds.Barcodes) {
					t.Errorf("barcodes differ (%v)", err)
				}
				for _, c := range ds.Obs {
					got, err := tx.Obs(info.ID, c.Name)
					if err != nil || !reflect.DeepEqual(got, c) {
						t.Errorf("obs %q differs (%v)", c.Name, err)
					}
				}
				ids, err := tx.DatasetGenes(info.ID)
				if err != nil {
					return err
				}
				distinct := map[uint32]bool{}
				for i, id := range ids {
					distinct[id] = true
					g, err := tx.Gene(id)
					if err != nil {
						return err
					}
					want := ds.Genes[i].Symbol
					if want == "" {
						want = ds.Genes[i].ID
					}
					if g.Symbol != want {
						t.Fatalf("column %d: gene %q, want %q", i, g.Symbol, want)
					}
				}
				if len(distinct) != len(ids) {
					t.Errorf("%d columns map to %d distinct genes", len(ids), len(distinct))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	// A second copy of pbmc_small under another name joins every gene.
	again, err := ingest.Read(ctx, filepath.Join(data, "pbmc_small"), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddDataset(ctx, "pbmc_small_again", again, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *Tx) error {
		a, errA := tx.DatasetByName("pbmc_small")
		b, errB := tx.DatasetByName("pbmc_small_again")
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		ga, _ := tx.DatasetGenes(a.ID)
		gb, _ := tx.DatasetGenes(b.ID)
		in := map[uint32]bool{}
		for _, g := range ga {
			in[g] = true
		}
		shared := 0
		for _, g := range gb {
			if in[g] {
				shared++
			}
		}
		if shared != len(gb) || !reflect.DeepEqual(ga, gb) {
			t.Errorf("second copy shares %d of %d genes", shared, len(gb))
		}
		return nil
	})
}
