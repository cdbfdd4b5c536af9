package h5ad

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// AnnData is what Write puts in an .h5ad file: the obs and var dataframes,
// an optional X (dense or CSR, not both), obsm matrices and an uns tree.
type AnnData struct {
	Obs, Var Frame
	X        *Dense // rows × cols float32, or nil
	XSparse  *CSR   // rows × cols CSR, or nil
	Obsm     []Named
	Uns      []Entry
}

// Frame is a dataframe: an index of unique row names and its columns, in
// order.
type Frame struct {
	Index   []string
	Columns []Column
}

// Column is one dataframe column. Exactly one of the value fields is set,
// each as long as the frame's index.
type Column struct {
	Name        string
	Strings     []string     // string-array
	Categorical *Categorical // categorical
	Floats      []float64    // array (float64; NaN = missing)
	Ints        []int64      // array (int64)
	Bools       []bool       // array (bool)
}

// Categorical is a categorical column: Codes index Categories, -1 is
// missing.
type Categorical struct {
	Categories []string
	Codes      []int32
	Ordered    bool
}

// Dense is a row-major float32 matrix.
type Dense struct {
	Rows, Cols int
	Data       []float32
}

// CSR is a compressed sparse row matrix (anndata's csr_matrix).
type CSR struct {
	Rows, Cols int
	Indptr     []int64
	Indices    []int32
	Data       []float32
}

// Named is a named matrix of obsm.
type Named struct {
	Name string
	M    *Dense
}

// Entry is one element of uns: Value is a string, int64, float64, bool,
// []string, []int64, []float64, or []Entry (a nested dict).
type Entry struct {
	Name  string
	Value any
}

// ErrInvalid reports an AnnData that cannot be written as given.
var ErrInvalid = errors.New("h5ad: invalid AnnData")

// stringRule is what badString checks: HDF5 variable-length strings end
// at a NUL byte, and anndata decodes them as UTF-8.
const stringRule = "strings must be valid UTF-8 without NUL bytes"

// badString returns the index of the first string of ss that breaks
// stringRule, or −1.
func badString(ss []string) int {
	for i, s := range ss {
		if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
			return i
		}
	}
	return -1
}

// Validate reports every shape and string problem of a at once.
func (a *AnnData) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	n, m := len(a.Obs.Index), len(a.Var.Index)
	frame := func(what string, f Frame, rows int) {
		seen := map[string]bool{}
		for _, s := range f.Index {
			if seen[s] {
				bad("%s index repeats %q", what, s)
				break
			}
			seen[s] = true
		}
		if i := badString(f.Index); i >= 0 {
			bad("%s index value %d, %q: %s", what, i, f.Index[i], stringRule)
		}
		names := map[string]bool{}
		for _, c := range f.Columns {
			if c.Name == "" || c.Name == "_index" || names[c.Name] {
				bad("%s column name %q is empty, reserved or repeated", what, c.Name)
			}
			names[c.Name] = true
			set, length := 0, 0
			if i := badString([]string{c.Name}); i >= 0 {
				bad("%s column name %q: %s", what, c.Name, stringRule)
			}
			if c.Strings != nil {
				set, length = set+1, len(c.Strings)
				if i := badString(c.Strings); i >= 0 {
					bad("%s column %q row %d, %q: %s", what, c.Name, i, c.Strings[i], stringRule)
				}
			}
			if c.Categorical != nil {
				set, length = set+1, len(c.Categorical.Codes)
				if i := badString(c.Categorical.Categories); i >= 0 {
					bad("%s column %q category %q: %s", what, c.Name, c.Categorical.Categories[i], stringRule)
				}
				cats := map[string]bool{}
				for _, k := range c.Categorical.Categories {
					if cats[k] {
						bad("%s column %q repeats category %q (anndata needs them unique)", what, c.Name, k)
						break
					}
					cats[k] = true
				}
				for _, k := range c.Categorical.Codes {
					if k < -1 || int(k) >= len(c.Categorical.Categories) {
						bad("%s column %q: code %d outside %d categories", what, c.Name, k, len(c.Categorical.Categories))
						break
					}
				}
			}
			if c.Floats != nil {
				set, length = set+1, len(c.Floats)
			}
			if c.Ints != nil {
				set, length = set+1, len(c.Ints)
			}
			if c.Bools != nil {
				set, length = set+1, len(c.Bools)
			}
			if set != 1 || length != rows {
				bad("%s column %q: %d value kinds of length %d for %d rows (want one)", what, c.Name, set, length, rows)
			}
		}
	}
	frame("obs", a.Obs, n)
	frame("var", a.Var, m)
	if a.X != nil && a.XSparse != nil {
		bad("X is both dense and sparse")
	}
	if x := a.X; x != nil && (x.Rows != n || x.Cols != m || len(x.Data) != n*m) {
		bad("X is %d × %d with %d values for %d obs × %d var", x.Rows, x.Cols, len(x.Data), n, m)
	}
	if x := a.XSparse; x != nil {
		switch {
		case x.Rows != n || x.Cols != m:
			bad("X is %d × %d for %d obs × %d var", x.Rows, x.Cols, n, m)
		case len(x.Indptr) != n+1 || len(x.Indices) != len(x.Data) || x.Indptr[0] != 0 || x.Indptr[n] != int64(len(x.Data)):
			bad("X: malformed CSR (indptr %d, indices %d, data %d)", len(x.Indptr), len(x.Indices), len(x.Data))
		}
	}
	for _, o := range a.Obsm {
		if o.M == nil || o.M.Rows != n || len(o.M.Data) != o.M.Rows*o.M.Cols {
			bad("obsm %q does not have %d rows", o.Name, n)
		}
	}
	return errors.Join(errs...)
}

// Encode writes a as an .h5ad (HDF5) file to w, from offset 0, following
// the AnnData on-disk specification (anndata ≥ 0.8): every element carries
// encoding-type and encoding-version, strings are variable-length UTF-8,
// attributes are scalars where the specification has scalars. The bytes
// depend only on a.
func Encode(w io.WriterAt, a *AnnData) error {
	if err := a.Validate(); err != nil {
		return err
	}
	k := (maxMembers(a) + 1) / 2
	if k > math.MaxUint16 {
		return fmt.Errorf("%w: a group of %d members (at most %d)", ErrInvalid, maxMembers(a), 2*math.MaxUint16)
	}
	f := newH5(w, k)
	e := &encoder{f: f}
	var root []link
	if a.X != nil {
		root = append(root, link{"X", e.dense(a.X)})
	}
	if a.XSparse != nil {
		root = append(root, link{"X", e.csr(a.XSparse)})
	}
	root = append(root, link{"obs", e.frame(a.Obs)}, link{"var", e.frame(a.Var)})
	var obsm []link
	for _, o := range a.Obsm {
		obsm = append(obsm, link{o.Name, e.dense(o.M)})
	}
	root = append(root, link{"obsm", e.dict(obsm)})
	for _, name := range []string{"varm", "obsp", "varp", "layers"} {
		root = append(root, link{name, e.dict(nil)})
	}
	root = append(root, link{"uns", e.uns(a.Uns)})
	g := f.group(root, e.enc("anndata", "0.1.0"))
	return f.finish(g)
}

// maxMembers is the largest number of members of any group Encode writes.
func maxMembers(a *AnnData) int {
	n := max(9, len(a.Obs.Columns)+1, len(a.Var.Columns)+1, len(a.Obsm))
	var walk func([]Entry)
	walk = func(es []Entry) {
		n = max(n, len(es))
		for _, e := range es {
			if sub, ok := e.Value.([]Entry); ok {
				walk(sub)
			}
		}
	}
	walk(a.Uns)
	return n
}

type encoder struct{ f *h5 }

func (e *encoder) enc(typ, version string) []message {
	return []message{e.f.attr("encoding-type", typ), e.f.attr("encoding-version", version)}
}

func (e *encoder) dict(members []link) uint64 {
	return e.f.group(members, e.enc("dict", "0.1.0")).header
}

func (e *encoder) dense(m *Dense) uint64 {
	return e.f.dataset(floatType(4), []uint64{uint64(m.Rows), uint64(m.Cols)}, f32bytes(m.Data), e.enc("array", "0.2.0"))
}

func (e *encoder) csr(m *CSR) uint64 {
	// scipy wants indices and indptr of one integer type: int32 while the
	// nonzeros fit, as scipy itself writes.
	var indices, indptr uint64
	if len(m.Data) <= math.MaxInt32 {
		indices = e.f.dataset(intType(4, true), []uint64{uint64(len(m.Indices))}, i32bytes(m.Indices), nil)
		ip := make([]int32, len(m.Indptr))
		for i, v := range m.Indptr {
			ip[i] = int32(v)
		}
		indptr = e.f.dataset(intType(4, true), []uint64{uint64(len(ip))}, i32bytes(ip), nil)
	} else {
		wide := make([]int64, len(m.Indices))
		for i, v := range m.Indices {
			wide[i] = int64(v)
		}
		indices = e.f.dataset(intType(8, true), []uint64{uint64(len(wide))}, i64bytes(wide), nil)
		indptr = e.f.dataset(intType(8, true), []uint64{uint64(len(m.Indptr))}, i64bytes(m.Indptr), nil)
	}
	members := []link{
		{"data", e.f.dataset(floatType(4), []uint64{uint64(len(m.Data))}, f32bytes(m.Data), nil)},
		{"indices", indices},
		{"indptr", indptr},
	}
	attrs := append(e.enc("csr_matrix", "0.1.0"), e.f.attr("shape", []int64{int64(m.Rows), int64(m.Cols)}))
	return e.f.group(members, attrs).header
}

func (e *encoder) strings(s []string) uint64 {
	return e.f.dataset(vlenString(), []uint64{uint64(len(s))}, e.f.heapStrings(s), e.enc("string-array", "0.2.0"))
}

func (e *encoder) frame(fr Frame) uint64 {
	members := []link{{"_index", e.strings(fr.Index)}}
	order := make([]string, len(fr.Columns))
	for i, c := range fr.Columns {
		order[i] = c.Name
		members = append(members, link{c.Name, e.column(c)})
	}
	attrs := append(e.enc("dataframe", "0.2.0"), e.f.attr("_index", "_index"), e.f.attr("column-order", order))
	return e.f.group(members, attrs).header
}

func (e *encoder) column(c Column) uint64 {
	array := func(dt dtype, n int, data []byte) uint64 {
		return e.f.dataset(dt, []uint64{uint64(n)}, data, e.enc("array", "0.2.0"))
	}
	switch {
	case c.Strings != nil:
		return e.strings(c.Strings)
	case c.Categorical != nil:
		cat := c.Categorical
		var codes uint64
		switch k := len(cat.Categories); {
		case k <= math.MaxInt8:
			b := make([]byte, len(cat.Codes))
			for i, x := range cat.Codes {
				b[i] = byte(int8(x))
			}
			codes = array(intType(1, true), len(b), b)
		case k <= math.MaxInt16:
			var b []byte
			for _, x := range cat.Codes {
				b = le16(b, uint16(int16(x)))
			}
			codes = array(intType(2, true), len(cat.Codes), b)
		default:
			codes = array(intType(4, true), len(cat.Codes), i32bytes(cat.Codes))
		}
		members := []link{{"categories", e.strings(cat.Categories)}, {"codes", codes}}
		attrs := append(e.enc("categorical", "0.2.0"), e.f.attr("ordered", cat.Ordered))
		return e.f.group(members, attrs).header
	case c.Floats != nil:
		var b []byte
		for _, x := range c.Floats {
			b = le64(b, math.Float64bits(x))
		}
		return array(floatType(8), len(c.Floats), b)
	case c.Ints != nil:
		return array(intType(8, true), len(c.Ints), i64bytes(c.Ints))
	default:
		b := make([]byte, len(c.Bools))
		for i, x := range c.Bools {
			if x {
				b[i] = 1
			}
		}
		return array(boolType(), len(b), b)
	}
}

func (e *encoder) uns(es []Entry) uint64 {
	var members []link
	for _, x := range es {
		var at uint64
		switch v := x.Value.(type) {
		case string:
			at = e.f.dataset(vlenString(), nil, e.f.heapStrings([]string{v}), e.enc("string", "0.2.0"))
		case int64:
			at = e.f.dataset(intType(8, true), nil, le64(nil, uint64(v)), e.enc("numeric-scalar", "0.2.0"))
		case float64:
			at = e.f.dataset(floatType(8), nil, le64(nil, math.Float64bits(v)), e.enc("numeric-scalar", "0.2.0"))
		case bool:
			b := []byte{0}
			if v {
				b[0] = 1
			}
			at = e.f.dataset(boolType(), nil, b, e.enc("numeric-scalar", "0.2.0"))
		case []string:
			at = e.strings(v)
		case []int64:
			at = e.f.dataset(intType(8, true), []uint64{uint64(len(v))}, i64bytes(v), e.enc("array", "0.2.0"))
		case []float64:
			var b []byte
			for _, y := range v {
				b = le64(b, math.Float64bits(y))
			}
			at = e.f.dataset(floatType(8), []uint64{uint64(len(v))}, b, e.enc("array", "0.2.0"))
		case []Entry:
			at = e.uns(v)
		default:
			e.f.fail(fmt.Errorf("%w: uns %q has a value of type %T", ErrInvalid, x.Name, x.Value))
		}
		members = append(members, link{x.Name, at})
	}
	return e.dict(members)
}

// The raw-data helpers below assume a little-endian machine, as HDF5's
// little-endian types here do; binary.LittleEndian would copy element by
// element.
func f32bytes(v []float32) []byte {
	if isBigEndian {
		var b []byte
		for _, x := range v {
			b = le32(b, math.Float32bits(x))
		}
		return b
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v))
}

func i32bytes(v []int32) []byte {
	if isBigEndian {
		var b []byte
		for _, x := range v {
			b = le32(b, uint32(x))
		}
		return b
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v))
}

func i64bytes(v []int64) []byte {
	if isBigEndian {
		var b []byte
		for _, x := range v {
			b = le64(b, uint64(x))
		}
		return b
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 8*len(v))
}

var isBigEndian = func() bool { x := uint16(1); return *(*byte)(unsafe.Pointer(&x)) == 0 }()
