package command

import (
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/scigolib/hdf5"
)

// writeH5AD writes rows as an AnnData file (anndata ≥ 0.8 on-disk layout):
// X is a dense float32 array (rows × dims); obs holds the row names as its
// index and a categorical "dataset" column; var names the dimensions dim0….
// The file is written under a temporary name and renamed when complete.
func writeH5AD(path string, rows *spaceRows) (err error) {
	tmp := path + ".tmp"
	fw, err := hdf5.CreateForWrite(tmp, hdf5.CreateTruncate)
	if err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	defer func() {
		if cerr := fw.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("export %s: %w", path, cerr)
		}
		if err != nil {
			os.Remove(tmp)
			return
		}
		err = os.Rename(tmp, path)
	}()
	n := len(rows.names)
	// Row names must be unique in an AnnData index.
	index := make([]string, n)
	seen := map[string]bool{}
	for i, name := range rows.names {
		if seen[name] {
			name = name + "-" + rows.datasets[i]
			for k := 1; seen[name]; k++ {
				name = rows.names[i] + "-" + rows.datasets[i] + "-" + strconv.Itoa(k)
			}
		}
		seen[name] = true
		index[i] = name
	}
	cats := slices.Clone(rows.datasets)
	slices.Sort(cats)
	cats = slices.Compact(cats)
	codes := make([]int8, n)
	if len(cats) > 127 {
		return fmt.Errorf("export %s: %d datasets do not fit an int8 categorical", path, len(cats))
	}
	for i, d := range rows.datasets {
		k, _ := slices.BinarySearch(cats, d)
		codes[i] = int8(k)
	}
	dims := make([]string, rows.dim)
	for d := range dims {
		dims[d] = "dim" + strconv.Itoa(d)
	}
	group := func(p string, attrs ...any) error {
		g, err := fw.CreateGroup(p)
		if err != nil {
			return fmt.Errorf("export %s: group %s: %w", path, p, err)
		}
		for i := 0; i+1 < len(attrs); i += 2 {
			if err := g.WriteAttribute(attrs[i].(string), attrs[i+1]); err != nil {
				return fmt.Errorf("export %s: %s attribute %v: %w", path, p, attrs[i], err)
			}
		}
		return nil
	}
	dataset := func(p string, dt hdf5.Datatype, data any, shape []uint64, attrs ...any) error {
		d, err := fw.CreateDataset(p, dt, shape)
		if err != nil {
			return fmt.Errorf("export %s: dataset %s: %w", path, p, err)
		}
		if err := d.Write(data); err != nil {
			return fmt.Errorf("export %s: write %s: %w", path, p, err)
		}
		for i := 0; i+1 < len(attrs); i += 2 {
			if err := d.WriteAttribute(attrs[i].(string), attrs[i+1]); err != nil {
				return fmt.Errorf("export %s: %s attribute %v: %w", path, p, attrs[i], err)
			}
		}
		return nil
	}
	steps := []func() error{
		func() error {
			return dataset("/X", hdf5.Float32, rows.vecs, []uint64{uint64(n), uint64(rows.dim)},
				"encoding-type", "array", "encoding-version", "0.2.0")
		},
		func() error {
			return group("/obs", "_index", "_index", "column-order", []string{"dataset"},
				"encoding-type", "dataframe", "encoding-version", "0.2.0")
		},
		func() error { return dataset("/obs/_index", hdf5.VLenString, index, []uint64{uint64(n)}) },
		func() error {
			return group("/obs/dataset", "encoding-type", "categorical", "encoding-version", "0.2.0")
		},
		func() error {
			return dataset("/obs/dataset/categories", hdf5.VLenString, cats, []uint64{uint64(len(cats))})
		},
		func() error { return dataset("/obs/dataset/codes", hdf5.Int8, codes, []uint64{uint64(n)}) },
		func() error {
			return group("/var", "_index", "_index", "encoding-type", "dataframe", "encoding-version", "0.2.0")
		},
		func() error { return dataset("/var/_index", hdf5.VLenString, dims, []uint64{uint64(rows.dim)}) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}
