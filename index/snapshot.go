package index

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
)

// Snapshot format, version 3. All integers are little-endian; floats are
// IEEE-754 binary32 bit patterns. Every array is in internal-id order, so the
// same graph always gives the same bytes.
//
//	offset  size  field
//	0       8     magic "gsHNSW\x00\x01"
//	8       4     format version (3; Read also reads 1 and 2)
//	12      4     dim
//	16      1     metric (0 cosine, 1 inner product)
//	17      1     quantization (0 float32, 1 int8; version 1: always 0)
//	18      1     int8 ranges present (0 or 1; 0 unless int8)
//	19      1     int8 clamp marks present (0 or 1; 0 unless int8; version 2: 0)
//	20      4     M
//	24      4     EfConstruction
//	28      4     EfSearch
//	32      4     ExactBelow (int32; negative: never exact)
//	36      8     seed (of the level generator, see Read)
//	44      8     generation (caller's stamp, see SetGeneration)
//	52      4     n: nodes, tombstones included
//	56      4     number of tombstones
//	60      4     entry point id (0 when n = 0)
//	64      4     top level + 1 (0 when n = 0)
//	68      8     U: length of the upper-layer link array, in uint32s
//	76      n     level of each node, uint8
//	        8n    key of each node, uint64
//	        8⌈n/64⌉ tombstone bitset, uint64 words, bit i%64 of word i/64
//	        4n(2M+1) layer-0 links: per node a count then 2M slots (unused slots zero)
//	        4U    upper links: for each node with level L > 0, in id order, L blocks
//	              (layer 1 first) of a count then M slots (unused slots zero)
//	        float32: 4n·dim vectors (normalised under cosine)
//	        int8:    if ranges present, 4·dim lo then 4·dim scale (element j
//	                 of a node is lo_j + scale_j·code); then n·dim codes, uint8;
//	                 then, if clamp marks present, 8⌈n/64⌉ clamp bitset
//	                 (bit i%64 of word i/64: node i's codes are off its vector
//	                 by more than half a step somewhere; absent: unknown)
//	end−4   4     CRC-32C (Castagnoli) of every byte before it
//
// Version 2 is version 3 with byte 19 zero: an int8 index read from it does
// not know which nodes were clamped and re-ranks every candidate (see
// SearchOptions.Rerank). Version 1 is version 2 with bytes 17 and 18 zero
// (float32 only). Read takes all three, WriteTo writes 3.
const (
	snapshotVersion = 3
	headerSize      = 76
)

var (
	snapshotMagic = [8]byte{'g', 's', 'H', 'N', 'S', 'W', 0, 1}
	castagnoli    = crc32.MakeTable(crc32.Castagnoli)
)

// SnapshotVersion is the snapshot format version this package writes.
const SnapshotVersion = snapshotVersion

const chunk = 1 << 20 // bytes encoded or decoded per step

// encoder writes through a fixed buffer, keeping a CRC and a byte count.
type encoder struct {
	w   io.Writer
	buf []byte
	crc uint32
	n   int64
	err error
}

func (e *encoder) flush() {
	if e.err != nil || len(e.buf) == 0 {
		e.buf = e.buf[:0]
		return
	}
	e.crc = crc32.Update(e.crc, castagnoli, e.buf)
	m, err := e.w.Write(e.buf)
	e.n += int64(m)
	e.err = err
	e.buf = e.buf[:0]
}

func (e *encoder) room(k int) {
	if len(e.buf)+k > cap(e.buf) {
		e.flush()
	}
}

func (e *encoder) bytes(p []byte) {
	for len(p) > 0 {
		e.room(1)
		k := min(len(p), cap(e.buf)-len(e.buf))
		e.buf = append(e.buf, p[:k]...)
		p = p[k:]
	}
}

func (e *encoder) u32s(p []uint32) {
	for _, x := range p {
		e.room(4)
		e.buf = binary.LittleEndian.AppendUint32(e.buf, x)
	}
}

func (e *encoder) u64s(p []uint64) {
	for _, x := range p {
		e.room(8)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, x)
	}
}

func (e *encoder) f32s(p []float32) {
	for _, x := range p {
		e.room(4)
		e.buf = binary.LittleEndian.AppendUint32(e.buf, math.Float32bits(x))
	}
}

// WriteTo writes a snapshot of the index (format above) to w and returns
// the number of bytes written. It holds the read lock while writing.
func (ix *Index) WriteTo(w io.Writer) (int64, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	e := &encoder{w: w, buf: make([]byte, 0, chunk)}
	var h [headerSize]byte
	copy(h[0:8], snapshotMagic[:])
	le := binary.LittleEndian
	le.PutUint32(h[8:], snapshotVersion)
	le.PutUint32(h[12:], uint32(ix.dim))
	h[16] = byte(ix.opts.Metric)
	h[17] = byte(ix.opts.Quantize)
	if ix.fitted() {
		h[18] = 1
	}
	if ix.q8() && !ix.clampUnknown {
		h[19] = 1
	}
	le.PutUint32(h[20:], uint32(ix.opts.M))
	le.PutUint32(h[24:], uint32(ix.opts.EfConstruction))
	le.PutUint32(h[28:], uint32(ix.opts.EfSearch))
	le.PutUint32(h[32:], uint32(int32(max(min(ix.opts.ExactBelow, math.MaxInt32), math.MinInt32))))
	le.PutUint64(h[36:], ix.opts.Seed)
	le.PutUint64(h[44:], ix.generation)
	n := ix.count()
	le.PutUint32(h[52:], uint32(n))
	le.PutUint32(h[56:], uint32(ix.ndeleted))
	le.PutUint32(h[60:], ix.entry)
	le.PutUint32(h[64:], uint32(ix.maxLevel+1))
	le.PutUint64(h[68:], uint64(len(ix.upper)))
	e.bytes(h[:])
	if ix.up != nil {
		e.bytes(ix.up.levels())
	} else {
		e.bytes(ix.levels)
	}
	if ix.kr != nil {
		e.u64s(ix.kr.all())
	} else {
		e.u64s(ix.keys)
	}
	e.u64s(ix.deleted[:(n+63)/64])
	if ix.pk != nil {
		blk := make([]uint32, ix.m0+1)
		var buf []uint32
		for id := range n {
			buf = ix.pk.decode(uint32(id), buf[:0])
			blk[0] = uint32(len(buf))
			clear(blk[1+copy(blk[1:], buf):])
			e.u32s(blk)
		}
	} else {
		e.u32s(ix.links0)
	}
	e.u32s(ix.upper)
	if ix.q8() {
		if ix.fitted() {
			e.f32s(ix.lo)
			e.f32s(ix.scale)
		}
		e.bytes(ix.codes)
		if h[19] == 1 {
			e.u64s(ix.clampedWords(n))
		}
	} else {
		e.f32s(ix.vecs)
	}
	e.flush()
	if e.err != nil {
		return e.n, fmt.Errorf("index: write snapshot: %w", e.err)
	}
	var t [4]byte
	le.PutUint32(t[:], e.crc)
	m, err := w.Write(t[:])
	e.n += int64(m)
	if err != nil {
		return e.n, fmt.Errorf("index: write snapshot: %w", err)
	}
	return e.n, nil
}

// decoder reads fixed-size pieces through a buffer, keeping a CRC. avail is
// the number of bytes known to remain in the input, or −1 when unknown.
type decoder struct {
	r     io.Reader
	buf   []byte
	crc   uint32
	avail int64
}

// remaining returns how many bytes r still holds, when r can tell cheaply
// (bytes.Reader, bytes.Buffer, strings.Reader, *os.File), or −1.
func remaining(r io.Reader) int64 {
	switch r := r.(type) {
	case interface{ Len() int }:
		return int64(r.Len())
	case *os.File:
		st, err := r.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return -1
		}
		pos, err := r.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1
		}
		return max(st.Size()-pos, 0)
	}
	return -1
}

// next returns the next k ≤ chunk bytes (valid until the next call).
func (d *decoder) next(k int) ([]byte, error) {
	if cap(d.buf) < k {
		d.buf = make([]byte, k)
	}
	b := d.buf[:k]
	if _, err := io.ReadFull(d.r, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	if d.avail >= 0 {
		d.avail -= int64(k)
	}
	d.crc = crc32.Update(d.crc, castagnoli, b)
	return b, nil
}

// readArray decodes count elements of size sz with conv (which fills dst
// from len(dst)·sz bytes). When the input size is known it checks that the
// array fits before allocating it once; otherwise it decodes piece by piece
// and allocates the whole array only after the bytes have arrived, so a
// corrupt count cannot make it allocate more than about twice the input.
func readArray[T any](d *decoder, count uint64, sz int, conv func(dst []T, b []byte)) ([]T, error) {
	per := uint64(chunk / sz)
	if d.avail >= 0 {
		if count*uint64(sz) > uint64(d.avail) {
			return nil, fmt.Errorf("%w: truncated: %d more bytes needed, %d left", ErrSnapshot, count*uint64(sz), d.avail)
		}
		out := make([]T, count)
		for pos := uint64(0); pos < count; {
			k := min(count-pos, per)
			b, err := d.next(int(k) * sz)
			if err != nil {
				return nil, err
			}
			conv(out[pos:pos+k], b)
			pos += k
		}
		// Ask for huge pages only now: advising before the first write makes
		// every page fault try to compact memory, which stalled loads for up
		// to a second on a busy machine, page by page. One MADV_COLLAPSE of
		// the written array copies it once (and may compact once; see
		// collapseHuge), and the index searches with huge pages from its
		// first query, not once khugepaged (16 MiB every 10 s by default)
		// has got to it.
		collapseHuge(out)
		return out, nil
	}
	var pieces [][]T
	for left := count; left > 0; {
		k := min(left, per)
		b, err := d.next(int(k) * sz)
		if err != nil {
			return nil, err
		}
		p := make([]T, k)
		conv(p, b)
		pieces = append(pieces, p)
		left -= k
	}
	out := make([]T, 0, count)
	for _, p := range pieces {
		out = append(out, p...)
	}
	collapseHuge(out)
	return out, nil
}

func convU32(dst []uint32, b []byte) {
	b = b[:4*len(dst)]
	for i := range dst {
		dst[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
}

func convU64(dst []uint64, b []byte) {
	b = b[:8*len(dst)]
	for i := range dst {
		dst[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
}

func convF32(dst []float32, b []byte) {
	b = b[:4*len(dst)]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

func convU8(dst []uint8, b []byte) { copy(dst, b) }

// Read decodes a snapshot written by WriteTo. It checks the magic, version,
// every field and link, and the CRC, and returns an error wrapping
// ErrSnapshot for any problem; it never panics on corrupt input. The loaded
// index draws the levels of later inserts from a PCG seeded with the stored
// seed and node count.
func Read(r io.Reader) (*Index, error) {
	d := &decoder{r: r, avail: remaining(r)}
	h, err := d.next(headerSize)
	if err != nil {
		return nil, err
	}
	hd, err := decodeHeader(h)
	if err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrSnapshot}, args...)...)
	}
	opts, dim, gen, n, ndel, entry, top, upperLen := hd.Options, uint32(hd.Dim), hd.Generation, uint32(hd.Nodes), uint32(hd.Deleted), hd.entry, hd.top, hd.upperLen
	ix := &Index{dim: int(dim), opts: opts,
		maxLevel: int(top) - 1, entry: entry, generation: gen, ndeleted: int(ndel)}
	ix.initParams()
	ix.rng = rand.NewPCG(opts.Seed, uint64(n))
	m, m0 := ix.m, ix.m0

	if ix.levels, err = readArray(d, uint64(n), 1, convU8); err != nil {
		return nil, err
	}
	var sumLevels uint64
	for _, l := range ix.levels {
		if l > maxLevelCap {
			return nil, bad("node level %d above %d", l, maxLevelCap)
		}
		sumLevels += uint64(l)
	}
	if n > 0 && int(ix.levels[entry]) != ix.maxLevel {
		return nil, bad("entry point level %d, top level %d", ix.levels[entry], ix.maxLevel)
	}
	if sumLevels*uint64(m+1) != upperLen {
		return nil, bad("upper link length %d, levels need %d", upperLen, sumLevels*uint64(m+1))
	}
	if ix.keys, err = readArray(d, uint64(n), 8, convU64); err != nil {
		return nil, err
	}
	words := (uint64(n) + 63) / 64
	if ix.deleted, err = readArray(d, words, 8, convU64); err != nil {
		return nil, err
	}
	pop := 0
	for _, w := range ix.deleted {
		pop += bits.OnesCount64(w)
	}
	if n%64 != 0 && ix.deleted[words-1]>>(n%64) != 0 {
		return nil, bad("tombstone bits beyond the last node")
	}
	if pop != int(ndel) {
		return nil, bad("%d tombstone bits, header says %d", pop, ndel)
	}
	ix.byKey = make(map[uint64]uint32, len(ix.keys)-pop)
	for id, k := range ix.keys {
		if ix.isDeleted(uint32(id)) {
			continue
		}
		if _, dup := ix.byKey[k]; dup {
			return nil, bad("live key %d twice", k)
		}
		ix.byKey[k] = uint32(id)
	}
	if ix.links0, err = readArray(d, uint64(n)*uint64(m0+1), 4, convU32); err != nil {
		return nil, err
	}
	if err := checkLinks(ix.links0, m0, n, func(i int) uint32 { return uint32(i / (m0 + 1)) }); err != nil {
		return nil, err
	}
	if ix.upper, err = readArray(d, upperLen, 4, convU32); err != nil {
		return nil, err
	}
	ix.upperOff = make([]uint32, n)
	// Owner and layer of each upper block; a link on layer l must point to a
	// node whose level is at least l.
	owners := make([]uint32, 0, upperLen/uint64(m+1))
	layers := make([]uint8, 0, upperLen/uint64(m+1))
	off := uint32(0)
	for id, l := range ix.levels {
		ix.upperOff[id] = off
		for j := range l {
			owners = append(owners, uint32(id))
			layers = append(layers, j+1)
		}
		off += uint32(l) * uint32(m+1)
	}
	if err := checkLinks(ix.upper, m, n, func(i int) uint32 { return owners[i/(m+1)] }); err != nil {
		return nil, err
	}
	for b := 0; b < len(ix.upper); b += m + 1 {
		l := layers[b/(m+1)]
		for _, x := range ix.upper[b+1 : b+1+int(ix.upper[b])] {
			if ix.levels[x] < l {
				return nil, bad("node %d links on layer %d to node %d of level %d", owners[b/(m+1)], l, x, ix.levels[x])
			}
		}
	}
	if opts.Quantize == Int8 {
		if h[18] == 1 {
			if ix.lo, err = readArray(d, uint64(dim), 4, convF32); err != nil {
				return nil, err
			}
			if ix.scale, err = readArray(d, uint64(dim), 4, convF32); err != nil {
				return nil, err
			}
			if !finite(ix.lo) || !finite(ix.scale) {
				return nil, bad("NaN or infinite int8 range")
			}
			for _, s := range ix.scale {
				if s < 0 {
					return nil, bad("negative int8 scale %v", s)
				}
			}
		}
		if ix.codes, err = readArray(d, uint64(n)*uint64(dim), 1, convU8); err != nil {
			return nil, err
		}
		if h[19] == 1 {
			if ix.clamped, err = readArray(d, words, 8, convU64); err != nil {
				return nil, err
			}
			if n%64 != 0 && ix.clamped[words-1]>>(n%64) != 0 {
				return nil, bad("clamp bits beyond the last node")
			}
		} else {
			ix.clamped, ix.clampUnknown = make([]uint64, words), true
		}
	} else {
		if ix.vecs, err = readArray(d, uint64(n)*uint64(dim), 4, convF32); err != nil {
			return nil, err
		}
		if !finite(ix.vecs) {
			return nil, bad("NaN or infinite vector element")
		}
	}
	want := d.crc
	t, err := d.next(4)
	if err != nil {
		return nil, err
	}
	if got := binary.LittleEndian.Uint32(t); got != want {
		return nil, bad("CRC %08x, computed %08x", got, want)
	}
	return ix, nil
}

// checkLinks validates blocks of (count, c slots): count ≤ c, ids < n and
// not the owner, unused slots zero. The inner loops accumulate instead of
// branching; the slow path only finds the culprit for the message.
func checkLinks(a []uint32, c int, n uint32, owner func(i int) uint32) error {
	for b := 0; b+c+1 <= len(a); b += c + 1 {
		cnt := a[b]
		if cnt > uint32(c) {
			return fmt.Errorf("%w: link count %d above %d", ErrSnapshot, cnt, c)
		}
		o := owner(b)
		blk := a[b+1 : b+1+c]
		var bad, tail uint32
		for _, x := range blk[:cnt] {
			if x >= n || x == o {
				bad = 1
			}
		}
		for _, x := range blk[cnt:] {
			tail |= x
		}
		if bad != 0 {
			for _, x := range blk[:cnt] {
				if x >= n || x == o {
					return fmt.Errorf("%w: node %d links to %d", ErrSnapshot, o, x)
				}
			}
		}
		if tail != 0 {
			return fmt.Errorf("%w: node %d has a non-zero unused link slot", ErrSnapshot, o)
		}
	}
	return nil
}

// SnapshotInfo is what a snapshot's header says of its index.
type SnapshotInfo struct {
	Version    int     // format version
	Dim        int     // vector dimension
	Options    Options // Metric, Quantize, M, EfConstruction, EfSearch, ExactBelow, Seed
	Generation uint64  // the caller's stamp (SetGeneration)
	Nodes      int     // nodes, tombstones included
	Deleted    int     // tombstones

	entry, top uint32
	upperLen   uint64
}

// ReadSnapshotInfo decodes the header of a snapshot from its first bytes
// (at least SnapshotHeaderSize) without reading or checking the rest, as a
// store describing its indexes does; Read is what validates a snapshot.
func ReadSnapshotInfo(b []byte) (SnapshotInfo, error) {
	if len(b) < headerSize {
		return SnapshotInfo{}, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrSnapshot, len(b), headerSize)
	}
	return decodeHeader(b[:headerSize])
}

// SnapshotHeaderSize is the length of a snapshot's header.
const SnapshotHeaderSize = headerSize

// decodeHeader decodes and checks a snapshot header.
func decodeHeader(h []byte) (SnapshotInfo, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrSnapshot}, args...)...)
	}
	if [8]byte(h[0:8]) != snapshotMagic {
		return SnapshotInfo{}, bad("not an index snapshot (magic %q)", h[0:8])
	}
	le := binary.LittleEndian
	version := le.Uint32(h[8:])
	if version < 1 || version > snapshotVersion {
		return SnapshotInfo{}, bad("format version %d, this build reads 1 to %d", version, snapshotVersion)
	}
	opts := Options{
		Metric:         Metric(h[16]),
		Quantize:       Quantization(h[17]),
		M:              int(le.Uint32(h[20:])),
		EfConstruction: int(le.Uint32(h[24:])),
		EfSearch:       int(le.Uint32(h[28:])),
		ExactBelow:     int(int32(le.Uint32(h[32:]))),
		Seed:           le.Uint64(h[36:]),
	}
	dim := le.Uint32(h[12:])
	gen := le.Uint64(h[44:])
	n := le.Uint32(h[52:])
	ndel := le.Uint32(h[56:])
	entry := le.Uint32(h[60:])
	top := le.Uint32(h[64:])
	upperLen := le.Uint64(h[68:])
	switch {
	case dim == 0 || dim > MaxDim:
		return SnapshotInfo{}, bad("dimension %d", dim)
	case version == 1 && (h[17] != 0 || h[18] != 0):
		return SnapshotInfo{}, bad("reserved header bytes set")
	case h[19] > 1 || h[19] == 1 && (version < 3 || opts.Quantize != Int8):
		return SnapshotInfo{}, bad("int8 clamp flag %d under %s, version %d", h[19], opts.Quantize, version)
	case opts.Quantize != Float32 && opts.Quantize != Int8:
		return SnapshotInfo{}, bad("quantization %d", h[17])
	case h[18] > 1 || h[18] == 1 && opts.Quantize != Int8:
		return SnapshotInfo{}, bad("int8 range flag %d under %s", h[18], opts.Quantize)
	case opts.Quantize == Int8 && h[18] == 0 && n > 0:
		return SnapshotInfo{}, bad("int8 codes without ranges")
	case opts.Metric != Cosine && opts.Metric != InnerProduct:
		return SnapshotInfo{}, bad("metric %d", h[16])
	case opts.M < 2 || opts.M > MaxM:
		return SnapshotInfo{}, bad("M %d", opts.M)
	case opts.EfConstruction < opts.M || opts.EfConstruction > math.MaxInt32:
		return SnapshotInfo{}, bad("EfConstruction %d", opts.EfConstruction)
	case opts.EfSearch < 1 || opts.EfSearch > math.MaxInt32:
		return SnapshotInfo{}, bad("EfSearch %d", opts.EfSearch)
	case opts.ExactBelow == 0:
		return SnapshotInfo{}, bad("ExactBelow 0")
	case n == math.MaxUint32:
		return SnapshotInfo{}, bad("node count %d", n)
	case ndel > n:
		return SnapshotInfo{}, bad("%d tombstones among %d nodes", ndel, n)
	case n == 0 && (entry != 0 || top != 0 || upperLen != 0):
		return SnapshotInfo{}, bad("empty index with entry %d, top %d, upper links %d", entry, top, upperLen)
	case n > 0 && (entry >= n || top == 0 || top > maxLevelCap+1):
		return SnapshotInfo{}, bad("entry %d, top level %d for %d nodes", entry, int(top)-1, n)
	case upperLen > math.MaxUint32:
		return SnapshotInfo{}, bad("upper link length %d", upperLen)
	}
	return SnapshotInfo{Version: int(version), Dim: int(dim), Options: opts, Generation: gen, Nodes: int(n), Deleted: int(ndel),
		entry: entry, top: top, upperLen: upperLen}, nil
}
