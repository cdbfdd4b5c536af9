package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
)

// Record framing (every value except the fixed-width u32 values noted in
// doc.go):
//
//	[0]        record version (per record type; all are 1 at schema 2)
//	[1:n-4]    body, layout documented on each record type
//	[n-4:n]    CRC-32C (Castagnoli) of bytes [0:n-4], big-endian
//
// Body primitives: u8 one byte; u32/u64 fixed big-endian; uv unsigned
// varint (encoding/binary.Uvarint); sv signed zig-zag varint; str and bytes
// are uv length followed by the bytes; f32 is IEEE-754 bits, little-endian
// (the in-memory order on every platform genestore targets). A decoder
// checks the checksum first, then the version, then every length against
// the bytes left (a corrupt length never makes it allocate more than the
// value's size), and rejects trailing bytes. Any failure is ErrCorrupt.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type enc struct{ b []byte }

func newEnc(version byte, size int) *enc {
	e := &enc{b: make([]byte, 1, size+5)}
	e.b[0] = version
	return e
}

func (e *enc) u8(v byte)      { e.b = append(e.b, v) }
func (e *enc) u32(v uint32)   { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *enc) u64(v uint64)   { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *enc) uv(v uint64)    { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) sv(v int64)     { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) f32(v float32)  { e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(v)) }
func (e *enc) str(s string)   { e.uv(uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) bytes(p []byte) { e.uv(uint64(len(p))); e.b = append(e.b, p...) }
func (e *enc) seal() []byte {
	return binary.BigEndian.AppendUint32(e.b, crc32.Checksum(e.b, castagnoli))
}
func (e *enc) count(n int)  { e.uv(uint64(n)) }
func (e *enc) raw(p []byte) { e.b = append(e.b, p...) }

func (e *enc) boolean(v bool) {
	if v {
		e.u8(1)
	} else {
		e.u8(0)
	}
}

func (e *enc) u32s(v []uint32) {
	e.count(len(v))
	for _, x := range v {
		e.u32(x)
	}
}

func (e *enc) strs(v []string) {
	e.count(len(v))
	for _, s := range v {
		e.str(s)
	}
}

type dec struct {
	what string
	b    []byte
	off  int
	err  error
}

// openRecord checks framing and returns a decoder over the body.
func openRecord(what string, v []byte, version byte) (*dec, error) {
	body, err := recordBody(what, v, version)
	if err != nil {
		return nil, err
	}
	return &dec{what: what, b: body}, nil
}

// recordBody checks a record's checksum and version and returns its body,
// as openRecord without allocating a decoder.
func recordBody(what string, v []byte, version byte) ([]byte, error) {
	if len(v) < 5 {
		return nil, fmt.Errorf("%w: %s: %d bytes, too short", ErrCorrupt, what, len(v))
	}
	n := len(v) - 4
	if got, want := crc32.Checksum(v[:n], castagnoli), binary.BigEndian.Uint32(v[n:]); got != want {
		return nil, fmt.Errorf("%w: %s: checksum mismatch (%08x, stored %08x)", ErrCorrupt, what, got, want)
	}
	if v[0] != version {
		return nil, fmt.Errorf("%w: %s: record version %d, this binary reads %d", ErrCorrupt, what, v[0], version)
	}
	return v[1:n], nil
}

func (d *dec) fail(format string, a ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s: at byte %d: %s", ErrCorrupt, d.what, d.off+1, fmt.Sprintf(format, a...))
	}
}

func (d *dec) left() int { return len(d.b) - d.off }

func (d *dec) need(n int) bool {
	if d.err != nil {
		return false
	}
	if n < 0 || d.left() < n {
		d.fail("truncated")
		return false
	}
	return true
}

func (d *dec) u8() byte {
	if !d.need(1) {
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

func (d *dec) boolean() bool {
	switch d.u8() {
	case 0:
		return false
	case 1:
		return true
	default:
		d.fail("bad boolean")
		return false
	}
}

func (d *dec) u32() uint32 {
	if !d.need(4) {
		return 0
	}
	d.off += 4
	return binary.BigEndian.Uint32(d.b[d.off-4:])
}

func (d *dec) u64() uint64 {
	if !d.need(8) {
		return 0
	}
	d.off += 8
	return binary.BigEndian.Uint64(d.b[d.off-8:])
}

func (d *dec) f32() float32 {
	if !d.need(4) {
		return 0
	}
	d.off += 4
	return math.Float32frombits(binary.LittleEndian.Uint32(d.b[d.off-4:]))
}

func (d *dec) uv() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

func (d *dec) sv() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

// count reads a uv element count and checks that n elements of at least
// minSize bytes each fit in the bytes left.
func (d *dec) count(minSize int) int {
	n := d.uv()
	if d.err != nil {
		return 0
	}
	if minSize < 1 {
		minSize = 1
	}
	if n > uint64(d.left()/minSize) {
		d.fail("count %d exceeds the %d bytes left", n, d.left())
		return 0
	}
	return int(n)
}

func (d *dec) rawBytes() []byte {
	n := d.count(1)
	if !d.need(n) {
		return nil
	}
	d.off += n
	return d.b[d.off-n : d.off]
}

func (d *dec) str() string { return string(d.rawBytes()) }

func (d *dec) bytes() []byte { return append([]byte(nil), d.rawBytes()...) }

func (d *dec) u32s() []uint32 {
	n := d.count(4)
	if d.err != nil {
		return nil
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = d.u32()
	}
	return out
}

func (d *dec) strs() []string {
	n := d.count(1)
	if d.err != nil {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

// done reports the first error or trailing bytes.
func (d *dec) done() error {
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d trailing bytes", len(d.b)-d.off)
	}
	return d.err
}
