package index

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
)

// checkGraph fails unless every link list is a set of other nodes within
// capacity; it returns how many live nodes layer 0 does not reach from the
// entry point (the heuristic can leave a few without in-links, serial
// builds included).
func checkGraph(t *testing.T, ix *Index) int {
	t.Helper()
	n := len(ix.keys)
	for id := range n {
		for l := 0; l <= int(ix.levels[id]); l++ {
			ls := ix.links(uint32(id), l)
			if len(ls) > ix.capAt(l) {
				t.Fatalf("node %d layer %d: %d links", id, l, len(ls))
			}
			seen := map[uint32]bool{}
			for _, x := range ls {
				if int(x) >= n || x == uint32(id) || seen[x] || int(ix.levels[x]) < l {
					t.Fatalf("node %d layer %d: bad link %d in %v", id, l, x, ls)
				}
				seen[x] = true
			}
		}
	}
	reach := make([]bool, n)
	reach[ix.entry] = true
	queue := []uint32{ix.entry}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, x := range ix.links(id, 0) {
			if !reach[x] {
				reach[x] = true
				queue = append(queue, x)
			}
		}
	}
	missed := 0
	for id := range n {
		if !reach[id] && !ix.isDeleted(uint32(id)) {
			missed++
		}
	}
	return missed
}

func TestParallelBuildRecall(t *testing.T) {
	if raceEnabled {
		t.Skip("too slow under the race detector; TestParallelInsertRace covers it")
	}
	n, dim := 20000, 32
	base, queries := split(31, n, 500, dim)
	one := build(t, dim, Options{Seed: 3, ExactBelow: -1}, base)
	// ef 10 keeps recall below 1, where a worse graph would show.
	r1 := recallAt(t, one, queries, 10, 10)
	miss1 := checkGraph(t, one)
	for _, threads := range []int{2} {
		ix := build(t, dim, Options{Seed: 3, ExactBelow: -1, Threads: threads}, base)
		if miss := checkGraph(t, ix); miss > miss1+3 {
			t.Errorf("%d threads: %d nodes unreachable on layer 0, 1 thread %d", threads, miss, miss1)
		}
		if !slices.Equal(ix.levels, one.levels) {
			t.Errorf("%d threads: levels differ from the 1-thread build", threads)
		}
		r := recallAt(t, ix, queries, 10, 10)
		t.Logf("recall@10 at ef 10: 1 thread %.4f, %d threads %.4f (unreachable: %d)", r1, threads, r, miss1)
		if r < r1-0.005 {
			t.Errorf("%d threads: recall@10 %.4f, 1 thread %.4f (more than 0.005 lower)", threads, r, r1)
		}
	}
}

// TestParallelInsertRace appends in parallel batches while other
// goroutines search, then deletes, appends again and checks the graph and
// a snapshot round trip. Run it with -race.
func TestParallelInsertRace(t *testing.T) {
	n, dim := 4000, 16
	base, queries := split(32, n, 20, dim)
	ix, err := New(dim, Options{Seed: 4, M: 8, EfConstruction: 40, ExactBelow: -1, Threads: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Deletes take 600 away; the index only grows otherwise.
	wait := searchWhile(ctx, ix, queries, 2, 1000)
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = uint64(i)
	}
	for start := 0; start < 3000; start += 500 {
		if err := ix.AddBatch(ctx, keys[start:start+500], base[start*dim:(start+500)*dim]); err != nil {
			t.Fatal(err)
		}
	}
	for k := uint64(0); k < 3000; k += 5 {
		if err := ix.Delete(k); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.AddBatch(ctx, keys[3000:], base[3000*dim:]); err != nil {
		t.Fatal(err)
	}
	cancel()
	for _, err := range wait() {
		t.Error(err)
	}
	if ix.Len() != n-600 {
		t.Errorf("Len %d, want %d", ix.Len(), n-600)
	}
	if miss := checkGraph(t, ix); miss > n/100 {
		t.Errorf("%d nodes unreachable on layer 0", miss)
	}
	got, err := Read(bytes.NewReader(snapshot(t, ix)))
	if err != nil {
		t.Fatalf("snapshot of a parallel build: %v", err)
	}
	if got.Len() != ix.Len() {
		t.Errorf("loaded Len %d, want %d", got.Len(), ix.Len())
	}
	if r := recallAt(t, ix, queries, 10, 64); r < 0.95 {
		t.Errorf("recall@10 at ef 64 = %.3f after parallel appends", r)
	}
}

func TestParallelOnEmptyAndTombstoned(t *testing.T) {
	dim := 8
	base, _ := split(33, 300, 0, dim)
	ix, err := New(dim, Options{Seed: 5, Threads: 3, ExactBelow: -1})
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]uint64, 300)
	for i := range keys {
		keys[i] = uint64(i)
	}
	ctx := context.Background()
	if err := ix.AddBatch(ctx, keys[:1], base[:dim]); err != nil {
		t.Fatal(err)
	}
	if err := ix.Delete(0); err != nil {
		t.Fatal(err)
	}
	// Every node is a tombstone: the batch starts a fresh graph.
	if err := ix.AddBatch(ctx, keys[1:], base[dim:]); err != nil {
		t.Fatal(err)
	}
	if miss := checkGraph(t, ix); miss > 3 {
		t.Errorf("%d nodes unreachable on layer 0", miss)
	}
	if err := ix.AddBatch(ctx, keys[1:2], base[dim:2*dim]); !errors.Is(err, ErrKeyExists) {
		t.Errorf("re-adding a live key = %v", err)
	}
}

func TestParallelCancelled(t *testing.T) {
	dim := 8
	base, _ := split(34, 3000, 0, dim)
	ix, err := New(dim, Options{Seed: 6, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]uint64, 3000)
	for i := range keys {
		keys[i] = uint64(i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ix.AddBatch(ctx, keys, base); !errors.Is(err, context.Canceled) || ix.Len() != 0 {
		t.Errorf("cancelled AddBatch = %v with %d inserted", err, ix.Len())
	}
}
