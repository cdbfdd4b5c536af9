package h5ad

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// This file is a minimal HDF5 writer: the oldest file format every HDF5
// library reads (superblock version 0, version-1 object headers, groups as
// symbol tables: a version-1 B-tree of one leaf, one symbol-table node and a
// local heap), contiguous datasets, attributes with true scalar dataspaces,
// and variable-length UTF-8 strings in global heap collections. It writes
// front to back, children before parents; the superblock at offset 0 is
// written last, when the root group's address and the end of file are known.
// All integers are little-endian; offsets and lengths are 8 bytes.

const (
	undef = ^uint64(0) // HDF5's undefined address

	msgDataspace = 0x0001
	msgDatatype  = 0x0003
	msgLayout    = 0x0008
	msgAttribute = 0x000C
	msgSymbols   = 0x0011

	superblockSize = 96
	btreeK         = 16 // group internal node K (v1 B-tree capacity 2K)

	// maxHeapObjects bounds the objects of one global heap collection
	// (object indices are 16 bits; 0 is the free space).
	maxHeapObjects = 65535
	minCollection  = 4096 // libhdf5 reads at least this much of a collection
)

// h5 is a file being written. The first error sticks: later calls are no-ops
// and close returns it.
type h5 struct {
	w     io.WriterAt
	buf   []byte // pending bytes, to be written at bufAt
	bufAt uint64
	end   uint64 // next free address
	err   error
	leafK int // group leaf node K: a symbol-table node holds 2K entries
}

func newH5(w io.WriterAt, leafK int) *h5 {
	return &h5{w: w, bufAt: superblockSize, end: superblockSize, leafK: max(leafK, 4)}
}

// put appends b at the end of the file, aligned to 8 bytes, and returns its
// address.
func (f *h5) put(b []byte) uint64 {
	if f.err != nil {
		return undef
	}
	if pad := int(f.end % 8); pad != 0 {
		f.buf = append(f.buf, make([]byte, 8-pad)...)
		f.end += uint64(8 - pad)
	}
	at := f.end
	f.end += uint64(len(b))
	if len(b) >= 1<<20 {
		// large data (a matrix) goes straight to the file, not through
		// the buffer
		f.flush()
		if _, err := f.w.WriteAt(b, int64(at)); err != nil {
			f.err = err
		}
		f.bufAt = f.end
		return at
	}
	f.buf = append(f.buf, b...)
	if len(f.buf) >= 1<<20 {
		f.flush()
	}
	return at
}

func (f *h5) flush() {
	if f.err != nil || len(f.buf) == 0 {
		return
	}
	if _, err := f.w.WriteAt(f.buf, int64(f.bufAt)); err != nil {
		f.err = err
	}
	f.bufAt += uint64(len(f.buf))
	f.buf = f.buf[:0]
}

// finish writes the superblock naming root (the root group's object header,
// B-tree and local heap) and flushes.
func (f *h5) finish(root groupAddr) error {
	f.flush()
	if f.err != nil {
		return f.err
	}
	b := make([]byte, 0, superblockSize)
	b = append(b, 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n')
	b = append(b, 0, 0, 0, 0, 0, 8, 8, 0) // versions 0, offsets and lengths 8 bytes
	b = le16(b, uint16(f.leafK))
	b = le16(b, btreeK)
	b = le32(b, 0)     // consistency flags
	b = le64(b, 0)     // base address
	b = le64(b, undef) // free-space info
	b = le64(b, f.end) // end of file
	b = le64(b, undef) // driver info
	b = symbolEntry(b, 0, root.header, &root)
	_, err := f.w.WriteAt(b, 0)
	return err
}

// groupAddr locates a written group.
type groupAddr struct{ header, btree, heap uint64 }

// symbolEntry appends a symbol-table entry; a non-nil stab caches the
// group's B-tree and heap (cache type 1), as the root entry must.
func symbolEntry(b []byte, nameOff, header uint64, stab *groupAddr) []byte {
	b = le64(b, nameOff)
	b = le64(b, header)
	if stab == nil {
		b = le32(b, 0)
		b = le32(b, 0)
		return append(b, make([]byte, 16)...)
	}
	b = le32(b, 1)
	b = le32(b, 0)
	b = le64(b, stab.btree)
	return le64(b, stab.heap)
}

// message is one object-header message.
type message struct {
	typ   uint16
	flags byte
	body  []byte
}

// object writes a version-1 object header holding msgs and returns its
// address.
func (f *h5) object(msgs []message) uint64 {
	size := 0
	for _, m := range msgs {
		size += 8 + pad8(len(m.body))
	}
	b := make([]byte, 0, 16+size)
	b = append(b, 1, 0)
	b = le16(b, uint16(len(msgs)))
	b = le32(b, 1) // reference count
	b = le32(b, uint32(size))
	b = le32(b, 0) // alignment
	for _, m := range msgs {
		if len(m.body) > math.MaxUint16 {
			f.fail(fmt.Errorf("%w: an HDF5 object header message of %d bytes, past its 64 KiB limit (a frame of thousands of columns, or an attribute that large)", ErrInvalid, len(m.body)))
			return undef
		}
		n := pad8(len(m.body))
		b = le16(b, m.typ)
		b = le16(b, uint16(n))
		b = append(b, m.flags, 0, 0, 0)
		b = append(b, m.body...)
		b = append(b, make([]byte, n-len(m.body))...)
	}
	return f.put(b)
}

func (f *h5) fail(err error) {
	if f.err == nil {
		f.err = err
	}
}

// link is a named child of a group.
type link struct {
	name   string
	header uint64
}

// group writes a group holding links (names unique) with attrs, and returns
// its addresses.
func (f *h5) group(links []link, attrs []message) groupAddr {
	if len(links) > 2*f.leafK {
		f.fail(fmt.Errorf("h5ad: group of %d members exceeds the symbol-table node (%d)", len(links), 2*f.leafK))
		return groupAddr{undef, undef, undef}
	}
	links = slices.Clone(links)
	slices.SortFunc(links, func(a, b link) int { return strings.Compare(a.name, b.name) })
	for i, l := range links {
		if !validKey(l.name) || (i > 0 && links[i-1].name == l.name) {
			f.fail(fmt.Errorf("%w: member name %q is empty, \".\", holds \"/\" or is repeated", ErrInvalid, l.name))
			return groupAddr{undef, undef, undef}
		}
	}
	// local heap data: "" at offset 0, then each name, null-terminated and
	// padded to 8 bytes
	heapData := make([]byte, 8)
	offs := make([]uint64, len(links))
	for i, l := range links {
		offs[i] = uint64(len(heapData))
		heapData = append(heapData, l.name...)
		heapData = append(heapData, make([]byte, pad8(len(l.name)+1)-len(l.name))...)
	}
	heap := make([]byte, 0, 32+len(heapData))
	heap = append(heap, 'H', 'E', 'A', 'P', 0, 0, 0, 0)
	heap = le64(heap, uint64(len(heapData)))
	heap = le64(heap, 1) // no free block (libhdf5's H5HL_FREE_NULL)
	heapAt := f.end + uint64(pad8(int(f.end))-int(f.end))
	heap = le64(heap, heapAt+32)
	heap = append(heap, heapData...)
	if got := f.put(heap); got != heapAt && f.err == nil {
		f.fail(fmt.Errorf("h5ad: internal: local heap at %d, want %d", got, heapAt))
	}

	snod := make([]byte, 0, 8+2*f.leafK*40)
	snod = append(snod, 'S', 'N', 'O', 'D', 1, 0)
	snod = le16(snod, uint16(len(links)))
	for i, l := range links {
		snod = symbolEntry(snod, offs[i], l.header, nil)
	}
	snod = append(snod, make([]byte, cap(snod)-len(snod))...)
	snodAt := f.put(snod)

	tree := make([]byte, 0, 24+2*btreeK*8+(2*btreeK+1)*8)
	tree = append(tree, 'T', 'R', 'E', 'E', 0, 0) // group node, leaf level
	n := 0
	if len(links) > 0 {
		n = 1
	}
	tree = le16(tree, uint16(n))
	tree = le64(tree, undef)
	tree = le64(tree, undef)
	tree = le64(tree, 0) // key 0: ""
	if n == 1 {
		tree = le64(tree, snodAt)
		tree = le64(tree, offs[len(offs)-1]) // key 1: the last name
	}
	tree = append(tree, make([]byte, cap(tree)-len(tree))...)
	treeAt := f.put(tree)

	msgs := append([]message{{typ: msgSymbols, body: le64(le64(nil, treeAt), heapAt)}}, attrs...)
	return groupAddr{header: f.object(msgs), btree: treeAt, heap: heapAt}
}

// dtype is an encoded datatype message and its element size.
type dtype struct {
	enc  []byte
	size int
}

func intType(size int, signed bool) dtype {
	var bits byte
	if signed {
		bits = 0x08
	}
	b := []byte{0x10, bits, 0, 0}
	b = le32(b, uint32(size))
	b = le16(b, 0)
	b = le16(b, uint16(8*size))
	return dtype{b, size}
}

func floatType(size int) dtype {
	b := []byte{0x11, 0x20, byte(8*size - 1), 0}
	b = le32(b, uint32(size))
	b = le16(b, 0)
	b = le16(b, uint16(8*size))
	if size == 4 {
		b = append(b, 23, 8, 0, 23)
		b = le32(b, 127)
	} else {
		b = append(b, 52, 11, 0, 52)
		b = le32(b, 1023)
	}
	return dtype{b, size}
}

// vlenString is a variable-length UTF-8 string (h5py's string_dtype()).
func vlenString() dtype {
	b := []byte{0x19, 0x01, 0x01, 0} // vlen of kind string, null-terminated, UTF-8
	b = le32(b, 16)
	return dtype{append(b, intType(1, false).enc...), 16}
}

// boolType is h5py's bool: an int8 enumeration FALSE = 0, TRUE = 1.
func boolType() dtype {
	b := []byte{0x18, 2, 0, 0}
	b = le32(b, 1)
	b = append(b, intType(1, true).enc...)
	b = append(b, "FALSE\x00\x00\x00TRUE\x00\x00\x00\x00"...)
	b = append(b, 0, 1)
	return dtype{b, 1}
}

// dataspace encodes a version-1 dataspace; no dimensions is a scalar.
func dataspace(dims []uint64) []byte {
	b := []byte{1, byte(len(dims)), 0, 0, 0, 0, 0, 0}
	for _, d := range dims {
		b = le64(b, d)
	}
	return b
}

// heapStrings stores strs in global heap collections and returns their
// 16-byte variable-length references.
func (f *h5) heapStrings(strs []string) []byte {
	refs := make([]byte, 0, 16*len(strs))
	for len(strs) > 0 {
		n := min(len(strs), maxHeapObjects-1)
		chunk := strs[:n]
		strs = strs[n:]
		size := 16
		for _, s := range chunk {
			size += 16 + pad8(len(s))
		}
		size += 16 // the free-space object
		total := max(size, minCollection)
		b := make([]byte, 0, total)
		b = append(b, 'G', 'C', 'O', 'L', 1, 0, 0, 0)
		b = le64(b, uint64(total))
		for i, s := range chunk {
			b = le16(b, uint16(i+1))
			b = le16(b, 1) // reference count
			b = le32(b, 0)
			b = le64(b, uint64(len(s)))
			b = append(b, s...)
			b = append(b, make([]byte, pad8(len(s))-len(s))...)
		}
		b = le16(b, 0) // free space: the rest of the collection
		b = le16(b, 0)
		b = le32(b, 0)
		b = le64(b, uint64(total-len(b)+8))
		b = append(b, make([]byte, total-len(b))...)
		at := f.put(b)
		for i, s := range chunk {
			refs = le32(refs, uint32(len(s)))
			refs = le64(refs, at)
			refs = le32(refs, uint32(i+1))
		}
	}
	return refs
}

// attr encodes an attribute message. value is a string (scalar UTF-8),
// []string, bool, int64, float64, []int64 or []float64.
func (f *h5) attr(name string, value any) message {
	var (
		dt   dtype
		dims []uint64
		data []byte
	)
	switch v := value.(type) {
	case string:
		dt, data = vlenString(), f.heapStrings([]string{v})
	case []string:
		if len(v) == 0 {
			// an empty list: h5py writes an empty float64 array
			dt, dims = floatType(8), []uint64{0}
		} else {
			dt, dims, data = vlenString(), []uint64{uint64(len(v))}, f.heapStrings(v)
		}
	case bool:
		dt, data = boolType(), []byte{0}
		if v {
			data[0] = 1
		}
	case int64:
		dt, data = intType(8, true), le64(nil, uint64(v))
	case []int64:
		dt, dims = intType(8, true), []uint64{uint64(len(v))}
		for _, x := range v {
			data = le64(data, uint64(x))
		}
	default:
		f.fail(fmt.Errorf("h5ad: internal: attribute %s of type %T", name, value))
		return message{}
	}
	space := dataspace(dims)
	b := []byte{1, 0}
	b = le16(b, uint16(len(name)+1))
	b = le16(b, uint16(len(dt.enc)))
	b = le16(b, uint16(len(space)))
	b = append(b, name...)
	b = append(b, make([]byte, pad8(len(name)+1)-len(name))...)
	b = append(b, dt.enc...)
	b = append(b, make([]byte, pad8(len(dt.enc))-len(dt.enc))...)
	b = append(b, space...)
	b = append(b, data...)
	return message{typ: msgAttribute, body: b}
}

// dataset writes a contiguous dataset of type dt and shape dims (none: a
// scalar) whose raw little-endian bytes are data, with attrs, and returns
// its object header's address.
func (f *h5) dataset(dt dtype, dims []uint64, data []byte, attrs []message) uint64 {
	n := uint64(1)
	for _, d := range dims {
		n *= d
	}
	if uint64(len(data)) != n*uint64(dt.size) && f.err == nil {
		f.fail(fmt.Errorf("h5ad: internal: %d bytes of data for %d elements of %d bytes", len(data), n, dt.size))
	}
	at := undef
	if len(data) > 0 {
		at = f.put(data)
	}
	layout := []byte{3, 1}
	layout = le64(layout, at)
	layout = le64(layout, uint64(len(data)))
	msgs := []message{
		{typ: msgDataspace, body: dataspace(dims)},
		{typ: msgDatatype, flags: 1, body: dt.enc},
		{typ: msgLayout, body: layout},
	}
	return f.object(append(msgs, attrs...))
}

func pad8(n int) int { return (n + 7) &^ 7 }

func le16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func le32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func le64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

// validKey reports whether s can name a group member.
func validKey(s string) bool { return s != "" && s != "." && !strings.ContainsRune(s, '/') }

// Key turns s into a valid member name (an obs column, an uns key):
// "/" becomes "_", and "" or "." becomes "_".
func Key(s string) string {
	if s == "" || s == "." {
		return "_"
	}
	return strings.ReplaceAll(s, "/", "_")
}
