package index

import (
	"cmp"
	"encoding/binary"
	"math/bits"
	"slices"
	"unsafe"
)

// Packed layer-0 links (PackLinks). A node's list is its count
// (bits.Len(2M) bits) followed by its ids, each in width = bits.Len(n−1)
// bits, in the graph's order; the lists lie back to back in one bit stream
// and node id's starts at bit base[id/packBlock] + off[id]. Ids of a fixed
// width decode without a dependency between them (a sorted list coded as
// Rice gaps took 15 bits per id instead of 17 on the 100k set, but its
// serial decode cost a fifth of the query speed).
//
// On gen_vectors.py's 100k × 64 set (M 16, 17.3 links per node) the
// layer-0 links shrink from 132 to about 41 bytes per node, offsets
// included: the unpacked array spends 32 bits on each of 2M slots whatever
// the count.
type packedLinks struct {
	b     []byte   // the bit stream, little-endian, then 8 bytes of padding
	base  []uint64 // bit offset of node b·packBlock
	off   []uint32 // bit offset of each node from its block's base
	cbits uint     // width of the count field
	width uint     // width of an id
}

const packBlock = 1 << 12

// bitWriter appends bits to a []uint64 stream, least significant first.
type bitWriter struct {
	words []uint64
	n     uint64 // bits written
}

func (w *bitWriter) put(v uint64, width uint) {
	if width == 0 {
		return
	}
	i, s := w.n>>6, uint(w.n&63)
	if s == 0 {
		w.words = append(w.words, 0)
	}
	w.words[i] |= v << s
	if s+width > 64 {
		w.words = append(w.words, v>>(64-s))
	}
	w.n += uint64(width)
}

// packLinks packs n lists of at most m0 ids below n; list(id, buf)
// returns node id's list (buf may be used as scratch).
func packLinks(n, m0 int, list func(id uint32, buf []uint32) []uint32) *packedLinks {
	p := &packedLinks{
		base:  make([]uint64, 0, (n+packBlock-1)/packBlock),
		off:   appendN[uint32](nil, n),
		cbits: uint(bits.Len(uint(m0))),
		width: uint(max(bits.Len(uint(max(n-1, 0))), 1)),
	}
	var w bitWriter
	var buf []uint32
	for id := range n {
		if id%packBlock == 0 {
			p.base = append(p.base, w.n)
		}
		p.off[id] = uint32(w.n - p.base[id/packBlock])
		buf = list(uint32(id), buf[:0])
		w.put(uint64(len(buf)), p.cbits)
		for _, x := range buf {
			w.put(uint64(x), p.width)
		}
	}
	p.b = make([]byte, 0, 8*len(w.words)+8)
	adviseHuge(p.b)
	for _, x := range w.words {
		p.b = binary.LittleEndian.AppendUint64(p.b, x)
	}
	p.b = append(p.b, 0, 0, 0, 0, 0, 0, 0, 0) // peek reads 8 bytes
	return p
}

// peek returns at least 57 bits of the stream from bit pos on (one
// unaligned load).
func (p *packedLinks) peek(pos uint64) uint64 {
	return binary.LittleEndian.Uint64(p.b[pos>>3:]) >> (pos & 7)
}

// peekAt is peek without bounds checks, for the search's decoding loop:
// base is p.b's data and pos lies inside the stream, which the padding
// extends by 8 bytes.
func peekAt(base unsafe.Pointer, pos uint64) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice((*byte)(unsafe.Add(base, pos>>3)), 8)) >> (pos & 7)
}

// pos returns the bit offset of node id's list.
func (p *packedLinks) pos(id uint32) uint64 { return p.base[id/packBlock] + uint64(p.off[id]) }

// prefetch starts loading the first two cache lines of each of the ids' lists
// (where the kernels can prefetch), using buf as scratch for their word
// indexes, which it returns.
func (p *packedLinks) prefetch(ids, buf []uint32) []uint32 {
	if !batchPrefetches() || len(p.b) > 1<<32-1 {
		return buf
	}
	buf = buf[:0]
	for _, id := range ids {
		o := uint32(p.pos(id) >> 3)
		buf = append(buf, o, o+40) // a list of 40 bytes may reach the next line
	}
	prefetchRows(unsafe.Pointer(unsafe.SliceData(p.b)), 1, buf)
	return buf
}

// decode appends node id's list to dst.
func (p *packedLinks) decode(id uint32, dst []uint32) []uint32 {
	pos := p.pos(id)
	cb, wd := p.cbits, p.width
	c := int(p.peek(pos) & (1<<cb - 1))
	pos += uint64(cb)
	mask := uint64(1)<<wd - 1
	n := len(dst)
	dst = slices.Grow(dst, c)[:n+c]
	out := dst[n:]
	for i := range out {
		out[i] = uint32(p.peek(pos) & mask)
		pos += uint64(wd)
	}
	return dst
}

// unvisited appends to batch the ids in node id's list whose mark is not
// gen, marking them: decode and searchLayer's visited check in one loop.
func (p *packedLinks) unvisited(id uint32, marks []uint16, gen uint16, batch []uint32) []uint32 {
	pos := p.pos(id)
	cb, wd := p.cbits, p.width
	base := unsafe.Pointer(unsafe.SliceData(p.b))
	c := int(peekAt(base, pos) & (1<<cb - 1))
	pos += uint64(cb)
	mask := uint64(1)<<wd - 1
	per := int(57 / wd) // ids in one peek: 3 of up to 19 bits, 2 of up to 28
	// Every id is written and marked; only an unvisited one advances n, so
	// the loop has no branch on the mark, which is a coin toss.
	n := len(batch)
	batch = slices.Grow(batch, c)[:n+c]
	for c > 0 {
		w := peekAt(base, pos)
		k := min(per, c)
		pos += uint64(k) * uint64(wd)
		c -= k
		for ; k > 0; k-- {
			nb := uint32(w & mask)
			w >>= wd
			old := marks[nb]
			marks[nb] = gen
			batch[n] = nb
			n += b2i(old != gen)
		}
	}
	return batch[:n]
}

// appendUnvisited appends to batch the ids of nbs whose mark is not gen,
// marking them: packedLinks.unvisited for a plain list, branch-free the
// same way.
func appendUnvisited(batch, nbs []uint32, marks []uint16, gen uint16) []uint32 {
	n := len(batch)
	batch = slices.Grow(batch, len(nbs))[:n+len(nbs)]
	for _, nb := range nbs {
		old := marks[nb]
		marks[nb] = gen
		batch[n] = nb
		n += b2i(old != gen)
	}
	return batch[:n]
}

// b2i is 1 for true and 0 for false, without a branch.
func b2i(b bool) int {
	var i int
	if b {
		i = 1
	}
	return i
}

// PackLinks packs the layer-0 links (under a third of their memory on the
// benchmarks' 100k × 64 set; see packedLinks) and drops the key map
// (keys are then found by binary search). Searches decode a node's list
// as they expand it. The next Add, AddBatch,
// Delete or Compact unpacks first (one pass over the graph) and leaves the
// index unpacked: pack again after a round of writes. A snapshot written
// while packed has the same bytes as one written before packing.
func (ix *Index) PackLinks() {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.pk != nil {
		return
	}
	n := len(ix.keys)
	ix.pk = packLinks(n, ix.m0, func(id uint32, buf []uint32) []uint32 {
		return append(buf, ix.links(id, 0)...)
	})
	ix.links0 = nil
	// keyOrder stays nil when the keys strictly ascend (lookup then searches
	// keys itself).
	ix.keyOrder = nil
	for i := 1; i < n; i++ {
		if ix.keys[i] <= ix.keys[i-1] {
			ix.keyOrder = make([]uint32, 0, ix.liveCount())
			for id := range n {
				if !ix.isDeleted(uint32(id)) {
					ix.keyOrder = append(ix.keyOrder, uint32(id))
				}
			}
			slices.SortFunc(ix.keyOrder, func(a, b uint32) int { return cmp.Compare(ix.keys[a], ix.keys[b]) })
			break
		}
	}
	ix.byKey = nil
}

// LinksPacked reports whether the layer-0 links are packed (PackLinks).
func (ix *Index) LinksPacked() bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.pk != nil
}

// unpack restores the layer-0 link array and the key map of a packed
// index; the caller holds the write lock.
func (ix *Index) unpack() {
	if ix.pk == nil {
		return
	}
	n := len(ix.keys)
	links0 := appendN[uint32](nil, n*(ix.m0+1))
	var buf []uint32
	for id := range n {
		buf = ix.pk.decode(uint32(id), buf[:0])
		b := id * (ix.m0 + 1)
		links0[b] = uint32(len(buf))
		copy(links0[b+1:], buf)
	}
	ix.byKey = make(map[uint64]uint32, ix.liveCount())
	for id, k := range ix.keys {
		if !ix.isDeleted(uint32(id)) {
			ix.byKey[k] = uint32(id)
		}
	}
	ix.links0, ix.pk, ix.keyOrder = links0, nil, nil
}

// lookup returns the node of a live key; the caller holds a lock.
func (ix *Index) lookup(key uint64) (uint32, bool) {
	if ix.pk == nil {
		id, ok := ix.byKey[key]
		return id, ok
	}
	if ix.keyOrder == nil {
		i, ok := slices.BinarySearch(ix.keys, key)
		if !ok || ix.isDeleted(uint32(i)) {
			return 0, false
		}
		return uint32(i), true
	}
	i, ok := slices.BinarySearchFunc(ix.keyOrder, key, func(id uint32, k uint64) int { return cmp.Compare(ix.keys[id], k) })
	if !ok {
		return 0, false
	}
	return ix.keyOrder[i], true
}

// links0Of returns node id's layer-0 list: the graph's own slice, or when
// packed its decoding into *buf.
func (ix *Index) links0Of(id uint32, buf *[]uint32) []uint32 {
	if ix.pk == nil {
		return ix.links(id, 0)
	}
	*buf = ix.pk.decode(id, (*buf)[:0])
	return *buf
}
