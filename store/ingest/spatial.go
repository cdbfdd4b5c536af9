package ingest

import (
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Spatial coordinates come from one of three places (Read picks the first
// that applies):
//
//   - Options.Coords names two obs columns (x, y) holding numbers;
//   - an .h5ad with obsm["spatial"] (n × 2 or more; the first two columns);
//   - Space Ranger's layout: the matrix (filtered_feature_bc_matrix/ or
//     filtered_feature_bc_matrix.h5) beside a spatial/ folder holding
//     tissue_positions.csv (Space Ranger ≥ 2.0, with a header) or
//     tissue_positions_list.csv (older, no header): barcode, in_tissue,
//     array_row, array_col, pxl_row_in_fullres, pxl_col_in_fullres. The
//     stored x/y are the full-resolution pixel column/row, as scanpy's
//     obsm["spatial"] holds them. Every matrix barcode must be listed;
//     listed spots absent from the matrix (outside the tissue) are ignored.
//
// The store checks what every source must satisfy (finite, one position
// per spot, no two spots at one position).

// spaceRangerPositions returns the tissue positions file beside a Space
// Ranger matrix at path (a folder or an .h5 file), or "".
func spaceRangerPositions(path string) string {
	abs, err := filepath.Abs(path) // "." or "./" has no parent to look in otherwise
	if err != nil {
		abs = filepath.Clean(path)
	}
	dir := filepath.Join(filepath.Dir(abs), "spatial")
	for _, name := range []string{"tissue_positions.csv", "tissue_positions_list.csv"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// readPositions reads a Space Ranger tissue positions file for barcodes.
func readPositions(path string, barcodes []string, h hash.Hash) ([][2]float64, error) {
	in, err := openText(path, h)
	if err != nil {
		return nil, err
	}
	defer in.close()
	row := make(map[string]int, len(barcodes))
	for i, b := range barcodes {
		row[b] = i
	}
	out := make([][2]float64, len(barcodes))
	seen := make([]int64, len(barcodes))
	first := true
	for {
		line, err := in.lr.nextContent(false)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		n := in.lr.line
		f := strings.Split(string(line), ",")
		if first {
			first = false
			if strings.EqualFold(strings.TrimSpace(f[0]), "barcode") {
				continue
			}
		}
		if len(f) != 6 {
			return nil, errLine(ErrFormat, path, n, "%d fields, want barcode,in_tissue,array_row,array_col,pxl_row_in_fullres,pxl_col_in_fullres", len(f))
		}
		i, ok := row[strings.TrimSpace(f[0])]
		if !ok {
			continue
		}
		if seen[i] != 0 {
			return nil, errLine(ErrDuplicate, path, n, "spot %q listed again (first on line %d)", barcodes[i], seen[i])
		}
		seen[i] = n
		var xy [2]float64
		for k, fi := range []int{5, 4} {
			v, err := strconv.ParseFloat(strings.TrimSpace(f[fi]), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, errLine(ErrValue, path, n, "pixel coordinate %q of spot %q is not a finite number", f[fi], barcodes[i])
			}
			xy[k] = v
		}
		out[i] = xy
	}
	if err := in.finish(); err != nil {
		return nil, err
	}
	for i, s := range seen {
		if s == 0 {
			return nil, errLine(ErrMismatch, path, 0, "spot %q of the matrix has no position (%d of %d spots missing)", barcodes[i], countZero(seen), len(barcodes))
		}
	}
	return out, nil
}

func countZero(v []int64) int {
	n := 0
	for _, x := range v {
		if x == 0 {
			n++
		}
	}
	return n
}

// coordsFromObs takes x/y from two numeric obs columns.
func coordsFromObs(ds *Dataset, cols [2]string) ([][2]float64, error) {
	out := make([][2]float64, len(ds.Barcodes))
	for k, name := range cols {
		c := ds.Column(name)
		if c == nil {
			have := make([]string, len(ds.Obs))
			for i, o := range ds.Obs {
				have[i] = o.Name
			}
			return nil, fmt.Errorf("%w: %s: --coords names obs column %q, which the dataset lacks (have: %s)", ErrMismatch, ds.Source, name, strings.Join(have, ", "))
		}
		for i, s := range c.Values {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: %s: obs column %q, cell %q: coordinate %q is not a finite number", ErrValue, ds.Source, name, ds.Barcodes[i], s)
			}
			out[i][k] = v
		}
	}
	return out, nil
}

// h5adCoords reads obsm["spatial"] when the file has it.
func (hf *h5File) h5adCoords(n int) ([][2]float64, error) {
	const p = "obsm/spatial"
	if hf.lookup(p) == nil {
		return nil, nil
	}
	v, in, err := hf.readNumbers(p)
	if err != nil {
		return nil, err
	}
	if len(in.dims) != 2 || in.dims[0] != uint64(n) || in.dims[1] < 2 {
		return nil, errObj(ErrMismatch, hf.path, p, "shape %v, want %d cells × 2", in.dims, n)
	}
	w := int(in.dims[1])
	out := make([][2]float64, n)
	for i := range out {
		out[i] = [2]float64{v[i*w], v[i*w+1]}
		for _, x := range out[i] {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, errObj(ErrValue, hf.path, p, "cell %d has coordinate %v", i+1, x)
			}
		}
	}
	return out, nil
}
