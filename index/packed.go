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
// and node id's starts at bit base[id>>shift] + off[id]. A block of
// 1<<shift nodes is small enough that its last list starts within off's
// 16 bits (64 nodes up to 2^31 nodes at M 16, 32 above), so an offset
// costs 2 bytes and its block's base an eighth or a quarter of one. Ids of
// a fixed width decode without a dependency between them (a sorted list
// coded as Rice gaps took 15 bits per id instead of 17 on the 100k set,
// but its serial decode cost a fifth of the query speed).
//
// On gen_vectors.py's 100k × 64 set (M 16, 17.3 links per node) the
// layer-0 links shrink from 132 to about 40 bytes per node, offsets
// included: the unpacked array spends 32 bits on each of 2M slots whatever
// the count.
type packedLinks struct {
	b     []byte   // the bit stream, little-endian, then 8 bytes of padding
	base  []uint64 // bit offset of node b<<shift
	off   []uint16 // bit offset of each node from its block's base
	shift uint     // log2 of the nodes per block
	cbits uint     // width of the count field
	width uint     // width of an id
}

// blockShift returns the largest shift ≤ 12 such that 1<<shift lists of
// at most m0 ids, each list cbits + m0·width bits, span under 2^16 bits,
// or 0 (one node per block, offsets all 0) when no shift does.
func blockShift(m0 int, cbits, width uint) uint {
	list := uint64(cbits) + uint64(m0)*uint64(width)
	s := uint(12)
	for s > 0 && list<<s >= 1<<16 {
		s--
	}
	return s
}

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
		off:   appendN[uint16](nil, n),
		cbits: uint(bits.Len(uint(m0))),
		width: uint(max(bits.Len(uint(max(n-1, 0))), 1)),
	}
	p.shift = blockShift(m0, p.cbits, p.width)
	p.base = make([]uint64, 0, (n+1<<p.shift-1)>>p.shift)
	var w bitWriter
	var buf []uint32
	for id := range n {
		if id&(1<<p.shift-1) == 0 {
			p.base = append(p.base, w.n)
		}
		p.off[id] = uint16(w.n - p.base[id>>p.shift])
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
func (p *packedLinks) pos(id uint32) uint64 { return p.base[id>>p.shift] + uint64(p.off[id]) }

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
// (keys are then found by binary search), the keys too when they are a
// few runs of consecutive integers (keyRuns), and the upper-layer offset
// and level of every node at layer 0 only (upperIndex keeps those of the
// nodes above it). Searches decode a node's list as they expand it. The
// next Add, AddBatch, Delete or Compact unpacks first (one pass over the
// graph) and leaves the index unpacked: pack again after a round of
// writes. A snapshot written
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
	// keys itself, or their runs).
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
	if ix.keyOrder == nil {
		if r := runsOf(ix.keys); r != nil {
			ix.kr, ix.keys = r, nil
		}
	}
	ix.up = newUpperIndex(ix.levels, ix.upperOff)
	ix.levels, ix.upperOff = nil, nil
	ix.byKey = nil
}

// upperIndex finds a packed index's upper-layer blocks without a 4-byte
// offset and a level byte for every node (1/M of the nodes have a level
// above 0): a bit per node says whether it has one, a count per 64 nodes
// ranks it among those that do, and only they keep an offset and a level.
// About half a byte a node instead of 5.
type upperIndex struct {
	has  []uint64 // bit id: node id has a level above 0
	rank []uint32 // such nodes before word i of has
	off  []uint32 // per such node in id order: offset of its layer-1 block
	lv   []uint8  // per such node: its level
	n    int      // nodes
}

func newUpperIndex(levels []uint8, upperOff []uint32) *upperIndex {
	n := len(levels)
	u := &upperIndex{has: make([]uint64, (n+63)/64), rank: make([]uint32, (n+63)/64), n: n}
	for id, l := range levels {
		if l == 0 {
			continue
		}
		u.has[id>>6] |= 1 << (id & 63)
		u.off = append(u.off, upperOff[id])
		u.lv = append(u.lv, l)
	}
	var c uint32
	for w, x := range u.has {
		u.rank[w] = c
		c += uint32(bits.OnesCount64(x))
	}
	u.off, u.lv = slices.Clip(u.off), slices.Clip(u.lv)
	return u
}

// offset returns node id's layer-1 block offset; id must have a level
// above 0.
func (u *upperIndex) offset(id uint32) uint32 {
	w := id >> 6
	return u.off[int(u.rank[w])+bits.OnesCount64(u.has[w]&(1<<(id&63)-1))]
}

// levels returns every node's level, in node order.
func (u *upperIndex) levels() []uint8 { return spread(u, u.lv) }

// offsets returns every node's layer-1 block offset (0 for nodes of level
// 0), in node order.
func (u *upperIndex) offsets() []uint32 { return spread(u, u.off) }

// spread returns a value per node: vals in turn for the nodes above layer
// 0, zero for the others.
func spread[T uint8 | uint32](u *upperIndex, vals []T) []T {
	out := make([]T, u.n)
	j := 0
	for id := range out {
		if u.has[id>>6]&(1<<(id&63)) != 0 {
			out[id] = vals[j]
			j++
		}
	}
	return out
}

// keyRuns holds n strictly ascending keys that are a few runs of
// consecutive integers: node start[i] has key first[i], and each node after
// it in its run the next integer.
type keyRuns struct {
	start []uint32
	first []uint64
	n     int
}

// runsOf returns keys as runs when they strictly ascend in at most
// n/64 + 1 runs (about a quarter of a byte per node, for n ≥ 64), else nil.
func runsOf(keys []uint64) *keyRuns {
	if len(keys) == 0 {
		return nil
	}
	r := &keyRuns{n: len(keys), start: []uint32{0}, first: []uint64{keys[0]}}
	for i := 1; i < len(keys); i++ {
		if keys[i] <= keys[i-1] {
			return nil
		}
		if keys[i] != keys[i-1]+1 {
			if len(r.start) > len(keys)/64 {
				return nil
			}
			r.start = append(r.start, uint32(i))
			r.first = append(r.first, keys[i])
		}
	}
	r.start, r.first = slices.Clip(r.start), slices.Clip(r.first)
	return r
}

// key returns node id's key.
func (r *keyRuns) key(id uint32) uint64 {
	i := 0
	if len(r.start) > 1 {
		var hit bool
		if i, hit = slices.BinarySearch(r.start, id); !hit {
			i--
		}
	}
	return r.first[i] + uint64(id-r.start[i])
}

// node returns the node whose key is key, if any.
func (r *keyRuns) node(key uint64) (uint32, bool) {
	i, hit := slices.BinarySearch(r.first, key)
	if !hit {
		if i--; i < 0 {
			return 0, false
		}
	}
	end := uint64(r.n)
	if i+1 < len(r.start) {
		end = uint64(r.start[i+1])
	}
	d := key - r.first[i]
	if d >= end-uint64(r.start[i]) {
		return 0, false
	}
	return r.start[i] + uint32(d), true
}

// all returns every key, in node order.
func (r *keyRuns) all() []uint64 {
	out := make([]uint64, r.n)
	for i, s := range r.start {
		end := r.n
		if i+1 < len(r.start) {
			end = int(r.start[i+1])
		}
		for id := int(s); id < end; id++ {
			out[id] = r.first[i] + uint64(id-int(s))
		}
	}
	return out
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
	if ix.kr != nil {
		ix.keys, ix.kr = ix.kr.all(), nil
	}
	ix.levels, ix.upperOff, ix.up = ix.up.levels(), ix.up.offsets(), nil
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
	if ix.kr != nil {
		id, ok := ix.kr.node(key)
		if !ok || ix.isDeleted(id) {
			return 0, false
		}
		return id, true
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
