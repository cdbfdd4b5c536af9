package index

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// Parallel insertion follows hnswlib's scheme. A chunk of rows is appended
// to the arrays under the write lock (vectors, keys, levels drawn in row
// order from the index's source, empty link blocks), so that no array moves
// while the chunk is linked; then Threads goroutines link its nodes, each
// node as connect does alone. Every read or write of a link list holds
// the lock of that node's stripe (never two at once, so no lock order is
// needed); the entry point and top level are read under entryMu, and a node
// whose level is above the top level holds entryMu while it is linked, so
// the next insert starts from it. Nodes of the same chunk see each other as
// soon as a back link to them exists, as in hnswlib.

// lockStripes is the number of link-list locks (a power of two): node id
// uses lock id mod lockStripes.
const lockStripes = 1 << 12

// parallel is the shared state of one parallel chunk.
type parallel struct {
	locks   [lockStripes]sync.Mutex
	entryMu sync.Mutex
}

func (p *parallel) lock(id uint32) *sync.Mutex {
	mu := &p.locks[id&(lockStripes-1)]
	mu.Lock()
	return mu
}

// chunkRows is how many rows per worker one chunk holds: the write lock is
// held for about chunkRows inserts' time, and a chunk ends with workers
// waiting for the slowest one.
const chunkRows = 1024

// SetThreads sets Options.Threads (for example on an index loaded from a
// snapshot, which does not store it). n < 1 means one.
func (ix *Index) SetThreads(n int) {
	ix.mu.Lock()
	ix.opts.Threads = max(n, 1)
	ix.mu.Unlock()
}

// addParallel inserts checked rows with threads goroutines, chunk by chunk.
func (ix *Index) addParallel(ctx context.Context, keys []uint64, vecs []float32, threads int) error {
	dim := ix.dim
	step := chunkRows * threads
	prepared := make([]float32, 0, min(len(keys), step)*dim)
	for start := 0; start < len(keys); start += step {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("index: AddBatch stopped after %d of %d rows: %w", start, len(keys), err)
		}
		end := min(start+step, len(keys))
		prepared = prepared[:0]
		for i := start; i < end; i++ {
			v, err := ix.prepare(vecs[i*dim:(i+1)*dim], false)
			if err != nil {
				return fmt.Errorf("index: AddBatch row %d: %w", i, err)
			}
			prepared = append(prepared, v...)
		}
		ix.mu.Lock()
		err := ix.insertChunk(keys[start:end], prepared, threads)
		ix.mu.Unlock()
		if err != nil {
			return fmt.Errorf("index: AddBatch rows %d to %d: %w", start, end-1, err)
		}
	}
	return nil
}

// insertChunk inserts prepared rows with threads goroutines; the caller
// holds the write lock. AddBatch checked the keys under the read lock, but
// an Add may have taken one since: they are checked again here.
func (ix *Index) insertChunk(keys []uint64, vecs []float32, threads int) error {
	dim := ix.dim
	ix.unpack()
	for _, k := range keys {
		if _, ok := ix.byKey[k]; ok {
			return fmt.Errorf("%w: key %d (added while the batch ran)", ErrKeyExists, k)
		}
	}
	if len(ix.byKey) == 0 && len(keys) > 0 {
		// The first live node starts the graph alone.
		if err := ix.insert(keys[0], vecs[:dim]); err != nil {
			return err
		}
		keys, vecs = keys[1:], vecs[dim:]
	}
	n := len(keys)
	if n == 0 {
		return nil
	}
	if uint64(len(ix.keys))+uint64(n) >= 1<<32-1 {
		return ErrFull
	}
	first := uint32(len(ix.keys))
	levels := make([]int, n)
	for i := range levels {
		levels[i] = ix.randomLevel()
	}
	if err := ix.grow(n, levels...); err != nil {
		return err
	}
	for i, k := range keys {
		ix.store(first+uint32(i), vecs[i*dim:(i+1)*dim])
		ix.keys = append(ix.keys, k)
		ix.levels = append(ix.levels, uint8(levels[i]))
		ix.byKey[k] = first + uint32(i)
	}

	p := &parallel{}
	ix.par = p
	defer func() { ix.par = nil }()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(threads, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := ix.getSearcher()
			defer ix.putSearcher(s)
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				id := first + uint32(i)
				level := levels[i]
				p.entryMu.Lock()
				entry, top := ix.entry, ix.maxLevel
				if level <= top {
					p.entryMu.Unlock()
				}
				ix.connect(s, id, ix.query(vecs[i*dim:(i+1)*dim], &s.qbuf), level, entry, top)
				if level > top {
					ix.entry, ix.maxLevel = id, level
					p.entryMu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return nil
}
