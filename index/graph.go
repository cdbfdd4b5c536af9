package index

// Neighbors appends to dst the keys of the live layer-0 neighbours of key,
// in the order the graph stores them (not by distance), and reports whether
// key is live. The lists are the graph's own: up to 2·M nodes chosen by
// the HNSW heuristic, so they hold many of a node's nearest neighbours but
// not all of them; a kNN graph built from them needs refining (see
// query/cluster.RefineKNN). It takes the read lock for the one call.
func (ix *Index) Neighbors(dst []uint64, key uint64) ([]uint64, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	id, ok := ix.lookup(key)
	if !ok {
		return dst, false
	}
	hasDel := ix.ndeleted > 0
	var buf []uint32
	for _, nb := range ix.links0Of(id, &buf) {
		if hasDel && ix.isDeleted(nb) {
			continue
		}
		dst = append(dst, ix.key(nb))
	}
	return dst, true
}

// NeighborsBatch calls fn(i, nbs) for each keys[i] that is live, with the
// keys of its live layer-0 neighbours (as Neighbors; nbs is reused between
// calls), under one read lock for the whole batch.
func (ix *Index) NeighborsBatch(keys []uint64, fn func(i int, nbs []uint64)) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	hasDel := ix.ndeleted > 0
	var buf []uint64
	var lbuf []uint32
	for i, key := range keys {
		id, ok := ix.lookup(key)
		if !ok {
			continue
		}
		buf = buf[:0]
		for _, nb := range ix.links0Of(id, &lbuf) {
			if hasDel && ix.isDeleted(nb) {
				continue
			}
			buf = append(buf, ix.key(nb))
		}
		fn(i, buf)
	}
}
