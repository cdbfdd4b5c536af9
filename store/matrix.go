package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"genestore/internal/sparse"
)

// Matrix chunking: a chunk holds up to matrixChunkCells rows and closes as
// soon as its encoded size passes matrixChunkBytes (a single row bigger than
// that gets a chunk of its own).
const (
	matrixChunkCells = 4096
	matrixChunkBytes = 1 << 20
)

// matrixVersion is the version byte of matrix chunks.
//
// Matrix chunk (bucket "matrix", key u32 dataset ‖ u32 index of its first
// cell, both big-endian), version 1:
//
//	u8  flags: bit 0 set = values stored as uv integers (the whole dataset
//	    holds only non-negative integers below 2^24, e.g. counts);
//	    other bits 0
//	u32 first cell (row) index, equal to the key's second half
//	uv  rows r, uv nnz n
//	r × uv  entries in each row (they sum to n)
//	n × uv  column of each entry, delta-coded within its row: the first is
//	        the column itself, each next one is col − previous col − 1
//	values: n × uv (bit 0 set) or n × f32 little-endian
//
// Framed like every record (version byte first, CRC-32C last).
const matrixVersion = 1

const flagIntValues = 1

// integerValued reports whether every value is a non-negative integer that
// float32 holds exactly (< 2^24) and not negative zero.
func integerValued(data []float32) bool {
	for _, v := range data {
		if v < 0 || v >= 1<<24 || v != float32(math.Trunc(float64(v))) || math.Signbit(float64(v)) {
			return false
		}
	}
	return true
}

// encodeMatrixChunk encodes rows [lo, hi) of x as a chunk whose first row
// is numbered first.
func encodeMatrixChunk(x *sparse.CSR, lo, hi int, ints bool, first uint32) []byte {
	nnz := int(x.Indptr[hi] - x.Indptr[lo])
	size := 16 + (hi-lo)*2 + nnz*2
	if !ints {
		size += nnz * 3
	}
	e := newEnc(matrixVersion, size)
	var flags byte
	if ints {
		flags |= flagIntValues
	}
	e.u8(flags)
	e.u32(first)
	e.uv(uint64(hi - lo))
	e.uv(uint64(nnz))
	for r := lo; r < hi; r++ {
		e.uv(uint64(x.Indptr[r+1] - x.Indptr[r]))
	}
	for r := lo; r < hi; r++ {
		prev := int32(-1)
		for _, c := range x.Indices[x.Indptr[r]:x.Indptr[r+1]] {
			e.uv(uint64(c - prev - 1))
			prev = c
		}
	}
	vals := x.Data[x.Indptr[lo]:x.Indptr[hi]]
	if ints {
		for _, v := range vals {
			e.uv(uint64(v))
		}
	} else {
		for _, v := range vals {
			e.f32(v)
		}
	}
	return e.seal()
}

// decodeMatrixChunk appends the rows of chunk v whose global index lies in
// [lo, hi) to dst (dst.Indptr must hold at least its leading 0), checking
// columns against cols. It returns the chunk's first row and row count.
func decodeMatrixChunk(v []byte, cols int, dst *sparse.CSR, lo, hi int) (first, rows int, err error) {
	d, err := openRecord("matrix chunk", v, matrixVersion)
	if err != nil {
		return 0, 0, err
	}
	flags := d.u8()
	if flags&^flagIntValues != 0 {
		d.fail("unknown flags %#x", flags)
	}
	first = int(d.u32())
	r := d.count(1)
	n := d.count(2)
	if d.err != nil {
		return 0, 0, d.err
	}
	lens := make([]int, r)
	total := 0
	for i := range lens {
		l := d.uvBounded(uint64(n))
		lens[i] = int(l)
		total += int(l)
		if total > n {
			d.fail("row lengths exceed nnz %d", n)
			return 0, 0, d.err
		}
	}
	if d.err == nil && total != n {
		d.fail("row lengths sum to %d, nnz is %d", total, n)
	}
	if d.err != nil {
		return 0, 0, d.err
	}
	// Entries of rows before lo are skipped, rows at or after hi are dropped.
	skipRows := min(max(lo-first, 0), r)
	keepRows := min(max(hi-first, 0), r) - skipRows
	if keepRows < 0 {
		keepRows = 0
	}
	skipN, keepN := 0, 0
	for i := 0; i < skipRows; i++ {
		skipN += lens[i]
	}
	for i := skipRows; i < skipRows+keepRows; i++ {
		keepN += lens[i]
	}
	base := len(dst.Indices)
	dst.Indices = slicesGrow(dst.Indices, keepN)
	dst.Data = slicesGrowF(dst.Data, keepN)
	k := 0
	b, off := d.b, d.off
	for i := 0; i < r; i++ {
		c := int64(-1)
		keep := i >= skipRows && i < skipRows+keepRows
		for j := 0; j < lens[i]; j++ {
			var x uint64
			if off < len(b) && b[off] < 0x80 { // one-byte varint: the common case
				x = uint64(b[off])
				off++
			} else {
				v, w := binary.Uvarint(b[off:])
				if w <= 0 {
					d.off = off
					d.fail("bad varint")
					return 0, 0, d.err
				}
				x, off = v, off+w
			}
			c += int64(x) + 1
			if x >= uint64(cols) || c >= int64(cols) {
				d.off = off
				d.fail("row %d: column %d ≥ %d", first+i, c, cols)
				return 0, 0, d.err
			}
			if keep {
				dst.Indices = append(dst.Indices, int32(c))
			}
		}
		if keep {
			k += lens[i]
			dst.Indptr = append(dst.Indptr, int64(base+k))
		}
	}
	d.off = off
	if flags&flagIntValues != 0 {
		for j := 0; j < n; j++ {
			var x uint64
			if off < len(b) && b[off] < 0x80 {
				x = uint64(b[off])
				off++
			} else {
				v, w := binary.Uvarint(b[off:])
				if w <= 0 || v >= 1<<24 {
					d.off = off
					d.fail("bad integer value")
					return 0, 0, d.err
				}
				x, off = v, off+w
			}
			if j >= skipN && j < skipN+keepN {
				dst.Data = append(dst.Data, float32(x))
			}
		}
		d.off = off
	} else {
		if !d.need(4 * n) {
			return 0, 0, d.err
		}
		raw := d.b[d.off+4*skipN : d.off+4*(skipN+keepN)]
		for j := 0; j < keepN; j++ {
			dst.Data = append(dst.Data, math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:])))
		}
		d.off += 4 * n
	}
	if err := d.done(); err != nil {
		return 0, 0, err
	}
	return first, r, nil
}

func slicesGrow(s []int32, n int) []int32 {
	if cap(s)-len(s) >= n {
		return s
	}
	return append(make([]int32, 0, len(s)+n), s...)
}

func slicesGrowF(s []float32, n int) []float32 {
	if cap(s)-len(s) >= n {
		return s
	}
	return append(make([]float32, 0, len(s)+n), s...)
}

// putMatrix stores x in chunks under dataset ds.
func (tx *Tx) putMatrix(ctx context.Context, ds uint32, x *sparse.CSR) error {
	mb, err := tx.bucket(bMatrix)
	if err != nil {
		return err
	}
	mb.FillPercent = 1.0
	ints := integerValued(x.Data)
	bytesPerNNZ := 6
	if ints {
		bytesPerNNZ = 3
	}
	for lo := 0; lo < x.Rows; {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := lo + 1
		for hi < x.Rows && hi-lo < matrixChunkCells &&
			int(x.Indptr[hi+1]-x.Indptr[lo])*bytesPerNNZ+2*(hi-lo) < matrixChunkBytes {
			hi++
		}
		if err := mb.Put(u32u32key(ds, uint32(lo)), encodeMatrixChunk(x, lo, hi, ints, uint32(lo))); err != nil {
			return err
		}
		lo = hi
	}
	return nil
}

// Matrix returns a dataset's whole matrix (cells × dataset genes, columns
// in the dataset's own order; DatasetGenes maps them to global genes).
func (tx *Tx) Matrix(ds uint32) (*sparse.CSR, error) {
	info, err := tx.DatasetByID(ds)
	if err != nil {
		return nil, err
	}
	return tx.matrixRows(info, 0, info.Cells, int(info.NNZ))
}

// MatrixRows returns rows [lo, hi) of a dataset's matrix as a new CSR of
// hi−lo rows; it reads only the chunks that hold them.
func (tx *Tx) MatrixRows(ds uint32, lo, hi int) (*sparse.CSR, error) {
	info, err := tx.DatasetByID(ds)
	if err != nil {
		return nil, err
	}
	if lo < 0 || hi < lo || hi > info.Cells {
		return nil, fmt.Errorf("%w: rows [%d, %d) of dataset %d with %d cells", ErrInvalid, lo, hi, ds, info.Cells)
	}
	return tx.matrixRows(info, lo, hi, 0)
}

func (tx *Tx) matrixRows(info DatasetInfo, lo, hi, nnzHint int) (*sparse.CSR, error) {
	mb, err := tx.bucket(bMatrix)
	if err != nil {
		return nil, err
	}
	// The record's counts only size the buffers up to what the file can
	// hold (a row takes at least 1 byte, a nonzero 2): a count that claims
	// more gives ErrCorrupt below instead of exhausting memory.
	nnzHint = tx.sizeHint(uint64(max(nnzHint, 0)), 2)
	out := &sparse.CSR{Rows: hi - lo, Cols: info.Genes, Indptr: make([]int64, 1, tx.sizeHint(uint64(hi-lo)+1, 1)),
		Indices: make([]int32, 0, nnzHint), Data: make([]float32, 0, nnzHint)}
	if hi == lo {
		return out, nil
	}
	prefix := u32key(info.ID)
	c := mb.Cursor()
	k, v := c.Seek(u32u32key(info.ID, uint32(lo)))
	if k != nil && bytes.HasPrefix(k, prefix) && len(k) != 8 {
		return nil, fmt.Errorf("%w: matrix key %x", ErrCorrupt, k)
	}
	if k == nil || !bytes.HasPrefix(k, prefix) || binary.BigEndian.Uint32(k[4:]) > uint32(lo) {
		k, v = c.Prev()
	}
	next := -1 // first row the next chunk must start at
	for ; k != nil && bytes.HasPrefix(k, prefix) && len(out.Indptr) <= hi-lo; k, v = c.Next() {
		if len(k) != 8 {
			return nil, fmt.Errorf("%w: matrix key %x", ErrCorrupt, k)
		}
		first, rows, err := decodeMatrixChunk(v, info.Genes, out, lo, hi)
		if err != nil {
			return nil, fmt.Errorf("dataset %d: %w", info.ID, err)
		}
		if first != int(binary.BigEndian.Uint32(k[4:])) || (next >= 0 && first != next) {
			return nil, fmt.Errorf("%w: dataset %d: matrix chunk at row %d out of sequence", ErrCorrupt, info.ID, first)
		}
		next = first + rows
	}
	if len(out.Indptr) != hi-lo+1 {
		return nil, fmt.Errorf("%w: dataset %d: matrix chunks hold %d of rows [%d, %d)", ErrCorrupt, info.ID, len(out.Indptr)-1, lo, hi)
	}
	return out, nil
}
