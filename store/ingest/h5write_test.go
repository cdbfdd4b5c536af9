package ingest

import (
	"fmt"
	"testing"

	"github.com/scigolib/hdf5"
)

// h5w builds small HDF5 files for fixtures and fuzz seeds with the writer
// of scigolib/hdf5. Attributes are given as name, value pairs.
type h5w struct {
	fw  *hdf5.FileWriter
	err error
}

func newH5W(path string) *h5w {
	fw, err := hdf5.CreateForWrite(path, hdf5.CreateTruncate)
	return &h5w{fw: fw, err: err}
}

func (w *h5w) group(p string, attrs ...any) *h5w {
	if w.err != nil {
		return w
	}
	g, err := w.fw.CreateGroup(p)
	if err != nil {
		w.err = fmt.Errorf("group %s: %w", p, err)
		return w
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		if err := g.WriteAttribute(attrs[i].(string), attrs[i+1]); err != nil {
			w.err = fmt.Errorf("group %s attr %v: %w", p, attrs[i], err)
			return w
		}
	}
	return w
}

// fixedStrings is written as a fixed-length string dataset (as Cell Ranger
// writes barcodes and feature ids), []string as variable-length.
type fixedStrings []string

// ds writes a dataset; dims defaults to one dimension of len(data).
func (w *h5w) ds(p string, data any, dims []uint64, attrs ...any) *h5w {
	if w.err != nil {
		return w
	}
	var dt hdf5.Datatype
	var n int
	var opts []hdf5.DatasetOption
	switch v := data.(type) {
	case fixedStrings:
		size := 1
		for _, x := range v {
			size = max(size, len(x))
		}
		dt, n = hdf5.String, len(v)
		opts = append(opts, hdf5.WithStringSize(uint32(size)))
		data = []string(v)
	case []float32:
		dt, n = hdf5.Float32, len(v)
	case []float64:
		dt, n = hdf5.Float64, len(v)
	case []int32:
		dt, n = hdf5.Int32, len(v)
	case []int64:
		dt, n = hdf5.Int64, len(v)
	case []int8:
		dt, n = hdf5.Int8, len(v)
	case []string:
		dt, n = hdf5.VLenString, len(v)
	default:
		w.err = fmt.Errorf("ds %s: unsupported %T", p, data)
		return w
	}
	if dims == nil {
		dims = []uint64{uint64(n)}
	}
	d, err := w.fw.CreateDataset(p, dt, dims, opts...)
	if err != nil {
		w.err = fmt.Errorf("dataset %s: %w", p, err)
		return w
	}
	if err := d.Write(data); err != nil {
		w.err = fmt.Errorf("write %s: %w", p, err)
		return w
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		if err := d.WriteAttribute(attrs[i].(string), attrs[i+1]); err != nil {
			w.err = fmt.Errorf("dataset %s attr %v: %w", p, attrs[i], err)
			return w
		}
	}
	return w
}

func (w *h5w) close() error {
	if w.fw != nil {
		if err := w.fw.Close(); err != nil && w.err == nil {
			w.err = err
		}
	}
	return w.err
}

func TestH5WriterProbe(t *testing.T) {
	p := t.TempDir() + "/a.h5ad"
	w := newH5W(p)
	w.group("/X", "encoding-type", "csr_matrix", "encoding-version", "0.1.0", "shape", []int64{2, 3})
	w.ds("/X/data", []float32{1, 2, 3}, nil)
	w.ds("/X/indices", []int32{0, 2, 1}, nil)
	w.ds("/X/indptr", []int32{0, 2, 3}, nil)
	w.group("/obs", "_index", "_index", "column-order", []string{"cat", "n"}, "encoding-type", "dataframe")
	w.ds("/obs/_index", []string{"AAA", "CCC"}, nil)
	w.ds("/obs/n", []float64{1.5, 2}, nil)
	w.group("/obs/cat", "encoding-type", "categorical")
	w.ds("/obs/cat/categories", []string{"x", "y"}, nil)
	w.ds("/obs/cat/codes", []int8{1, -1}, nil)
	w.group("/var", "_index", "_index")
	w.ds("/var/_index", []string{"g1", "g2", "g3"}, nil)
	w.ds("/var/gene_ids", []string{"E1", "E2", "E3"}, nil)
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	ds, err := Read(t.Context(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v %+v", ds, ds.X)
}
