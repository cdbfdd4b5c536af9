package ingest

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestH5ADBoolAndNullableColumns reads obs columns that used to be dropped
// without a word: h5py booleans and anndata ≥ 0.9's nullable encodings
// (testdata/ingest/tiny_nullable.h5ad, written by tiny_nullable.py).
func TestH5ADBoolAndNullableColumns(t *testing.T) {
	ds, err := Read(context.Background(), filepath.Join("..", "..", "testdata", "ingest", "tiny_nullable.h5ad"), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := []ObsColumn{
		{Name: "is_doublet", Categorical: true, Values: []string{"True", "False", "True"}},
		{Name: "n_genes", Values: []string{"120", "", "75"}},
		{Name: "passed", Categorical: true, Values: []string{"True", "False", ""}},
		{Name: "donor", Categorical: true, Values: []string{"d1", "", "d2"}},
	}
	if len(ds.Obs) != len(want) {
		t.Fatalf("obs columns %v, want %v", ds.Obs, want)
	}
	for i, c := range ds.Obs {
		if c.Name != want[i].Name || c.Categorical != want[i].Categorical || !slices.Equal(c.Values, want[i].Values) {
			t.Errorf("column %d = %+v, want %+v", i, c, want[i])
		}
	}
}

// TestH5ADUnreadableObsColumnNamed: an obs column of an encoding genestore
// cannot decode is an error naming the column, not a silent drop.
func TestH5ADUnreadableObsColumnNamed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd.h5ad")
	w := newH5W(path)
	w.ds("/X", []float32{1, 2, 3, 4}, []uint64{2, 2}, "encoding-type", "array", "encoding-version", "0.2.0")
	w.group("/obs", "encoding-type", "dataframe", "encoding-version", "0.2.0", "_index", "_index", "column-order", []string{"weird"})
	w.ds("/obs/_index", []string{"c1", "c2"}, nil)
	w.group("/obs/weird", "encoding-type", "awkward-array", "encoding-version", "0.1.0")
	w.group("/var", "encoding-type", "dataframe", "encoding-version", "0.2.0", "_index", "_index")
	w.ds("/var/_index", []string{"G1", "G2"}, nil)
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	_, err := Read(context.Background(), path, DefaultOptions())
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), `obs column "weird"`) || !strings.Contains(err.Error(), "awkward-array") {
		t.Fatalf("err = %v, want ErrFormat naming obs column weird and its encoding", err)
	}
}

// TestH5ADBadGeneNames: a gene with an empty var index entry and an empty
// (or absent) gene_ids entry, or with a NUL byte in its name or id, is
// refused by the reader naming the file, the object and the entry, not
// later by the store without a file name.
func TestH5ADBadGeneNames(t *testing.T) {
	for _, c := range []struct {
		name       string
		index, ids []string // ids nil: no gene_ids column
		want       string
	}{
		{"emptyBoth", []string{"A", "", "C"}, []string{"A", "", "C"}, "var/_index and var/gene_ids: gene at entry 1 has an empty name and no id"},
		{"emptyNoIDs", []string{"A", "", "C"}, nil, "var/_index: gene at entry 1 has an empty name and no id"},
		{"nulName", []string{"A", "B\x00x", "C"}, []string{"E1", "E2", "E3"}, "var/_index: gene name"},
		{"nulID", []string{"A", "B", "C"}, []string{"E1", "E2", "E\x003"}, "var/gene_ids: gene id"},
	} {
		path := filepath.Join(t.TempDir(), c.name+".h5ad")
		w := newH5W(path)
		w.ds("/X", []float32{1, 2, 3, 4, 5, 6}, []uint64{2, 3}, "encoding-type", "array", "encoding-version", "0.2.0")
		w.group("/obs", "encoding-type", "dataframe", "encoding-version", "0.2.0", "_index", "_index")
		w.ds("/obs/_index", []string{"c1", "c2"}, nil)
		if c.ids == nil {
			w.group("/var", "encoding-type", "dataframe", "encoding-version", "0.2.0", "_index", "_index")
		} else {
			w.group("/var", "encoding-type", "dataframe", "encoding-version", "0.2.0", "_index", "_index", "column-order", []string{"gene_ids"})
			w.ds("/var/gene_ids", c.ids, nil)
		}
		w.ds("/var/_index", c.index, nil)
		if err := w.close(); err != nil {
			t.Fatal(err)
		}
		ds, err := Read(context.Background(), path, DefaultOptions())
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			var genes []Gene
			if ds != nil {
				genes = ds.Genes
			}
			t.Errorf("%s: genes %q, err = %v, want ErrFormat naming %s and %q", c.name, genes, err, path, c.want)
		}
	}
}
