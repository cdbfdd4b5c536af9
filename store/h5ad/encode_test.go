package h5ad

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/scigolib/hdf5"

	"genestore/store/ingest"
)

// memFile is an in-memory io.WriterAt.
type memFile struct{ b []byte }

func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	if end := int(off) + len(p); end > len(m.b) {
		m.b = append(m.b, make([]byte, end-len(m.b))...)
	}
	return copy(m.b[off:], p), nil
}

func sample() *AnnData {
	return &AnnData{
		Obs: Frame{Index: []string{"c1", "c2", "c3"}, Columns: []Column{
			{Name: "dataset", Categorical: &Categorical{Categories: []string{"A", "B"}, Codes: []int32{0, 1, -1}}},
			{Name: "note", Strings: []string{"x", "", "ü"}},
			{Name: "score", Floats: []float64{1.5, math.NaN(), 3}},
			{Name: "n", Ints: []int64{1, 2, 3}},
			{Name: "flag", Bools: []bool{true, false, true}},
		}},
		Var:     Frame{Index: []string{"G1", "G2"}, Columns: []Column{{Name: "gene_ids", Strings: []string{"E1", "E2"}}}},
		XSparse: &CSR{Rows: 3, Cols: 2, Indptr: []int64{0, 1, 1, 3}, Indices: []int32{1, 0, 1}, Data: []float32{5, 1, 2}},
		Obsm:    []Named{{Name: "X_genestore", M: &Dense{Rows: 3, Cols: 2, Data: []float32{1, 2, 3, 4, 5, 6}}}},
		Uns: []Entry{{Name: "genestore", Value: []Entry{
			{Name: "model_version", Value: "m1"}, {Name: "generation", Value: int64(3)},
			{Name: "datasets", Value: []string{"A", "B"}}, {Name: "stale", Value: false},
		}}},
	}
}

func writeFile(t *testing.T, a *AnnData) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "a.h5ad")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Encode(f, a); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestEncodeReadsBack reads an encoded file with genestore's own h5ad reader
// (scigolib/hdf5): index, columns, matrix.
func TestEncodeReadsBack(t *testing.T) {
	ds, err := ingest.Read(context.Background(), writeFile(t, sample()), ingest.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.Barcodes, []string{"c1", "c2", "c3"}) {
		t.Errorf("barcodes %v", ds.Barcodes)
	}
	if len(ds.Genes) != 2 || ds.Genes[1].Symbol != "G2" || ds.Genes[1].ID != "E2" {
		t.Errorf("genes %v", ds.Genes)
	}
	want := map[string][]string{
		"dataset": {"A", "B", ""}, "note": {"x", "", "ü"}, "score": {"1.5", "", "3"},
		"n": {"1", "2", "3"}, "flag": {"True", "False", "True"},
	}
	if len(ds.Obs) != len(want) {
		t.Errorf("obs columns %v", ds.Obs)
	}
	for _, c := range ds.Obs {
		if !slices.Equal(c.Values, want[c.Name]) {
			t.Errorf("obs %q = %q, want %q", c.Name, c.Values, want[c.Name])
		}
	}
	x := ds.X
	if x.Rows != 3 || x.Cols != 2 || !slices.Equal(x.Indptr, []int64{0, 1, 1, 3}) || !slices.Equal(x.Data, []float32{5, 1, 2}) {
		t.Errorf("X = %+v", x)
	}
}

// TestScalarAttributes: the attributes anndata reads as scalars are HDF5
// scalars. One-element arrays (what the scigolib writer produced) make
// anndata 0.8 fail with "unhashable type: 'list'".
func TestScalarAttributes(t *testing.T) {
	f, err := hdf5.Open(writeFile(t, sample()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checked := 0
	f.Walk(func(p string, obj hdf5.Object) {
		var names []string
		scalar := map[string]bool{}
		// (the attribute type is internal to the library: no helper can name it)
		switch o := obj.(type) {
		case *hdf5.Group:
			as, err := o.Attributes()
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			for _, a := range as {
				names = append(names, a.Name)
				scalar[a.Name] = a.Dataspace.IsScalar()
			}
		case *hdf5.Dataset:
			as, err := o.Attributes()
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			for _, a := range as {
				names = append(names, a.Name)
				scalar[a.Name] = a.Dataspace.IsScalar()
			}
		}
		for _, n := range names {
			switch n {
			case "encoding-type", "encoding-version", "_index", "ordered":
				checked++
				if !scalar[n] {
					t.Errorf("%s: attribute %s is not a scalar", p, n)
				}
			case "column-order", "shape":
				if scalar[n] {
					t.Errorf("%s: attribute %s is a scalar, want an array", p, n)
				}
			}
		}
		if p != "/" && !slices.Contains(names, "encoding-type") && !isCSRPart(p) {
			t.Errorf("%s has no encoding-type", p)
		}
	})
	if checked < 20 {
		t.Errorf("checked %d scalar attributes; the walk missed the file", checked)
	}
}

func isCSRPart(p string) bool {
	switch filepath.Base(p) {
	case "data", "indices", "indptr":
		return filepath.Dir(p) == "/X"
	}
	return false
}

// TestEncodeDeterministic: the bytes depend only on the AnnData.
func TestEncodeDeterministic(t *testing.T) {
	var a, b memFile
	if err := Encode(&a, sample()); err != nil {
		t.Fatal(err)
	}
	if err := Encode(&b, sample()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.b, b.b) {
		t.Fatal("two encodings of one AnnData differ")
	}
}

// TestEncodeManyStrings spans several global heap collections (65,534
// strings each) and a group larger than the default symbol-table node.
func TestEncodeManyStrings(t *testing.T) {
	n := 66000
	a := &AnnData{Obs: Frame{Index: make([]string, n)}, Var: Frame{Index: []string{"g"}}}
	for i := range a.Obs.Index {
		a.Obs.Index[i] = "cell" + itoa(i)
	}
	for i := 0; i < 20; i++ {
		a.Obs.Columns = append(a.Obs.Columns, Column{Name: "c" + itoa(i), Ints: make([]int64, n)})
	}
	f, err := hdf5.Open(writeFile(t, a))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	cols := 0
	f.Walk(func(p string, obj hdf5.Object) {
		if d, ok := obj.(*hdf5.Dataset); ok && p == "/obs/_index" {
			b, err := d.ReadVLenBytes()
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range b {
				got = append(got, string(s))
			}
		}
		if filepath.Dir(p) == "/obs" && filepath.Base(p)[0] == 'c' {
			cols++
		}
	})
	if len(got) != n || got[0] != "cell0" || got[n-1] != "cell"+itoa(n-1) || got[65535] != "cell65535" {
		t.Fatalf("read %d names (first %q)", len(got), got[:1])
	}
	if cols != 20 {
		t.Errorf("%d obs columns, want 20", cols)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*AnnData)
	}{
		{"repeated obs name", func(a *AnnData) { a.Obs.Index[1] = "c1" }},
		{"short column", func(a *AnnData) { a.Obs.Columns[1].Strings = []string{"x"} }},
		{"two value kinds", func(a *AnnData) { a.Obs.Columns[3].Floats = []float64{1, 2, 3} }},
		{"code out of range", func(a *AnnData) { a.Obs.Columns[0].Categorical.Codes[0] = 2 }},
		{"reserved column name", func(a *AnnData) { a.Obs.Columns[0].Name = "_index" }},
		{"X shape", func(a *AnnData) { a.XSparse.Cols = 3 }},
		{"obsm rows", func(a *AnnData) { a.Obsm[0].M.Rows = 2 }},
		{"dense and sparse", func(a *AnnData) { a.X = &Dense{Rows: 3, Cols: 2, Data: make([]float32, 6)} }},
		// readers cut HDF5 strings at NUL and anndata decodes UTF-8 and
		// wants unique categories: such files would not open
		{"NUL in a string", func(a *AnnData) { a.Obs.Columns[1].Strings[0] = "T\x00cell" }},
		{"invalid UTF-8", func(a *AnnData) { a.Obs.Index[0] = "c\xff" }},
		{"NUL in a category", func(a *AnnData) { a.Obs.Columns[0].Categorical.Categories[1] = "B\x00" }},
		{"repeated category", func(a *AnnData) { a.Obs.Columns[0].Categorical.Categories[1] = "A" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sample()
			tt.modify(a)
			var m memFile
			if err := Encode(&m, a); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Encode = %v, want ErrInvalid", err)
			}
		})
	}
	var m memFile
	a := sample()
	a.Uns = append(a.Uns, Entry{Name: "a/b", Value: "x"})
	if err := Encode(&m, a); !errors.Is(err, ErrInvalid) {
		t.Fatalf("uns key with a slash: %v, want ErrInvalid", err)
	}
}
