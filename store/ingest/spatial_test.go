package ingest

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readSpatial(t *testing.T, path string, opts Options) (*Dataset, error) {
	t.Helper()
	return Read(context.Background(), path, opts)
}

func TestSpaceRangerPositions(t *testing.T) {
	// tinyBarcodes: AAAC-1 AAAG-1 AAAT-1 AACA-1; pixel row, col = y, x.
	positions := "ACGT-1,0,0,0,5,6\nAACA-1,1,3,3,40,41\nAAAC-1,1,0,0,10,11\nAAAG-1,1,1,1,20,21\nAAAT-1,1,2,2,30,31\n"
	want := [][2]float64{{11, 10}, {21, 20}, {31, 30}, {41, 40}}
	for _, tc := range []struct {
		name, file, body string
	}{
		{"list, no header", "tissue_positions_list.csv", positions},
		{"v2 with header", "tissue_positions.csv", "barcode,in_tissue,array_row,array_col,pxl_row_in_fullres,pxl_col_in_fullres\n" + positions},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outs := t.TempDir()
			tinyMTX().write(t, filepath.Join(outs, "filtered_feature_bc_matrix"))
			writeFile(t, filepath.Join(outs, "spatial", tc.file), []byte(tc.body))
			ds, err := readSpatial(t, filepath.Join(outs, "filtered_feature_bc_matrix"), DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ds.Coords, want) {
				t.Errorf("coords %v, want %v", ds.Coords, want)
			}
			// the same folder named relative to itself ("." has no parent
			// until made absolute)
			t.Chdir(filepath.Join(outs, "filtered_feature_bc_matrix"))
			if ds, err = readSpatial(t, ".", DefaultOptions()); err != nil || !reflect.DeepEqual(ds.Coords, want) {
				t.Errorf(`read ".": coords %v, %v; want %v`, ds.Coords, err, want)
			}
		})
	}
	for _, tc := range []struct {
		name, body string
		sentinel   error
		want       string
	}{
		{"missing spot", "AAAC-1,1,0,0,10,11\nAAAG-1,1,1,1,20,21\n", ErrMismatch, `spot "AAAT-1" of the matrix has no position (2 of 4 spots missing)`},
		{"duplicate spot", positions + "AAAG-1,1,1,1,20,21\n", ErrDuplicate, `tissue_positions_list.csv:6: spot "AAAG-1" listed again (first on line 4)`},
		{"bad number", strings.Replace(positions, "20,21", "20,x", 1), ErrValue, `tissue_positions_list.csv:4: pixel coordinate "x"`},
		{"short line", "AAAC-1,1,0,0,10\n", ErrFormat, "5 fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outs := t.TempDir()
			tinyMTX().write(t, filepath.Join(outs, "m"))
			writeFile(t, filepath.Join(outs, "spatial", "tissue_positions_list.csv"), []byte(tc.body))
			_, err := readSpatial(t, filepath.Join(outs, "m"), DefaultOptions())
			if !errors.Is(err, tc.sentinel) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %v with %q", err, tc.sentinel, tc.want)
			}
		})
	}
}

func TestCoordsFromObs(t *testing.T) {
	dir := t.TempDir()
	m := tinyMTX()
	m.obs = []byte("barcode,px,py,layer\nAAAC-1,1,2,GL\nAAAG-1,3,4,GL\nAAAT-1,5,6.5,ONL\nAACA-1,7,8,ONL\n")
	m.write(t, dir)
	o := DefaultOptions()
	o.Coords = [2]string{"px", "py"}
	ds, err := readSpatial(t, dir, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]float64{{1, 2}, {3, 4}, {5, 6.5}, {7, 8}}; !reflect.DeepEqual(ds.Coords, want) {
		t.Errorf("coords %v, want %v", ds.Coords, want)
	}
	o.Coords = [2]string{"px", "layer"}
	if _, err := readSpatial(t, dir, o); !errors.Is(err, ErrValue) || !strings.Contains(err.Error(), `obs column "layer", cell "AAAC-1": coordinate "GL"`) {
		t.Errorf("text column as coordinate: %v", err)
	}
	o.Coords = [2]string{"x", "y"}
	if _, err := readSpatial(t, dir, o); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), `obs column "x", which the dataset lacks (have: px, py, layer)`) {
		t.Errorf("unknown column: %v", err)
	}
	o.Coords = [2]string{"px", ""}
	if err := o.Validate(); !errors.Is(err, ErrOptions) {
		t.Errorf("one coordinate column accepted: %v", err)
	}
}

func TestH5ADObsmSpatial(t *testing.T) {
	p := filepath.Join(t.TempDir(), "st.h5ad")
	s := tinyH5AD()
	s.spatial = []float64{1, 2, 3, 4, 5, 6, 7, 8}
	s.write(t, p)
	ds, err := readSpatial(t, p, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]float64{{1, 2}, {3, 4}, {5, 6}, {7, 8}}; !reflect.DeepEqual(ds.Coords, want) {
		t.Errorf("coords %v, want %v", ds.Coords, want)
	}
	s.spatial = []float64{1, 2, 3, 4, 5, 6}
	s.write(t, p)
	if _, err := readSpatial(t, p, DefaultOptions()); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "obsm/spatial") {
		t.Errorf("3 positions for 4 cells: %v", err)
	}
}

// TestMGIOneToOne: an MGI report listing a gene under two class keys
// (CD79A with Cd79a and with Cd79b; Cd3e with CD3E and with CD3D) gave a
// many-to-one table whose last class won. Every class holding such a
// gene is now skipped and counted; the clean class stays.
func TestMGIOneToOne(t *testing.T) {
	p := filepath.Join(t.TempDir(), "HOM_MouseHumanSequence.rpt")
	writeFile(t, p, []byte(mgiManyToOne))
	o, err := ReadOrthologs(p, "mouse", "human")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"Ms4a1": "MS4A1"}; !reflect.DeepEqual(o.Pairs, want) || o.Skipped != 4 {
		t.Errorf("pairs %v, %d skipped; want %v, 4 skipped", o.Pairs, o.Skipped, want)
	}
}

const mgiManyToOne = "DB Class Key\tCommon Organism Name\tNCBI Taxon ID\tSymbol\n" +
	"1\tmouse, laboratory\t10090\tCd79a\n1\thuman\t9606\tCD79A\n" +
	"2\tmouse, laboratory\t10090\tCd79b\n2\thuman\t9606\tCD79A\n" +
	"3\tmouse, laboratory\t10090\tCd3e\n3\thuman\t9606\tCD3E\n" +
	"4\tmouse, laboratory\t10090\tCd3e\n4\thuman\t9606\tCD3D\n" +
	"5\tmouse, laboratory\t10090\tMs4a1\n5\thuman\t9606\tMS4A1\n"

func FuzzReadOrthologs(f *testing.F) {
	f.Add([]byte("human_symbol\tmouse_symbol\nCD79A\tCd79a\nHLA-DRA\tH2-Ea\n"))
	f.Add([]byte("DB Class Key\tCommon Organism Name\tNCBI Taxon ID\tSymbol\n1\tmouse, laboratory\t10090\tCd79a\n1\thuman\t9606\tCD79A\n"))
	f.Add([]byte(mgiManyToOne))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "o.tsv")
		writeFile(t, p, data)
		o, err := ReadOrthologs(p, "mouse", "")
		if err != nil {
			return
		}
		back := map[string]string{}
		for a, b := range o.Pairs {
			if a == "" || b == "" {
				t.Fatalf("empty symbol in pair %q → %q", a, b)
			}
			if prev, dup := back[b]; dup {
				t.Fatalf("%q paired with %q and %q: not one-to-one", b, prev, a)
			}
			back[b] = a
		}
		if o.To == "" || o.To == o.From {
			t.Fatalf("species %q → %q", o.From, o.To)
		}
	})
}

func FuzzTissuePositions(f *testing.F) {
	f.Add([]byte("barcode,in_tissue,array_row,array_col,pxl_row_in_fullres,pxl_col_in_fullres\nAAAC-1,1,0,0,10,11\nAAAG-1,1,1,1,20,21\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "tissue_positions.csv")
		writeFile(t, p, data)
		c, err := readPositions(p, []string{"AAAC-1", "AAAG-1"}, nil)
		if err == nil && len(c) != 2 {
			t.Fatalf("%d positions for 2 spots", len(c))
		}
	})
}
