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
	return ix.insert(key, v)
}

// AddBatch inserts len(keys) vectors stored back to back in vecs (row i is
// vecs[i*Dim():(i+1)*Dim()]). It checks every row and key first and inserts
// nothing if one is bad. Insertion is single-threaded and takes the write
// lock per vector, so searches can run in between. On cancellation it
// returns ctx.Err() (wrapped) with the rows before it inserted.
func (ix *Index) AddBatch(ctx context.Context, keys []uint64, vecs []float32) error {
	if len(vecs) != len(keys)*ix.dim {
		return fmt.Errorf("%w: %d values for %d keys of dimension %d", ErrDimension, len(vecs), len(keys), ix.dim)
	}
	seen := make(map[uint64]struct{}, len(keys))
	ix.mu.RLock()
	for i, k := range keys {
		if _, ok := ix.byKey[k]; ok {
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
	}
	ix.mu.RUnlock()
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
	ix.vecs = appendN(ix.vecs, ix.dim)
	copy(ix.vecs[len(ix.vecs)-ix.dim:], v)
	ix.keys = append(ix.keys, key)
	ix.levels = append(ix.levels, uint8(level))
	ix.links0 = appendN(ix.links0, ix.m0+1)
	if level > 0 {
		if len(ix.upper)+level*(ix.m+1) > math.MaxUint32 {
			ix.vecs, ix.keys, ix.levels = ix.vecs[:len(ix.vecs)-ix.dim], ix.keys[:id], ix.levels[:id]
			ix.links0 = ix.links0[:len(ix.links0)-ix.m0-1]
			return ErrFull
		}
		ix.upperOff = append(ix.upperOff, uint32(len(ix.upper)))
		ix.upper = appendN(ix.upper, level*(ix.m+1))
	} else {
		ix.upperOff = append(ix.upperOff, 0)
	}
	if int(id)>>6 >= len(ix.deleted) {
		ix.deleted = append(ix.deleted, 0)
	}
	if len(ix.byKey) == 0 {
		// First live node (maybe among tombstones only): it starts a fresh
		// graph; older nodes are all deleted and need not be reachable.
		ix.byKey[key] = id
		ix.entry, ix.maxLevel = id, level
		return nil
	}
	ix.byKey[key] = id
	ix.connect(id, v, level)
	if level > ix.maxLevel {
		ix.entry, ix.maxLevel = id, level
	}
	return nil
}

// connect links the new node id (vector v, drawn level) into the graph:
// greedy descent to its top level, then on each level a beam search of
// width EfConstruction, the heuristic choice of M neighbours, and back links.
func (ix *Index) connect(id uint32, v []float32, level int) {
	s := ix.getSearcher()
	defer ix.putSearcher(s)
	ep := ix.greedy(s, v, level)
	for l := min(level, ix.maxLevel); l >= 0; l-- {
		s.gen++
		if s.gen == 0 {
			clear(s.marks)
			s.gen = 1
		}
		ix.searchLayer(s, v, ep, ix.opts.EfConstruction, l, nil)
		if len(s.res) == 0 {
			// Every node reached is a tombstone: keep descending from ep.
			continue
		}
		s.tmp = append(s.tmp[:0], s.res...)
		slices.SortFunc(s.tmp, func(a, b cand) int {
			if a.d < b.d {
				return -1
			} else if a.d > b.d {
				return 1
			}
			return int(a.id) - int(b.id)
		})
		ep = s.tmp[0]
		sel := ix.heuristic(s.tmp, ix.m, &s.ids)
		ix.setLinks(id, l, sel)
		for _, nb := range sel {
			ix.addLink(s, nb, id, l)
		}
	}
}

// heuristic is the paper's SELECT-NEIGHBORS-HEURISTIC (as in hnswlib): walk
// the candidates by increasing distance and keep one unless it is closer to
// an already kept neighbour than to the base; stop at m. cs must be sorted
// ascending by distance to the base. The result is written to *out.
func (ix *Index) heuristic(cs []cand, m int, out *[]uint32) []uint32 {
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
		cv := ix.vec(c.id)
		good := true
		for _, sid := range sel {
			if 1-dot(cv, ix.vec(sid)) < c.d {
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
	nv := ix.vec(nb)
	cs := s.tmp[len(s.tmp):]
	cs = append(cs, cand{ix.dist(nv, id), id})
	for _, x := range list {
		cs = append(cs, cand{ix.dist(nv, x), x})
	}
	slices.SortFunc(cs, func(a, b cand) int {
		if a.d < b.d {
			return -1
		} else if a.d > b.d {
			return 1
		}
		return int(a.id) - int(b.id)
	})
	ix.setLinks(nb, level, ix.heuristic(cs, c, &s.ids2))
}

// Delete removes key: its node becomes a tombstone that searches still walk
// through but never return, and its in-neighbours that the node links back
// to are reconnected (repair). Returns ErrNotFound if key is not live.
// Tombstones keep their memory until Compact.
func (ix *Index) Delete(key uint64) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	id, ok := ix.byKey[key]
	if !ok {
		return fmt.Errorf("%w: %d", ErrNotFound, key)
	}
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
			uv := ix.vec(u)
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
			slices.SortFunc(cs, func(a, b cand) int {
				if a.d < b.d {
					return -1
				} else if a.d > b.d {
					return 1
				}
				return int(a.id) - int(b.id)
			})
			ix.setLinks(u, l, ix.heuristic(cs, ix.capAt(l), &ids))
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
	nx := &Index{dim: ix.dim, opts: ix.opts, rng: ix.rng, byKey: make(map[uint64]uint32, len(ix.byKey)),
		maxLevel: -1, generation: ix.generation}
	nx.initParams()
	for id := range ix.keys {
		if id&255 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("index: compact: %w", err)
			}
		}
		if ix.isDeleted(uint32(id)) {
			continue
		}
		if err := nx.insert(ix.keys[id], ix.vec(uint32(id))); err != nil {
			return fmt.Errorf("index: compact: %w", err)
		}
	}
	ix.vecs, ix.keys, ix.levels = nx.vecs, nx.keys, nx.levels
	ix.links0, ix.upperOff, ix.upper = nx.links0, nx.upperOff, nx.upper
	ix.deleted, ix.ndeleted, ix.byKey = nx.deleted, 0, nx.byKey
	ix.entry, ix.maxLevel = nx.entry, nx.maxLevel
	ix.pool = sync.Pool{}
	return nil
}
