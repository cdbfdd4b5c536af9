package ingest

import (
	"context"
	"hash"
	"math"
	"sort"
	"strconv"

	"github.com/scigolib/hdf5"

	"genestore/internal/sparse"
	"genestore/vocab"
)

// compressed reads a CSR/CSC triplet (data, indices, indptr) under group p
// as a major × minor CSR (major = rows for CSR, columns for CSC) and checks
// its structure and values. counts makes non-integer values an error. It
// also reports whether every value is an integer.
func (hf *h5File) compressed(ctx context.Context, p string, major, minor int64, counts bool, majorName, minorName string) (*sparse.CSR, bool, error) {
	data, _, err := hf.readVector(p + "/data")
	if err != nil {
		return nil, false, err
	}
	indices, err := hf.readIndex32(p+"/indices", minor-1)
	if err != nil {
		if minor == 0 {
			return nil, false, errObj(ErrEmpty, hf.path, p, "shape has 0 %ss", minorName)
		}
		return nil, false, err
	}
	indptr, err := hf.readIndex(p+"/indptr", int64(len(data)))
	if err != nil {
		return nil, false, err
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	switch {
	case int64(len(indptr)) != major+1:
		return nil, false, errObj(ErrMismatch, hf.path, p+"/indptr", "%d entries, want %d (%d %ss + 1)", len(indptr), major+1, major, majorName)
	case len(indices) != len(data):
		return nil, false, errObj(ErrMismatch, hf.path, p+"/indices", "%d entries but %s/data has %d", len(indices), p, len(data))
	case indptr[0] != 0:
		return nil, false, errObj(ErrFormat, hf.path, p+"/indptr", "starts at %d, want 0", indptr[0])
	case indptr[major] != int64(len(data)):
		return nil, false, errObj(ErrMismatch, hf.path, p+"/indptr", "ends at %d but %s/data has %d entries", indptr[major], p, len(data))
	}
	for i := int64(0); i < major; i++ {
		if indptr[i+1] < indptr[i] {
			return nil, false, errObj(ErrFormat, hf.path, p+"/indptr", "decreases at entry %d (%d → %d)", i+1, indptr[i], indptr[i+1])
		}
	}
	x := &sparse.CSR{Rows: int(major), Cols: int(minor), Indptr: indptr,
		Indices: indices, Data: make([]float32, len(data))}
	allInt := true
	row := 0
	for k, v := range data {
		for int64(k) >= indptr[row+1] {
			row++
		}
		if msg := checkValue(v, counts); msg != "" {
			return nil, false, errObj(ErrValue, hf.path, p+"/data", "entry %d (%s %d, %s %d): %s", k, majorName, row, minorName, indices[k], msg)
		}
		if allInt && v != math.Trunc(v) {
			allInt = false
		}
		x.Data[k] = float32(v)
	}
	if d := sortRows(x); d != nil {
		return nil, false, errObj(ErrDuplicate, hf.path, p+"/indices", "%s %d lists %s %d twice", majorName, d.row, minorName, d.col)
	}
	return x, allInt, nil
}

// readMatrixH5AD reads X (or layers/counts) at p as cells × genes.
func (hf *h5File) readMatrixH5AD(ctx context.Context, p string, counts bool, maxDim int64) (*sparse.CSR, bool, error) {
	obj := hf.lookup(p)
	switch o := obj.(type) {
	case nil:
		return nil, false, errObj(ErrFormat, hf.path, p, "missing: an h5ad needs X (or layers/counts)")
	case *hdf5.Group:
		enc := hf.attrString(o, "encoding-type")
		if enc == "" {
			switch hf.attrString(o, "h5sparse_format") {
			case "csr":
				enc = "csr_matrix"
			case "csc":
				enc = "csc_matrix"
			}
		}
		if enc != "csr_matrix" && enc != "csc_matrix" {
			return nil, false, errObj(ErrFormat, hf.path, p, "group with encoding-type %q: want csr_matrix or csc_matrix", enc)
		}
		shape, ok := hf.attrInts(o, "shape")
		if !ok {
			shape, ok = hf.attrInts(o, "h5sparse_shape")
		}
		if !ok || len(shape) != 2 {
			return nil, false, errObj(ErrFormat, hf.path, p, "missing or malformed shape attribute (want two integers)")
		}
		rows, cols := shape[0], shape[1]
		if rows < 0 || cols < 0 || rows > maxDim || cols > maxDim {
			return nil, false, errObj(ErrLimit, hf.path, p, "shape %d × %d outside [0, %d] per dimension", rows, cols, maxDim)
		}
		if rows == 0 || cols == 0 {
			return nil, false, errObj(ErrEmpty, hf.path, p, "shape %d × %d", rows, cols)
		}
		if enc == "csr_matrix" {
			return hf.compressed(ctx, p, rows, cols, counts, "cell", "gene")
		}
		x, allInt, err := hf.compressed(ctx, p, cols, rows, counts, "gene", "cell")
		if err != nil {
			return nil, false, err
		}
		return x.Transpose(), allInt, nil
	case *hdf5.Dataset:
		in, err := hf.info(o, p)
		if err != nil {
			return nil, false, err
		}
		if len(in.dims) != 2 || (in.class != "float" && in.class != "integer") {
			return nil, false, errObj(ErrFormat, hf.path, p, "want a 2-D numeric dataset or a sparse group, found %s of %d bytes with shape %v", in.class, in.size, in.dims)
		}
		rows, cols := int64(in.dims[0]), int64(in.dims[1])
		if rows > maxDim || cols > maxDim {
			return nil, false, errObj(ErrLimit, hf.path, p, "shape %d × %d; the limit is %d per dimension", rows, cols, maxDim)
		}
		if rows == 0 || cols == 0 {
			return nil, false, errObj(ErrEmpty, hf.path, p, "shape %d × %d", rows, cols)
		}
		vals, _, err := hf.readNumbers(p)
		if err != nil {
			return nil, false, err
		}
		x := &sparse.CSR{Rows: int(rows), Cols: int(cols), Indptr: make([]int64, rows+1)}
		allInt := true
		for r := int64(0); r < rows; r++ {
			for c := int64(0); c < cols; c++ {
				v := vals[r*cols+c]
				if msg := checkValue(v, counts); msg != "" {
					return nil, false, errObj(ErrValue, hf.path, p, "cell %d, gene %d: %s", r, c, msg)
				}
				if v == 0 {
					continue
				}
				if allInt && v != math.Trunc(v) {
					allInt = false
				}
				x.Indices = append(x.Indices, int32(c))
				x.Data = append(x.Data, float32(v))
			}
			x.Indptr[r+1] = int64(len(x.Data))
		}
		return x, allInt, nil
	}
	return nil, false, errObj(ErrFormat, hf.path, p, "unsupported object type")
}

// readH5AD reads an AnnData file. The matrix is layers/counts when present
// (then values are counts), else X.
func readH5AD(ctx context.Context, path string, opts Options, h hash.Hash) (*Dataset, error) {
	hf, err := openH5(path, opts.MaxNNZ, h, opts.Progress)
	if err != nil {
		return nil, err
	}
	defer hf.close()
	xp := "X"
	fromCounts := false
	if hf.lookup("layers/counts") != nil {
		xp, fromCounts = "layers/counts", true
	}
	counts := opts.Values == vocab.Counts || (opts.Values == "" && fromCounts)
	x, allInt, err := hf.readMatrixH5AD(ctx, xp, counts, opts.MaxDim)
	if err != nil {
		return nil, err
	}
	values := opts.Values
	if values == "" {
		values = vocab.Normalized
		if fromCounts || allInt {
			values = vocab.Counts
		}
	}
	barcodes, obs, err := hf.readFrame("obs", x.Rows, "cell")
	if err != nil {
		return nil, err
	}
	if err := uniqueStrings(hf.path, "obs index", barcodes, "barcode"); err != nil {
		return nil, err
	}
	symbols, vars, err := hf.readFrame("var", x.Cols, "gene")
	if err != nil {
		return nil, err
	}
	genes := make([]Gene, x.Cols)
	ids := symbols
	for _, c := range vars {
		switch c.Name {
		case "gene_ids", "gene_id":
			ids = c.Values
		}
	}
	raw := symbols
	for _, name := range []string{"gene_symbols", "gene_symbol", "feature_name"} {
		for _, c := range vars {
			if c.Name == name {
				raw = c.Values
			}
		}
	}
	for i := range genes {
		genes[i] = Gene{ID: ids[i], Symbol: raw[i]}
		if genes[i].ID == "" {
			genes[i].ID = symbols[i]
		}
	}
	if err := uniqueGeneIDs(hf.path, "var/gene_ids", genes); err != nil {
		return nil, err
	}
	return &Dataset{Format: FormatH5AD, Source: path, Values: values, X: x, Genes: genes, Barcodes: barcodes, Obs: obs}, nil
}

func uniqueStrings(file, object string, vals []string, what string) error {
	seen := make(map[string]int, len(vals))
	for i, v := range vals {
		if v == "" {
			return errObj(ErrFormat, file, object, "empty %s at entry %d", what, i)
		}
		if j, dup := seen[v]; dup {
			return errObj(ErrDuplicate, file, object, "%s %q at entries %d and %d", what, v, j, i)
		}
		seen[v] = i
	}
	return nil
}

func uniqueGeneIDs(file, object string, genes []Gene) error {
	seen := make(map[string]int, len(genes))
	for i, g := range genes {
		if j, dup := seen[g.ID]; dup {
			return errObj(ErrDuplicate, file, object, "gene id %q at entries %d and %d", g.ID, j, i)
		}
		seen[g.ID] = i
	}
	return nil
}

// readFrame reads an AnnData dataframe group (obs or var): its index and its
// columns, each n long. Columns of types the HDF5 library cannot read
// (booleans, which h5py stores as enums; nullable arrays) are skipped.
func (hf *h5File) readFrame(p string, n int, what string) ([]string, []ObsColumn, error) {
	g := hf.group(p)
	if g == nil {
		return nil, nil, hf.missing(p, "dataframe group")
	}
	idxName := hf.attrString(g, "_index")
	if idxName == "" {
		idxName = "_index"
	}
	index, err := hf.readStrings(p + "/" + idxName)
	if err != nil {
		return nil, nil, err
	}
	if len(index) != n {
		return nil, nil, errObj(ErrMismatch, hf.path, p+"/"+idxName, "%d entries for %d %ss", len(index), n, what)
	}
	order, ok := hf.attrStrings(g, "column-order")
	if !ok {
		var names []string
		for _, c := range g.Children() {
			name := trimSlash(c.Name())
			if name != idxName && name != "__categories" {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		order = names
	}
	var cols []ObsColumn
	seen := make(map[string]bool)
	for _, name := range order {
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		col, ok, err := hf.readColumn(p, name, n)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			cols = append(cols, col)
		}
	}
	return index, cols, nil
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

// readColumn reads one dataframe column: a numeric or string dataset, a
// categorical group (categories + codes, anndata ≥ 0.8), or a codes dataset
// with its categories in <frame>/__categories/<name> (anndata 0.7).
func (hf *h5File) readColumn(frame, name string, n int) (ObsColumn, bool, error) {
	p := frame + "/" + name
	col := ObsColumn{Name: name}
	switch o := hf.lookup(p).(type) {
	case nil:
		return col, false, errObj(ErrFormat, hf.path, p, "listed in column-order but missing")
	case *hdf5.Group:
		if hf.attrString(o, "encoding-type") != "categorical" {
			return col, false, nil // nullable arrays and other encodings: not supported
		}
		vals, err := hf.categorical(p+"/categories", p+"/codes", n)
		if err != nil {
			return col, false, err
		}
		col.Values, col.Categorical = vals, true
		return col, true, nil
	case *hdf5.Dataset:
		if hf.dataset(frame+"/__categories/"+name) != nil {
			vals, err := hf.categorical(frame+"/__categories/"+name, p, n)
			if err != nil {
				return col, false, err
			}
			col.Values, col.Categorical = vals, true
			return col, true, nil
		}
		in, err := hf.info(o, p)
		if err != nil {
			return col, false, err
		}
		var vals []string
		switch in.class {
		case "string", "vlen":
			vals, err = hf.readStrings(p)
			if err != nil {
				return col, false, err
			}
			col.Categorical = !numericColumn(vals)
		case "integer", "float":
			nums, _, err := hf.readVector(p)
			if err != nil {
				return col, false, err
			}
			vals = formatNumbers(nums, in.class == "float" && in.size == 4)
		default:
			return col, false, nil // booleans (enums) and compounds are skipped
		}
		if len(vals) != n {
			return col, false, errObj(ErrMismatch, hf.path, p, "%d values for %d rows", len(vals), n)
		}
		col.Values = vals
		return col, true, nil
	}
	return col, false, nil
}

// categorical decodes codes into category labels; code -1 is missing ("").
func (hf *h5File) categorical(catPath, codePath string, n int) ([]string, error) {
	var cats []string
	if d := hf.dataset(catPath); d != nil {
		in, err := hf.info(d, catPath)
		if err != nil {
			return nil, err
		}
		if in.class == "integer" || in.class == "float" {
			nums, _, err := hf.readVector(catPath)
			if err != nil {
				return nil, err
			}
			cats = formatNumbers(nums, in.class == "float" && in.size == 4)
		} else if cats, err = hf.readStrings(catPath); err != nil {
			return nil, err
		}
	} else {
		return nil, hf.missing(catPath, "categories dataset")
	}
	codes, _, err := hf.readVector(codePath)
	if err != nil {
		return nil, err
	}
	if len(codes) != n {
		return nil, errObj(ErrMismatch, hf.path, codePath, "%d codes for %d rows", len(codes), n)
	}
	out := make([]string, n)
	for i, c := range codes {
		if c == -1 {
			continue
		}
		if c < 0 || c >= float64(len(cats)) || c != math.Trunc(c) {
			return nil, errObj(ErrFormat, hf.path, codePath, "entry %d: code %v outside the %d categories", i, c, len(cats))
		}
		out[i] = cats[int(c)]
	}
	return out, nil
}

// formatNumbers renders numbers as text: integers without a decimal point,
// NaN as missing (""), float32 data with float32 precision.
func formatNumbers(v []float64, f32 bool) []string {
	out := make([]string, len(v))
	bits := 64
	if f32 {
		bits = 32
	}
	for i, x := range v {
		switch {
		case math.IsNaN(x):
		case x == math.Trunc(x) && math.Abs(x) < 1<<53:
			out[i] = strconv.FormatInt(int64(x), 10)
		default:
			out[i] = strconv.FormatFloat(x, 'g', -1, bits)
		}
	}
	return out
}
