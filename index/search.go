package index

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"unsafe"
)

// searcher holds one search's scratch space; searchers are pooled per index.
// The visited set is an array of generation stamps: a node is visited when
// its stamp equals the current generation, so clearing it is one increment.
type searcher struct {
	marks []uint16
	gen   uint16
	cands minHeap
	res   maxHeap
	tmp   []cand
	ids   []uint32
	ids2  []uint32
	batch []uint32
	nbuf  []uint32  // links copied under a lock (parallel insert)
	dists []float32 // distances to a batch of nodes (distances)
	sums  []int64   // integer dot products of a batch (Int8 distances)
	// pushed holds the candidates of one expansion whose links searchLayer
	// prefetches.
	pushed []uint32
	pwords []uint32 // their packed lists' first words (packedLinks.prefetch)
	// Float scratch: the query form of the vector being inserted or
	// searched (qbuf), of a node whose links change (abuf), of a heuristic
	// candidate (hbuf); decoded codes (tbuf); re-ranking vectors (fbuf).
	qbuf, abuf, hbuf, tbuf, fbuf []float32
	touch                        uint32 // sink for the prefetching loads
}

func (ix *Index) getSearcher() *searcher {
	s, _ := ix.pool.Get().(*searcher)
	if s == nil {
		s = &searcher{}
	}
	n := ix.count()
	if len(s.marks) < n {
		s.marks = make([]uint16, n+n/4+1024)
		s.gen = 0
	}
	s.nextGen()
	return s
}

func (ix *Index) putSearcher(s *searcher) { ix.pool.Put(s) }

// touchVecs loads one float per 64-byte line of each of the ids' vectors,
// so that the independent loads overlap their cache misses before the
// distances are computed. Only the portable kernels need it: Go has no
// prefetch instruction, and the assembly batch kernels prefetch themselves
// (PREFETCHT0, as hnswlib does here). The loads feed s.touch so they are
// not optimised away.
func (ix *Index) touchVecs(s *searcher, ids []uint32) {
	dim, vecs := ix.dim, ix.vecs
	var touch uint32
	if ix.q8() {
		codes := ix.codes
		for _, id := range ids {
			o := int(id) * dim
			c := codes[o : o+dim : o+dim]
			for j := 0; j < len(c); j += 64 {
				touch += uint32(c[j])
			}
		}
		s.touch ^= touch
		return
	}
	for _, id := range ids {
		o := int(id) * dim
		v := vecs[o : o+dim : o+dim]
		for j := 0; j < len(v); j += 16 {
			touch ^= math.Float32bits(v[j])
		}
	}
	s.touch ^= touch
}

// distances returns the distances from q (in the form query returns) to
// the nodes ids, in s.dists, computed by one batch kernel call that also
// prefetches the nodes' vectors (or, where the kernel does not, after
// touching them).
func (ix *Index) distances(s *searcher, q []float32, ids []uint32) []float32 {
	n := len(ids)
	if cap(s.dists) < n {
		s.dists = make([]float32, max(n, ix.m0))
	}
	out := s.dists[:n]
	if !batchPrefetches() {
		ix.touchVecs(s, ids)
	}
	if ix.q8() {
		if cap(s.sums) < n {
			s.sums = make([]int64, max(n, ix.m0))
		}
		sums := s.sums[:n]
		dotU8Batch(qWeights(q, ix.dim), ix.codes, ids, sums)
		bias, u := q[0], q[1]
		for i, x := range sums {
			out[i] = 1 - bias - u*float32(x)
		}
		return out
	}
	dotBatch(q, ix.vecs, ids, out)
	for i, d := range out {
		out[i] = 1 - d
	}
	return out
}

// linksOf returns node id's neighbour list on level: the list itself, or
// during a parallel insert a copy taken under the node's lock (valid until
// the next call with s). Its callers are greedy (layers ≥ 1) and inserts
// (never packed); a packed layer 0 is read by packedLinks.unvisited and
// links0Of.
func (ix *Index) linksOf(s *searcher, id uint32, level int) []uint32 {
	if ix.par == nil {
		return ix.links(id, level)
	}
	mu := ix.par.lock(id)
	s.nbuf = append(s.nbuf[:0], ix.links(id, level)...)
	mu.Unlock()
	return s.nbuf
}

// greedy walks layers from the entry point down to stopLevel+1, moving to
// the closest neighbour while that improves (beam width 1).
func (ix *Index) greedy(s *searcher, q []float32, entry uint32, maxLevel, stopLevel int) cand {
	cur := cand{ix.dist(q, entry), entry}
	for l := maxLevel; l > stopLevel; l-- {
		for changed := true; changed; {
			changed = false
			nbs := ix.linksOf(s, cur.id, l)
			ds := ix.distances(s, q, nbs)
			for i, nb := range nbs {
				if d := ds[i]; d < cur.d {
					cur = cand{d, nb}
					changed = true
				}
			}
		}
	}
	return cur
}

// upperBeam resolves a search's beam width on the layers above 0: its own,
// else the index's, else DefaultUpperBeam.
func (ix *Index) upperBeam(b int) int {
	switch {
	case b > 0:
		return b
	case ix.opts.UpperBeam > 0:
		return ix.opts.UpperBeam
	}
	return DefaultUpperBeam
}

// descend finds the entry points of a search's layer 0 for the query form
// q: the best node of a greedy walk down the upper layers when beam is 1,
// else the results of a beam of that width on each upper layer in turn,
// each seeding the next (faiss's upper_beam). Tombstones route as they do
// in greedy. The result lives in s.tmp. The beam starts a new generation
// of visit marks after each layer, so layer 0 begins with none set; the
// greedy walk sets none.
func (ix *Index) descend(s *searcher, q []float32, beam int) []cand {
	if beam <= 1 || ix.maxLevel < 1 {
		s.tmp = append(s.tmp[:0], ix.greedy(s, q, ix.entry, ix.maxLevel, 0))
		return s.tmp
	}
	eps := append(s.tmp[:0], cand{ix.dist(q, ix.entry), ix.entry})
	for l := ix.maxLevel; l >= 1; l-- {
		ix.searchLayer(s, q, eps, beam, l, true, nil)
		eps = append(eps[:0], s.res...)
		s.nextGen()
	}
	s.tmp = eps
	return eps
}

// nextGen starts a new generation of visit marks.
func (s *searcher) nextGen() {
	s.gen++
	if s.gen == 0 {
		clear(s.marks)
		s.gen = 1
	}
}

// searchLayer is the paper's SEARCH-LAYER: a best-first beam of width ef
// from the entry candidates eps on level (their visit marks set in s's
// current generation). Every reachable node may be traversed, but only
// nodes that pass admit (live, and the filter if any; with route set,
// every node: a beam that only routes to the layer below) enter the result
// heap s.res, which it leaves holding up to ef results. While fewer than
// ef admitted nodes were found the search does not stop early, so a
// selective filter widens the explored region by itself.
func (ix *Index) searchLayer(s *searcher, q []float32, eps []cand, ef, level int, route bool, filter func(uint64) bool) {
	s.cands = s.cands[:0]
	s.res = s.res[:0]
	hasDel := ix.ndeleted > 0 && !route
	admit := func(id uint32) bool {
		if hasDel && ix.isDeleted(id) {
			return false
		}
		return filter == nil || filter(ix.key(id))
	}
	marks, gen := s.marks, s.gen
	bound := float32(math.Inf(1))
	for _, ep := range eps {
		if marks[ep.id] == gen {
			continue
		}
		marks[ep.id] = gen
		s.cands.push(ep)
		if admit(ep.id) {
			if len(s.res) < ef {
				s.res.push(ep)
			} else if ep.d < s.res[0].d {
				s.res.replaceTop(ep)
			}
			if len(s.res) >= ef {
				bound = s.res[0].d
			}
		}
	}
	plain := !hasDel && filter == nil
	pf := batchPrefetches()
	for len(s.cands) > 0 {
		c := s.cands.pop()
		if c.d > bound {
			break
		}
		// Mark and gather the unvisited neighbours, then compute their
		// distances in one call.
		batch := s.batch[:0]
		if ix.pk != nil && level == 0 {
			// Their offsets are not prefetched: that cost more than it saved
			// (bench ann-ab, int8 packed against float32, 8 runs at 100k
			// ef 20: 0.96× with the prefetch, 1.00× without; 3 at 1M ef 80 /
			// 160: 1.06× / 1.10× with, 1.08× / 1.16× without).
			batch = ix.pk.unvisited(c.id, marks, gen, batch)
		} else {
			var nbs []uint32
			if ix.par != nil {
				nbs = ix.linksOf(s, c.id, level)
			} else if level == 0 {
				b := int(c.id) * (ix.m0 + 1)
				nbs = ix.links0[b+1 : b+1+int(ix.links0[b])]
			} else {
				nbs = ix.links(c.id, level)
			}
			batch = appendUnvisited(batch, nbs, marks, gen)
		}
		s.batch = batch
		ds := ix.distances(s, q, batch)
		pushed := s.pushed[:0]
		for i, nb := range batch {
			d := ds[i]
			if d >= bound {
				continue
			}
			s.cands.push(cand{d, nb})
			if level == 0 && ix.par == nil {
				// A candidate will likely be expanded: start loading its
				// links (prefetched below where the kernels can, else one
				// load of their first line now).
				switch {
				case pf:
					pushed = append(pushed, nb)
				case ix.pk != nil:
					s.touch ^= uint32(ix.pk.peek(ix.pk.pos(nb)))
				default:
					s.touch ^= ix.links0[int(nb)*(ix.m0+1)]
				}
			}
			if plain || admit(nb) {
				if len(s.res) < ef {
					s.res.push(cand{d, nb})
				} else {
					s.res.replaceTop(cand{d, nb})
				}
				if len(s.res) >= ef {
					bound = s.res[0].d
				}
			}
		}
		s.pushed = pushed
		if ix.pk != nil {
			s.pwords = ix.pk.prefetch(pushed, s.pwords)
		} else {
			prefetchRows(unsafe.Pointer(unsafe.SliceData(ix.links0)), 4*(ix.m0+1), pushed)
		}
	}
}

// Search returns the k nearest live vectors to q, closest first (ties by
// key), with their distances. It returns exactly min(k, live admitted
// vectors) results: a filtered beam keeps exploring until it holds
// max(Ef, k) admitted vectors, and if the reachable graph has fewer than k
// the search falls back to an exact scan. Exact scans
// are also used when opts.Exact is set, when the index holds fewer than
// Options.ExactBelow live vectors, and when a filter looks so selective that
// scanning is cheaper (estimated from a sample of the keys).
func (ix *Index) Search(ctx context.Context, q []float32, k int, opts SearchOptions) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if k <= 0 {
		return nil, fmt.Errorf("%w: k %d ≤ 0", ErrOptions, k)
	}
	if opts.Ef < 0 {
		return nil, fmt.Errorf("%w: Ef %d < 0", ErrOptions, opts.Ef)
	}
	if opts.UpperBeam < 0 {
		return nil, fmt.Errorf("%w: UpperBeam %d < 0", ErrOptions, opts.UpperBeam)
	}
	qq, err := ix.prepare(q, false)
	if err != nil {
		return nil, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	live := ix.liveCount()
	if live == 0 {
		return []Result{}, nil
	}
	ef := opts.Ef
	if ef == 0 {
		ef = ix.opts.EfSearch
	}
	ef = max(ef, k)
	s := ix.getSearcher()
	defer ix.putSearcher(s)
	if opts.Exact || (ix.opts.ExactBelow > 0 && live < ix.opts.ExactBelow) ||
		(opts.Filter != nil && ix.preferExact(opts.Filter, ef)) {
		return ix.exact(ctx, s, qq, k, ef, opts)
	}
	qf := ix.query(qq, &s.qbuf)
	eps := ix.descend(s, qf, ix.upperBeam(opts.UpperBeam))
	ix.searchLayer(s, qf, eps, ef, 0, false, opts.Filter)
	if len(s.res) < k {
		// The beam stops early only once it holds ef ≥ k results, so this
		// search saw every admitted node it could reach: scan instead.
		return ix.exact(ctx, s, qq, k, ef, opts)
	}
	if ix.q8() && opts.Floats != nil {
		s.res = ix.rerank(s.res, qq, k, opts, &s.fbuf)
	}
	return ix.collect(s.res, k), nil
}

// collect sorts the result heap and returns its k best as Results.
func (ix *Index) collect(res []cand, k int) []Result {
	out := make([]Result, len(res))
	for i, c := range res {
		out[i] = Result{Key: ix.key(c.id), Distance: c.d}
	}
	sortResults(out)
	if len(out) > k {
		out = out[:k]
	}
	return out
}

// sortResults orders by distance, then key. Distances are never NaN (vectors
// are checked on the way in), so plain comparisons suffice.
func sortResults(r []Result) {
	if len(r) <= 32 {
		for i := 1; i < len(r); i++ {
			x := r[i]
			j := i
			for j > 0 && (r[j-1].Distance > x.Distance || (r[j-1].Distance == x.Distance && r[j-1].Key > x.Key)) {
				r[j] = r[j-1]
				j--
			}
			r[j] = x
		}
		return
	}
	slices.SortFunc(r, func(a, b Result) int {
		if a.Distance < b.Distance {
			return -1
		} else if a.Distance > b.Distance {
			return 1
		}
		return cmp.Compare(a.Key, b.Key)
	})
}

// preferExact estimates the filter's selectivity s on an even sample of up
// to 256 nodes and prefers a scan when its cost (every filter call plus s·n
// distances) is below the graph search's (about ef·M/s distances).
func (ix *Index) preferExact(filter func(uint64) bool, ef int) bool {
	n := ix.count()
	step := max(1, n/256)
	seen, hit := 0, 0
	for id := 0; id < n; id += step {
		if ix.isDeleted(uint32(id)) {
			continue
		}
		seen++
		if filter(ix.key(uint32(id))) {
			hit++
		}
	}
	if seen == 0 || hit == 0 {
		return true
	}
	sel := float64(hit) / float64(seen)
	live := float64(ix.liveCount())
	return sel*live+live/4 < float64(ef*ix.m)/sel
}

// exact scans every live admitted node for the prepared query qq. Under
// Int8 with opts.Floats it keeps the best max(k, ef) by code distance and
// re-ranks them.
func (ix *Index) exact(ctx context.Context, s *searcher, qq []float32, k, ef int, opts SearchOptions) ([]Result, error) {
	q, filter, keep := ix.query(qq, &s.qbuf), opts.Filter, k
	rerank := ix.q8() && opts.Floats != nil
	if rerank {
		keep = max(k, ef)
	}
	h := make(maxHeap, 0, min(keep, ix.liveCount())+1)
	n := ix.count()
	hasDel := ix.ndeleted > 0
	for id := 0; id < n; id++ {
		if id&4095 == 4095 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if hasDel && ix.isDeleted(uint32(id)) {
			continue
		}
		if filter != nil && !filter(ix.key(uint32(id))) {
			continue
		}
		d := ix.dist(q, uint32(id))
		if len(h) < keep {
			h.push(cand{d, uint32(id)})
		} else if d < h[0].d || (d == h[0].d && ix.key(uint32(id)) < ix.key(h[0].id)) {
			h.pop()
			h.push(cand{d, uint32(id)})
		}
	}
	if rerank {
		h = ix.rerank(h, qq, k, opts, &s.fbuf)
	}
	return ix.collect(h, k), nil
}
