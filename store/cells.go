package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"genestore/store/ingest"
)

// barcodeChunkCells is how many barcodes one "barcodes" value holds.
const barcodeChunkCells = 4096

// putCells stores a dataset's barcodes in chunks and the barcode → index
// lookup (keys inserted in sorted order, so pages fill completely).
func (tx *Tx) putCells(ctx context.Context, ds uint32, barcodes []string) error {
	bb, err := tx.bucket(bBarcodes)
	if err != nil {
		return err
	}
	ib, err := tx.bucket(bCellIndex)
	if err != nil {
		return err
	}
	bb.FillPercent = 1.0
	ib.FillPercent = 1.0
	for lo := 0; lo < len(barcodes); lo += barcodeChunkCells {
		hi := min(lo+barcodeChunkCells, len(barcodes))
		if err := bb.Put(u32u32key(ds, uint32(lo)), encodeBarcodes(barcodes[lo:hi])); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	order := make([]uint32, len(barcodes))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(a, b uint32) int { return strings.Compare(barcodes[a], barcodes[b]) })
	for _, i := range order {
		if err := ib.Put(u32strkey(ds, barcodes[i]), u32key(i)); err != nil {
			return err
		}
	}
	return nil
}

// Barcodes returns a dataset's barcodes in cell (row) order.
func (tx *Tx) Barcodes(ds uint32) ([]string, error) {
	bb, err := tx.bucket(bBarcodes)
	if err != nil {
		return nil, err
	}
	var out []string
	prefix := u32key(ds)
	c := bb.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) != 8 || int(binary.BigEndian.Uint32(k[4:])) != len(out) {
			return nil, fmt.Errorf("%w: barcode chunk key %x out of sequence", ErrCorrupt, k)
		}
		part, err := decodeBarcodes(v)
		if err != nil {
			return nil, fmt.Errorf("dataset %d: %w", ds, err)
		}
		out = append(out, part...)
	}
	if out == nil {
		return nil, fmt.Errorf("%w: dataset id %d has no cells", ErrNotFound, ds)
	}
	return out, nil
}

// CellByBarcode returns the cell (row) index of a barcode in a dataset.
func (tx *Tx) CellByBarcode(ds uint32, barcode string) (uint32, error) {
	ib, err := tx.bucket(bCellIndex)
	if err != nil {
		return 0, err
	}
	v := ib.Get(u32strkey(ds, barcode))
	if v == nil {
		return 0, fmt.Errorf("%w: barcode %q in dataset %d", ErrNotFound, barcode, ds)
	}
	if len(v) != 4 {
		return 0, fmt.Errorf("%w: cell index of %q is %d bytes", ErrCorrupt, barcode, len(v))
	}
	return binary.BigEndian.Uint32(v), nil
}

// putObs stores one obs column.
func (tx *Tx) putObs(ds uint32, c ingest.ObsColumn) error {
	ob, err := tx.bucket(bObs)
	if err != nil {
		return err
	}
	return ob.Put(u32strkey(ds, c.Name), encodeObs(c))
}

// ObsColumn returns one obs column's values in cell order.
func (tx *Tx) ObsColumn(ds uint32, name string) ([]string, error) {
	c, err := tx.Obs(ds, name)
	return c.Values, err
}

// Obs returns one obs column with its categorical flag.
func (tx *Tx) Obs(ds uint32, name string) (ingest.ObsColumn, error) {
	ob, err := tx.bucket(bObs)
	if err != nil {
		return ingest.ObsColumn{}, err
	}
	v := ob.Get(u32strkey(ds, name))
	if v == nil {
		return ingest.ObsColumn{}, fmt.Errorf("%w: obs column %q of dataset %d", ErrNotFound, name, ds)
	}
	c, err := decodeObs(v)
	c.Name = name
	return c, err
}

// barcodesVersion is the version byte of barcode chunks.
//
// Barcode chunk (bucket "barcodes", key u32 dataset ‖ u32 index of its first
// cell), version 1:
//
//	uv n, n × str barcode
const barcodesVersion = 1

func encodeBarcodes(b []string) []byte {
	n := 8
	for _, s := range b {
		n += len(s) + 2
	}
	e := newEnc(barcodesVersion, n)
	e.strs(b)
	return e.seal()
}

func decodeBarcodes(v []byte) ([]string, error) {
	d, err := openRecord("barcode chunk", v, barcodesVersion)
	if err != nil {
		return nil, err
	}
	out := d.strs()
	return out, d.done()
}

// obsVersion is the version byte of obs column records.
//
// Obs column (bucket "obs", key u32 dataset ‖ column name), version 1,
// dictionary-encoded in order of first appearance:
//
//	u8 categorical (0/1), uv k, k × str level, uv n, n × uv code (< k)
const obsVersion = 1

func encodeObs(c ingest.ObsColumn) []byte {
	codes := make([]uint64, len(c.Values))
	index := map[string]uint64{}
	var levels []string
	size := 16
	for i, v := range c.Values {
		code, ok := index[v]
		if !ok {
			code = uint64(len(levels))
			index[v] = code
			levels = append(levels, v)
			size += len(v) + 2
		}
		codes[i] = code
		size += 2
	}
	e := newEnc(obsVersion, size)
	e.boolean(c.Categorical)
	e.strs(levels)
	e.count(len(codes))
	for _, x := range codes {
		e.uv(x)
	}
	return e.seal()
}

func decodeObs(v []byte) (ingest.ObsColumn, error) {
	d, err := openRecord("obs column", v, obsVersion)
	if err != nil {
		return ingest.ObsColumn{}, err
	}
	var c ingest.ObsColumn
	c.Categorical = d.boolean()
	levels := d.strs()
	n := d.count(1)
	if d.err == nil {
		c.Values = make([]string, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		x := d.uv()
		if x >= uint64(len(levels)) {
			d.fail("code %d ≥ %d levels", x, len(levels))
			break
		}
		c.Values[i] = levels[x]
	}
	if err := d.done(); err != nil {
		return ingest.ObsColumn{}, err
	}
	return c, nil
}
