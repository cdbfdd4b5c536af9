package index

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
)

// maxLevelCap bounds drawn levels (a level above 30 has probability M^-30).
const maxLevelCap = 30

// randomLevel draws floor(−ln(U)·mL), U uniform in (0, 1].
func (ix *Index) randomLevel() int {
	u := (float64(ix.rng.Uint64()>>11) + 1) / (1 << 53)
	return min(int(-math.Log(u)*ix.ml), maxLevelCap)
}

// Add inserts vec under key. The vector is copied (and normalised under
// Cosine). Adding a key that is live returns ErrKeyExists (Delete it first
// to replace it); a deleted key may be added again.
func (ix *Index) Add(key uint64, vec []float32) error {
	v, err := ix.prepare(vec, true)
	if err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if _, ok := ix.lookup(key); ok {
		return fmt.Errorf("%w: %d", ErrKeyExists, key) // refused without unpacking
	}
	ix.unpack()
	return ix.insert(key, v)
}

// AddBatch inserts len(keys) vectors stored back to back in vecs (row i is
// vecs[i*Dim():(i+1)*Dim()]). It checks every row and key first and inserts
// nothing if one is bad. With Options.Threads ≤ 1 insertion is
// single-threaded and takes the write lock per vector, so searches can run
// in between; with more threads it inserts chunks of rows in parallel
// (parallel.go), holding the write lock per chunk. On cancellation it
// returns ctx.Err() (wrapped) with the rows before it (or before its chunk)
// inserted.
func (ix *Index) AddBatch(ctx context.Context, keys []uint64, vecs []float32) error {
	if len(vecs) != len(keys)*ix.dim {
		return fmt.Errorf("%w: %d values for %d keys of dimension %d", ErrDimension, len(vecs), len(keys), ix.dim)
	}
	seen := make(map[uint64]struct{}, len(keys))
	ix.mu.RLock()
	threads := ix.opts.Threads
	for i, k := range keys {
		if _, ok := ix.lookup(k); ok {
			ix.mu.RUnlock()
			return fmt.Errorf("%w: key %d (row %d)", ErrKeyExists, k, i)
		}
		if _, ok := seen[k]; ok {
			ix.mu.RUnlock()
			return fmt.Errorf("%w: key %d repeated in batch (row %d)", ErrKeyExists, k, i)
		}
		seen[k] = struct{}{}
		row := vecs[i*ix.dim : (i+1)*ix.dim]
		if !finite(row) {
			ix.mu.RUnlock()
			return fmt.Errorf("%w: row %d has NaN or infinite elements", ErrVector, i)
		}
		if ix.opts.Metric == Cosine && !normalizable(row) {
			// checked here, not only when the row's turn comes: AddBatch
			// inserts nothing if one row is bad
			ix.mu.RUnlock()
			return fmt.Errorf("%w: row %d is a zero vector, which has no cosine", ErrVector, i)
		}
	}
	ix.mu.RUnlock()
	if ix.q8() {
		if err := ix.fitBatch(vecs); err != nil {
			return err
		}
	}
	if threads > 1 {
		return ix.addParallel(ctx, keys, vecs, threads)
	}
	for i, k := range keys {
		if i&255 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("index: AddBatch stopped after %d of %d rows: %w", i, len(keys), err)
			}
		}
		if err := ix.Add(k, vecs[i*ix.dim:(i+1)*ix.dim]); err != nil {
			return fmt.Errorf("index: AddBatch row %d: %w", i, err)
		}
	}
	return nil
}

// insert adds a prepared vector; the caller holds the write lock.
func (ix *Index) insert(key uint64, v []float32) error {
	if _, ok := ix.byKey[key]; ok {
		return fmt.Errorf("%w: %d", ErrKeyExists, key)
	}
	if len(ix.keys) >= math.MaxUint32-1 {
		return ErrFull
	}
	id := uint32(len(ix.keys))
	level := ix.randomLevel()
	if err := ix.grow(1, level); err != nil {
		return err
	}
	if ix.q8() && !ix.fitted() {
		ix.fit(v)
	}
	ix.store(id, v)
	ix.keys = append(ix.keys, key)
	ix.levels = append(ix.levels, uint8(level))
	if len(ix.byKey) == 0 {
		// First live node (maybe among tombstones only): it starts a fresh
		// graph; older nodes are all deleted and need not be reachable.
		ix.byKey[key] = id
		ix.entry, ix.maxLevel = id, level
		return nil
	}
	ix.byKey[key] = id
	s := ix.getSearcher()
	ix.connect(s, id, ix.query(v, &s.qbuf), level, ix.entry, ix.maxLevel)
	ix.putSearcher(s)
	if level > ix.maxLevel {
		ix.entry, ix.maxLevel = id, level
	}
	return nil
}

// grow appends room for n nodes: vectors, layer-0 link blocks, upper-layer
// blocks for the given levels (one level per node) and tombstone words. It
// leaves keys and levels to the caller. On ErrFull nothing is appended.
func (ix *Index) grow(n int, levels ...int) error {
	up := 0
	for _, l := range levels {
		up += l * (ix.m + 1)
	}
	if len(ix.upper)+up > math.MaxUint32 {
		return ErrFull
	}
	if ix.q8() {
		ix.codes = appendN(ix.codes, n*ix.dim)
	} else {
		ix.vecs = appendN(ix.vecs, n*ix.dim)
	}
	ix.links0 = appendN(ix.links0, n*(ix.m0+1))
	for _, l := range levels {
		if l > 0 {
			ix.upperOff = append(ix.upperOff, uint32(len(ix.upper)))
		} else {
			ix.upperOff = append(ix.upperOff, 0)
		}
		ix.upper = appendN(ix.upper, l*(ix.m+1))
	}
	for (len(ix.keys)+n+63)/64 > len(ix.deleted) {
		ix.deleted = append(ix.deleted, 0)
	}
	for ix.q8() && (len(ix.keys)+n+63)/64 > len(ix.clamped) {
		ix.clamped = append(ix.clamped, 0)
	}
	return nil
}

// connect links the new node id (vector v, drawn level) into the graph:
// greedy descent to its top level, then on each level a beam search of
// width EfConstruction, the heuristic choice of M neighbours, and back links.
// v is the node's vector in the form query returns.
//
// entry and maxLevel are the graph's entry point and top level as the
// caller saw them. During a parallel insert (ix.par set) every read and
// write of a link list holds that node's stripe lock.
func (ix *Index) connect(s *searcher, id uint32, v []float32, level int, entry uint32, maxLevel int) {
	ep := ix.greedy(s, v, entry, maxLevel, level)
	for l := min(level, maxLevel); l >= 0; l-- {
		s.nextGen()
		ix.searchLayer(s, v, append(s.tmp[:0], ep), ix.opts.EfConstruction, l, false, nil)
		if len(s.res) == 0 {
			// Every node reached is a tombstone: keep descending from ep.
			continue
		}
		s.tmp = append(s.tmp[:0], s.res...)
		sortCands(s.tmp)
		ep = s.tmp[0]
		sel := ix.heuristic(s, s.tmp, ix.m, &s.ids)
		if ix.par != nil {
			mu := ix.par.lock(id)
			ix.setOwnLinks(s, id, l, sel)
			mu.Unlock()
		} else {
			ix.setLinks(id, l, sel)
		}
		for _, nb := range sel {
			ix.addLink(s, nb, id, l)
		}
	}
}

// setOwnLinks sets the new node id's list on level to sel during a parallel
// insert, keeping the links that other nodes' inserts added to id since it
// was reached through an upper layer (overwriting them would leave those
// nodes without the in-link they chose); when the union overflows the
// layer's capacity the heuristic re-selects. The caller holds id's lock.
func (ix *Index) setOwnLinks(s *searcher, id uint32, level int, sel []uint32) {
	have := ix.links(id, level)
	if len(have) == 0 {
		ix.setLinks(id, level, sel)
		return
	}
	merged := append(s.nbuf[:0], sel...)
	for _, x := range have {
		if !slices.Contains(sel, x) {
			merged = append(merged, x)
		}
	}
	s.nbuf = merged
	c := ix.capAt(level)
	if len(merged) <= c {
		ix.setLinks(id, level, merged)
		return
	}
	v := ix.nodeQuery(id, &s.abuf, &s.tbuf)
	cs := s.tmp[len(s.tmp):]
	for _, x := range merged {
		cs = append(cs, cand{ix.dist(v, x), x})
	}
	sortCands(cs)
	ix.setLinks(id, level, ix.heuristic(s, cs, c, &s.ids2))
}

// sortCands orders cs by distance, then id.
func sortCands(cs []cand) {
	slices.SortFunc(cs, func(a, b cand) int {
		if a.d < b.d {
			return -1
		} else if a.d > b.d {
			return 1
		}
		return int(a.id) - int(b.id)
	})
}

// heuristic is the paper's SELECT-NEIGHBORS-HEURISTIC (as in hnswlib): walk
// the candidates by increasing distance and keep one unless it is closer to
// an already kept neighbour than to the base; stop at m. cs must be sorted
// ascending by distance to the base. The result is written to *out; s
// gives scratch space.
func (ix *Index) heuristic(s *searcher, cs []cand, m int, out *[]uint32) []uint32 {
	sel := (*out)[:0]
	if len(cs) <= m {
		for _, c := range cs {
			sel = append(sel, c.id)
		}
		*out = sel
		return sel
	}
	for _, c := range cs {
		if len(sel) >= m {
			break
		}
		cv := ix.nodeQuery(c.id, &s.hbuf, &s.tbuf)
		good := true
		for _, sid := range sel {
			if ix.dist(cv, sid) < c.d {
				good = false
				break
			}
		}
		if good {
			sel = append(sel, c.id)
		}
	}
	*out = sel
	return sel
}

// addLink adds a link nb → id on level, re-selecting nb's neighbours with
// the heuristic when its list is full.
func (ix *Index) addLink(s *searcher, nb, id uint32, level int) {
	if ix.par != nil {
		mu := ix.par.lock(nb)
		defer mu.Unlock()
	}
	list := ix.links(nb, level)
	c := ix.capAt(level)
	if len(list) < c {
		if slices.Contains(list, id) {
			return
		}
		var blk []uint32
		if level == 0 {
			b := int(nb) * (ix.m0 + 1)
			blk = ix.links0[b : b+ix.m0+1]
		} else {
			b := int(ix.upperOff[nb]) + (level-1)*(ix.m+1)
			blk = ix.upper[b : b+ix.m+1]
		}
		blk[1+blk[0]] = id
		blk[0]++
		return
	}
	nv := ix.nodeQuery(nb, &s.abuf, &s.tbuf)
	cs := s.tmp[len(s.tmp):]
	cs = append(cs, cand{ix.dist(nv, id), id})
	for _, x := range list {
		cs = append(cs, cand{ix.dist(nv, x), x})
	}
	sortCands(cs)
	ix.setLinks(nb, level, ix.heuristic(s, cs, c, &s.ids2))
}

// Delete removes key: its node becomes a tombstone that searches still walk
// through but never return, and its in-neighbours that the node links back
// to are reconnected (repair). Returns ErrNotFound if key is not live.
// Tombstones keep their memory until Compact.
func (ix *Index) Delete(key uint64) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	id, ok := ix.lookup(key)
	if !ok {
		return fmt.Errorf("%w: %d", ErrNotFound, key) // refused without unpacking
	}
	ix.unpack()
	delete(ix.byKey, key)
	ix.deleted[id>>6] |= 1 << (id & 63)
	ix.ndeleted++
	ix.repair(id)
	return nil
}

// repair reconnects the live neighbours of tombstone d that link to it: each
// such neighbour u re-selects, by the heuristic, among its other links and
// d's live links. d keeps its own links so searches can still pass through.
func (ix *Index) repair(d uint32) {
	var cs []cand
	var ids []uint32
	s := ix.getSearcher()
	defer ix.putSearcher(s)
	for l := int(ix.levels[d]); l >= 0; l-- {
		dl := ix.links(d, l)
		for _, u := range dl {
			if ix.isDeleted(u) {
				continue
			}
			ul := ix.links(u, l)
			if !slices.Contains(ul, d) {
				continue
			}
			uv := ix.nodeQuery(u, &s.abuf, &s.tbuf)
			cs = cs[:0]
			add := func(x uint32) {
				if x == u || x == d || ix.isDeleted(x) {
					return
				}
				for _, c := range cs {
					if c.id == x {
						return
					}
				}
				cs = append(cs, cand{ix.dist(uv, x), x})
			}
			for _, x := range ul {
				add(x)
			}
			for _, x := range dl {
				add(x)
			}
			sortCands(cs)
			ix.setLinks(u, l, ix.heuristic(s, cs, ix.capAt(l), &ids))
		}
	}
}

// Compact rebuilds the graph from the live vectors only, dropping the
// tombstones and their memory. Keys, vectors, options and generation are
// kept; the graph is rebuilt in internal-id order, drawing new levels from
// the index's source. It holds the write lock for the whole rebuild (as long
// as building the index anew). On cancellation the index is left unchanged.
func (ix *Index) Compact(ctx context.Context) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.ndeleted == 0 {
		return nil
	}
	ix.unpack()
	nx := &Index{dim: ix.dim, opts: ix.opts, rng: ix.rng, byKey: make(map[uint64]uint32, len(ix.byKey)),
		maxLevel: -1, generation: ix.generation, lo: ix.lo, scale: ix.scale}
	nx.initParams()
	var buf []float32
	for id := range ix.keys {
		if id&255 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("index: compact: %w", err)
			}
		}
		if ix.isDeleted(uint32(id)) {
			continue
		}
		if err := nx.insert(ix.keys[id], ix.decode(uint32(id), &buf)); err != nil {
			return fmt.Errorf("index: compact: %w", err)
		}
		if ix.q8() && ix.isClamped(uint32(id)) {
			// The decoded codes fit; the vector they stand for did not.
			nx.markClamped(uint32(len(nx.keys) - 1))
		}
	}
	ix.vecs, ix.codes, ix.keys, ix.levels = nx.vecs, nx.codes, nx.keys, nx.levels
	ix.clamped = nx.clamped
	ix.links0, ix.upperOff, ix.upper = nx.links0, nx.upperOff, nx.upper
	ix.deleted, ix.ndeleted, ix.byKey = nx.deleted, 0, nx.byKey
	ix.entry, ix.maxLevel = nx.entry, nx.maxLevel
	ix.pool = sync.Pool{}
	return nil
}
