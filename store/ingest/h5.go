package ingest

import (
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/scigolib/hdf5"
)

// h5File wraps a scigolib/hdf5 file with the lookups the readers need. The
// library has no lookup by path and reports datatypes only as text, so this
// file holds the glue; every call into the library goes through guard, which
// turns a library panic on a malformed file into an ErrFormat error.
type h5File struct {
	f    *hdf5.File
	path string
	size int64
	max  int64 // most elements any one dataset may hold (Options.MaxNNZ)
}

// guard runs fn, converting a panic inside the HDF5 library into an error.
func guard(file, object string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errObj(ErrFormat, file, object, "HDF5 library failed on malformed data: %v", r)
		}
	}()
	return fn()
}

// openH5 opens an HDF5 file and feeds its bytes to h.
func openH5(path string, max int64, h io.Writer, progress func(done, total int64)) (*h5File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, errLine(ErrFormat, path, 0, "%v", err)
	}
	if progress != nil {
		progress(0, st.Size())
	}
	if err := hashH5(path, st.Size(), h); err != nil {
		return nil, err
	}
	hf := &h5File{path: path, size: st.Size(), max: max}
	err = guard(path, "/", func() error {
		f, err := hdf5.Open(path)
		if err != nil {
			return errObj(ErrFormat, path, "/", "not a readable HDF5 file: %v", err)
		}
		hf.f = f
		return nil
	})
	if err != nil {
		return nil, err
	}
	return hf, nil
}

func (hf *h5File) close() {
	if hf.f != nil {
		_ = guard(hf.path, "/", hf.f.Close)
	}
}

// lookup finds the object at a slash-separated path ("X/data"), or nil.
func (hf *h5File) lookup(p string) hdf5.Object {
	var obj hdf5.Object
	_ = guard(hf.path, p, func() error {
		var cur hdf5.Object = hf.f.Root()
		for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
			if part == "" {
				continue
			}
			g, ok := cur.(*hdf5.Group)
			if !ok {
				return nil
			}
			var next hdf5.Object
			for _, c := range g.Children() {
				if strings.TrimSuffix(c.Name(), "/") == part {
					next = c
					break
				}
			}
			if next == nil {
				return nil
			}
			cur = next
		}
		obj = cur
		return nil
	})
	return obj
}

func (hf *h5File) group(p string) *hdf5.Group {
	g, _ := hf.lookup(p).(*hdf5.Group)
	return g
}

func (hf *h5File) dataset(p string) *hdf5.Dataset {
	d, _ := hf.lookup(p).(*hdf5.Dataset)
	return d
}

// h5Info is a dataset's type and shape.
type h5Info struct {
	class      string // "integer", "float", "string" (fixed length), "vlen" or other
	size       int    // bytes per element
	dims       []uint64
	contiguous bool
}

func (i h5Info) elements() uint64 {
	n := uint64(1)
	for _, d := range i.dims {
		if d != 0 && n > (1<<62)/d {
			return 1 << 62
		}
		n *= d
	}
	return n
}

var infoRE = regexp.MustCompile(`^Dataset: (\w+) \(size=(\d+) bytes\), (scalar|null|1D array \[(\d+)\]|2D array \[(\d+) x (\d+)\]|\d+D array \[([\d ]*)\])(.*)$`)

// info parses the library's textual dataset description.
func (hf *h5File) info(d *hdf5.Dataset, p string) (h5Info, error) {
	var s string
	err := guard(hf.path, p, func() error {
		var err error
		s, err = d.Info()
		return err
	})
	if err != nil {
		return h5Info{}, errObj(ErrFormat, hf.path, p, "unreadable dataset header: %v", err)
	}
	m := infoRE.FindStringSubmatch(s)
	if m == nil {
		return h5Info{}, errObj(ErrFormat, hf.path, p, "unsupported dataset description %q", s)
	}
	var in h5Info
	in.class = m[1]
	if in.class == "class_9" {
		in.class = "vlen"
	}
	in.size, _ = strconv.Atoi(m[2])
	switch {
	case m[3] == "scalar":
		in.dims = nil
	case m[3] == "null":
		in.dims = []uint64{0}
	case m[4] != "":
		in.dims = []uint64{atou(m[4])}
	case m[5] != "":
		in.dims = []uint64{atou(m[5]), atou(m[6])}
	default:
		for _, f := range strings.Fields(m[7]) {
			in.dims = append(in.dims, atou(f))
		}
	}
	in.contiguous = strings.Contains(m[8], "contiguous")
	return in, nil
}

func atou(s string) uint64 {
	v, _ := strconv.ParseUint(s, 10, 64)
	return v
}

// checkSize refuses datasets whose element count exceeds the limit, or whose
// uncompressed contiguous bytes could not fit in the file: the library
// allocates the declared size before reading.
func (hf *h5File) checkSize(in h5Info, p string) error {
	n := in.elements()
	if int64(n) > hf.max || n >= 1<<62 {
		return errObj(ErrLimit, hf.path, p, "%d elements; the limit is %d", n, hf.max)
	}
	bytes := n * uint64(max(in.size, 1))
	if in.contiguous && bytes > uint64(hf.size) {
		return errObj(ErrFormat, hf.path, p, "declares %d bytes of data but the file has %d", bytes, hf.size)
	}
	// Chunked data may be compressed, but deflate cannot expand more than
	// 1032:1; a larger declared size is corrupt (or all unallocated fill).
	if limit := max(uint64(hf.size)*1032, 64<<20); bytes > limit {
		return errObj(ErrFormat, hf.path, p, "declares %d bytes of data, more than a %d-byte file can hold even compressed", bytes, hf.size)
	}
	return nil
}

// readNumbers reads a numeric dataset of any shape (row-major) as float64.
func (hf *h5File) readNumbers(p string) ([]float64, h5Info, error) {
	d := hf.dataset(p)
	if d == nil {
		return nil, h5Info{}, hf.missing(p, "numeric dataset")
	}
	in, err := hf.info(d, p)
	if err != nil {
		return nil, in, err
	}
	if in.class != "integer" && in.class != "float" {
		return nil, in, errObj(ErrFormat, hf.path, p, "want a numeric dataset, found %s of %d bytes", in.class, in.size)
	}
	if err := hf.checkSize(in, p); err != nil {
		return nil, in, err
	}
	var out []float64
	err = guard(hf.path, p, func() error {
		var err error
		out, err = d.Read()
		return err
	})
	if err != nil {
		return nil, in, errObj(ErrFormat, hf.path, p, "read: %v", err)
	}
	if uint64(len(out)) != in.elements() {
		return nil, in, errObj(ErrFormat, hf.path, p, "read %d values, the dataspace holds %d", len(out), in.elements())
	}
	return out, in, nil
}

// readVector reads a 1-D numeric dataset.
func (hf *h5File) readVector(p string) ([]float64, h5Info, error) {
	out, in, err := hf.readNumbers(p)
	if err != nil {
		return nil, in, err
	}
	if len(in.dims) != 1 {
		return nil, in, errObj(ErrFormat, hf.path, p, "want a 1-D dataset, found shape %v", in.dims)
	}
	return out, in, nil
}

// readIndex reads a 1-D integer dataset whose values must lie in [0, limit].
func (hf *h5File) readIndex(p string, limit int64) ([]int64, error) {
	return readIndexAs[int64](hf, p, limit)
}

// readIndex32 is readIndex for column indices, which fit in int32 (limit <
// 2^31): it returns them in the CSR's own type, saving a copy.
func (hf *h5File) readIndex32(p string, limit int64) ([]int32, error) {
	return readIndexAs[int32](hf, p, limit)
}

// readIndexAs reads a 1-D integer dataset whose values must lie in
// [0, limit] ≤ the range of T.
func readIndexAs[T int32 | int64](hf *h5File, p string, limit int64) ([]T, error) {
	v, in, err := hf.readVector(p)
	if err != nil {
		return nil, err
	}
	if in.class != "integer" {
		return nil, errObj(ErrFormat, hf.path, p, "want integers, found %s", in.class)
	}
	out := make([]T, len(v))
	for i, f := range v {
		if f < 0 || f > float64(limit) {
			return nil, errObj(ErrFormat, hf.path, p, "entry %d is %v, outside [0, %d]", i, f, limit)
		}
		out[i] = T(f)
	}
	return out, nil
}

// readStrings reads a 1-D string dataset (fixed or variable length).
func (hf *h5File) readStrings(p string) ([]string, error) {
	d := hf.dataset(p)
	if d == nil {
		return nil, hf.missing(p, "string dataset")
	}
	in, err := hf.info(d, p)
	if err != nil {
		return nil, err
	}
	if len(in.dims) != 1 {
		return nil, errObj(ErrFormat, hf.path, p, "want a 1-D string dataset, found shape %v", in.dims)
	}
	if err := hf.checkSize(in, p); err != nil {
		return nil, err
	}
	var out []string
	switch in.class {
	case "string":
		err = guard(hf.path, p, func() error {
			var err error
			out, err = d.ReadStrings()
			return err
		})
	case "vlen":
		err = guard(hf.path, p, func() error {
			b, err := d.ReadVLenBytes()
			if err != nil {
				return err
			}
			out = make([]string, len(b))
			for i := range b {
				out[i] = string(b[i])
			}
			return nil
		})
	default:
		return nil, errObj(ErrFormat, hf.path, p, "want strings, found %s of %d bytes", in.class, in.size)
	}
	if err != nil {
		return nil, errObj(ErrFormat, hf.path, p, "read strings: %v", err)
	}
	if uint64(len(out)) != in.dims[0] {
		return nil, errObj(ErrFormat, hf.path, p, "read %d strings, the dataspace holds %d", len(out), in.dims[0])
	}
	for i := range out {
		out[i] = strings.TrimRight(out[i], "\x00")
	}
	return out, nil
}

func (hf *h5File) missing(p, what string) error {
	if hf.lookup(p) != nil {
		return errObj(ErrFormat, hf.path, p, "want a %s, found a group", what)
	}
	return errObj(ErrFormat, hf.path, p, "missing %s", what)
}

// attr reads an attribute of a group or dataset; ok is false when absent or
// unreadable.
func (hf *h5File) attr(obj hdf5.Object, name string) (v any, ok bool) {
	_ = guard(hf.path, name, func() error {
		switch o := obj.(type) {
		case *hdf5.Group:
			as, err := o.Attributes()
			if err != nil {
				return err
			}
			for _, a := range as {
				if a.Name == name && a.Datatype != nil && a.Dataspace != nil &&
					attrFits(a.Dataspace.Dimensions, uint64(a.Datatype.Size), len(a.Data)) {
					if val, err := a.ReadValue(); err == nil {
						v, ok = val, true
					}
				}
			}
		case *hdf5.Dataset:
			as, err := o.Attributes()
			if err != nil {
				return err
			}
			for _, a := range as {
				if a.Name == name && a.Datatype != nil && a.Dataspace != nil &&
					attrFits(a.Dataspace.Dimensions, uint64(a.Datatype.Size), len(a.Data)) {
					if val, err := a.ReadValue(); err == nil {
						v, ok = val, true
					}
				}
			}
		}
		return nil
	})
	return v, ok
}

// attrFits reports whether an attribute's declared elements fit in the
// bytes it carries. The library allocates the declared count before it
// checks, so a corrupt dataspace would otherwise exhaust memory.
func attrFits(dims []uint64, size uint64, have int) bool {
	if size == 0 {
		size = 1
	}
	n := size
	for _, d := range dims {
		if d != 0 && n > uint64(have)/d {
			return false
		}
		n *= d
	}
	return n <= uint64(have)
}

// attrString returns a string attribute ("" when absent or not a string).
func (hf *h5File) attrString(obj hdf5.Object, name string) string {
	v, _ := hf.attr(obj, name)
	switch s := v.(type) {
	case string:
		return strings.TrimRight(s, "\x00")
	case []string:
		if len(s) == 1 {
			return strings.TrimRight(s[0], "\x00")
		}
	}
	return ""
}

// attrStrings returns a string-array attribute.
func (hf *h5File) attrStrings(obj hdf5.Object, name string) ([]string, bool) {
	v, ok := hf.attr(obj, name)
	if !ok {
		return nil, false
	}
	switch s := v.(type) {
	case string:
		return []string{s}, true
	case []string:
		return s, true
	case []any:
		if len(s) == 0 {
			return nil, true
		}
	}
	return nil, false
}

// attrInts returns an integer-array attribute (e.g. shape).
func (hf *h5File) attrInts(obj hdf5.Object, name string) ([]int64, bool) {
	v, ok := hf.attr(obj, name)
	if !ok {
		return nil, false
	}
	switch s := v.(type) {
	case []int64:
		return s, true
	case []int32:
		out := make([]int64, len(s))
		for i, x := range s {
			out[i] = int64(x)
		}
		return out, true
	case []uint64:
		out := make([]int64, len(s))
		for i, x := range s {
			out[i] = int64(x)
		}
		return out, true
	case []uint32:
		out := make([]int64, len(s))
		for i, x := range s {
			out[i] = int64(x)
		}
		return out, true
	}
	return nil, false
}
