package h5ad_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"genestore/store/h5ad"
)

func ExampleEncode() {
	dir, _ := os.MkdirTemp("", "h5ad-example")
	defer os.RemoveAll(dir)
	f, err := os.Create(filepath.Join(dir, "cells.h5ad"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	vecs := &h5ad.Dense{Rows: 2, Cols: 3, Data: []float32{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}}
	a := &h5ad.AnnData{
		Obs: h5ad.Frame{Index: []string{"AAAC-1", "AAAG-1"}, Columns: []h5ad.Column{
			{Name: "dataset", Categorical: &h5ad.Categorical{Categories: []string{"pbmc"}, Codes: []int32{0, 0}}},
		}},
		Var:  h5ad.Frame{Index: []string{"dim0", "dim1", "dim2"}},
		X:    vecs,
		Obsm: []h5ad.Named{{Name: "X_genestore", M: vecs}},
		Uns:  []h5ad.Entry{{Name: "genestore", Value: []h5ad.Entry{{Name: "model_version", Value: "vae:1"}}}},
	}
	if err := h5ad.Encode(f, a); err != nil {
		log.Fatal(err)
	}
	st, _ := f.Stat()
	fmt.Println(st.Size() > 0)
	// Output: true
}
