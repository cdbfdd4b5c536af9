package ingest

import (
	"context"
	"fmt"
	"hash"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

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
	// Each gene's id is its gene_ids entry, or its var index entry where
	// that is empty; its symbol the symbols column's entry (the index when
	// there is none). A gene left without an id, or with a NUL byte (the
	// store's key separator) in either, is refused here, naming the file,
	// the object and the entry, rather than later by the store.
	idxObj := "var/" + hf.frameIndexName("var")
	genes := make([]Gene, x.Cols)
	ids, idsObj := symbols, idxObj
	for _, c := range vars {
		switch c.Name {
		case "gene_ids", "gene_id":
			ids, idsObj = c.Values, "var/"+c.Name
		}
	}
	raw, rawObj := symbols, idxObj
	for _, name := range []string{"gene_symbols", "gene_symbol", "feature_name"} {
		for _, c := range vars {
			if c.Name == name {
				raw, rawObj = c.Values, "var/"+name
			}
		}
	}
	for i := range genes {
		genes[i] = Gene{ID: ids[i], Symbol: raw[i]}
		if genes[i].ID == "" {
			genes[i].ID = symbols[i]
		}
		switch {
		case genes[i].ID == "":
			obj := idxObj
			if idsObj != idxObj {
				obj = idxObj + " and " + idsObj
			}
			return nil, errObj(ErrFormat, hf.path, obj, "gene at entry %d has an empty name and no id", i)
		case strings.IndexByte(ids[i], 0) >= 0:
			return nil, errObj(ErrFormat, hf.path, idsObj, "gene id %q at entry %d contains a NUL byte", ids[i], i)
		case strings.IndexByte(symbols[i], 0) >= 0:
			return nil, errObj(ErrFormat, hf.path, idxObj, "gene name %q at entry %d contains a NUL byte", symbols[i], i)
		case strings.IndexByte(raw[i], 0) >= 0:
			return nil, errObj(ErrFormat, hf.path, rawObj, "gene symbol %q at entry %d contains a NUL byte", raw[i], i)
		}
	}
	if err := uniqueGeneIDs(hf.path, idsObj, genes); err != nil {
		return nil, err
	}
	coords, err := hf.h5adCoords(x.Rows)
	if err != nil {
		return nil, err
	}
	return &Dataset{Format: FormatH5AD, Source: path, Values: values, X: x, Genes: genes, Barcodes: barcodes, Obs: obs, Coords: coords}, nil
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

// frameIndexName is the name of the index dataset of the dataframe group p:
// its _index attribute, "_index" by default.
func (hf *h5File) frameIndexName(p string) string {
	if g := hf.group(p); g != nil {
		if name := hf.attrString(g, "_index"); name != "" {
			return name
		}
	}
	return "_index"
}

// readFrame reads an AnnData dataframe group (obs or var): its index and its
// columns, each n long. Booleans (h5py's int8 enum) and anndata's nullable
// encodings are decoded (see readColumn). A column of any other encoding
// or type is an error naming it in obs (what == "cell"), and skipped in
// var, whose columns other than ids and symbols genestore does not use.
func (hf *h5File) readFrame(p string, n int, what string) ([]string, []ObsColumn, error) {
	g := hf.group(p)
	if g == nil {
		return nil, nil, hf.missing(p, "dataframe group")
	}
	idxName := hf.frameIndexName(p)
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
		} else if what == "cell" {
			return nil, nil, errObj(ErrFormat, hf.path, p+"/"+name, "obs column %q: %s", name, col.Values[0])
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

// readColumn reads one dataframe column: a numeric, string or boolean
// dataset, a categorical group (categories + codes, anndata ≥ 0.8), a codes
// dataset with its categories in <frame>/__categories/<name> (anndata 0.7),
// or a nullable-integer, nullable-boolean or nullable-string-array group
// (values + mask, anndata ≥ 0.9; masked entries are missing, ""). Booleans
// become the categories "True" and "False". ok is false for a column of
// another kind; then col.Values[0] says why.
func (hf *h5File) readColumn(frame, name string, n int) (col ObsColumn, ok bool, err error) {
	p := frame + "/" + name
	col = ObsColumn{Name: name}
	unsupported := func(format string, args ...any) (ObsColumn, bool, error) {
		col.Values = []string{fmt.Sprintf(format, args...)}
		return col, false, nil
	}
	switch o := hf.lookup(p).(type) {
	case nil:
		return col, false, errObj(ErrFormat, hf.path, p, "listed in column-order but missing")
	case *hdf5.Group:
		switch enc := hf.attrString(o, "encoding-type"); enc {
		case "categorical":
			vals, err := hf.categorical(p+"/categories", p+"/codes", n)
			if err != nil {
				return col, false, err
			}
			col.Values, col.Categorical = vals, true
			return col, true, nil
		case "nullable-integer", "nullable-boolean", "nullable-string-array":
			return hf.nullable(col, p, enc, n)
		default:
			return unsupported("encoding-type %q is not one genestore reads (categorical, nullable-integer, nullable-boolean, nullable-string-array)", enc)
		}
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
		case "class_8":
			b, err := hf.readBools(o, p, in)
			if err != nil {
				return col, false, err
			}
			vals, col.Categorical = boolStrings(b, nil), true
		default:
			return unsupported("a dataset of %s elements (%d bytes) is not a column type genestore reads", in.class, in.size)
		}
		if len(vals) != n {
			return col, false, errObj(ErrMismatch, hf.path, p, "%d values for %d rows", len(vals), n)
		}
		col.Values = vals
		return col, true, nil
	}
	return unsupported("an HDF5 object that is neither a dataset nor a group")
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

// nullable decodes anndata's nullable encodings: values plus a boolean mask
// that is true where the value is missing.
func (hf *h5File) nullable(col ObsColumn, p, enc string, n int) (ObsColumn, bool, error) {
	md := hf.dataset(p + "/mask")
	if md == nil {
		return col, false, hf.missing(p+"/mask", "boolean mask dataset")
	}
	min, err := hf.info(md, p+"/mask")
	if err != nil {
		return col, false, err
	}
	mask, err := hf.readBools(md, p+"/mask", min)
	if err != nil {
		return col, false, err
	}
	vp := p + "/values"
	var vals []string
	switch enc {
	case "nullable-integer":
		nums, in, err := hf.readVector(vp)
		if err != nil {
			return col, false, err
		}
		vals = formatNumbers(nums, in.class == "float" && in.size == 4)
	case "nullable-boolean":
		vd := hf.dataset(vp)
		if vd == nil {
			return col, false, hf.missing(vp, "boolean dataset")
		}
		in, err := hf.info(vd, vp)
		if err != nil {
			return col, false, err
		}
		b, err := hf.readBools(vd, vp, in)
		if err != nil {
			return col, false, err
		}
		if len(b) != len(mask) {
			return col, false, errObj(ErrMismatch, hf.path, vp, "%d values for a mask of %d", len(b), len(mask))
		}
		vals, col.Categorical = boolStrings(b, mask), true
	default:
		if vals, err = hf.readStrings(vp); err != nil {
			return col, false, err
		}
	}
	if len(vals) != n || len(mask) != n {
		return col, false, errObj(ErrMismatch, hf.path, p, "%d values and %d mask entries for %d rows", len(vals), len(mask), n)
	}
	for i, m := range mask {
		if m {
			vals[i] = ""
		}
	}
	if enc == "nullable-string-array" {
		col.Categorical = !numericColumn(vals)
	}
	col.Values = vals
	return col, true, nil
}

// boolStrings renders booleans as pandas prints them; masked entries are
// missing ("").
func boolStrings(b, mask []bool) []string {
	out := make([]string, len(b))
	for i, v := range b {
		switch {
		case mask != nil && mask[i]:
		case v:
			out[i] = "True"
		default:
			out[i] = "False"
		}
	}
	return out
}

var contiguousRE = regexp.MustCompile(`contiguous \(address=0x([0-9A-Fa-f]+), size=(\d+)\)`)

// readBools reads a 1-D boolean dataset: h5py's bool, an enumeration of
// int8 (FALSE 0, TRUE 1). The HDF5 library does not convert enumerations,
// so the raw bytes of a contiguous dataset are read; a chunked (compressed)
// one is an error that says so.
func (hf *h5File) readBools(d *hdf5.Dataset, p string, in h5Info) ([]bool, error) {
	if in.class != "class_8" || in.size != 1 || len(in.dims) != 1 {
		return nil, errObj(ErrFormat, hf.path, p, "want a 1-D boolean (1-byte enum) dataset, found %s of %d bytes with shape %v", in.class, in.size, in.dims)
	}
	n := in.dims[0]
	if err := hf.checkSize(in, p); err != nil {
		return nil, err
	}
	if n == 0 {
		return []bool{}, nil
	}
	var s string
	_ = guard(hf.path, p, func() error { s, _ = d.Info(); return nil })
	m := contiguousRE.FindStringSubmatch(s)
	if m == nil {
		return nil, errObj(ErrFormat, hf.path, p, "boolean dataset stored chunked or compressed: genestore reads booleans only from contiguous datasets (write the file without compression, or the column as a categorical)")
	}
	addr, err1 := strconv.ParseUint(m[1], 16, 64)
	size, err2 := strconv.ParseUint(m[2], 10, 64)
	if err1 != nil || err2 != nil || size != n || addr > uint64(hf.size) || size > uint64(hf.size)-addr {
		return nil, errObj(ErrFormat, hf.path, p, "boolean data of %d bytes at %s lies outside the %d-byte file", size, m[1], hf.size)
	}
	raw := make([]byte, size)
	if _, err := hf.f.Reader().ReadAt(raw, int64(addr)); err != nil {
		return nil, errObj(ErrFormat, hf.path, p, "read: %v", err)
	}
	out := make([]bool, n)
	for i, b := range raw {
		if b > 1 {
			return nil, errObj(ErrValue, hf.path, p, "entry %d is %d, not a boolean (0 or 1)", i, b)
		}
		out[i] = b == 1
	}
	return out, nil
}
