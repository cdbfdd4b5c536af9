package index

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPackLinksRoundTrip packs random lists, extremes included, for
// several node counts and checks that each decodes to itself.
func TestPackLinksRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const m0 = 64
	for _, n := range []int{1, 2, 3000, 1 << 20, 1<<20 + 1} {
		lists := map[uint32][]uint32{0: nil}
		if n > 1 {
			lists[1] = []uint32{0, uint32(n - 1), uint32(n - 1)}
			full := make([]uint32, m0)
			for i := range full {
				full[i] = uint32(n - 1 - i%n)
			}
			lists[uint32(n-1)] = full
		}
		for range 2000 {
			id := rng.Uint32N(uint32(n))
			l := make([]uint32, rng.IntN(m0+1))
			for i := range l {
				l[i] = rng.Uint32N(uint32(n))
			}
			lists[id] = l
		}
		p := packLinks(n, m0, func(id uint32, buf []uint32) []uint32 { return append(buf, lists[id]...) })
		var buf []uint32
		for id := range n {
			buf = p.decode(uint32(id), buf[:0])
			if !slices.Equal(buf, lists[uint32(id)]) {
				t.Fatalf("n %d, list %d: decoded %v, want %v", n, id, buf, lists[uint32(id)])
			}
		}
	}
}

// TestPackLinksIndex packs a float32 and an int8 index with tombstones and
// checks that every read answers as before packing, that the snapshot
// holds the same graph, and that writes after packing work.
func TestPackLinksIndex(t *testing.T) {
	n, dim := 6000, 16
	base, queries := split(21, n, 40, dim)
	ctx := context.Background()
	for _, q := range []Quantization{Float32, Int8} {
		for _, order := range []string{"spaced", "shuffled", "runs"} {
			ix, err := New(dim, Options{Seed: 5, Quantize: q})
			if err != nil {
				t.Fatal(err)
			}
			keys := make([]uint64, n)
			for i := range keys {
				switch order {
				case "spaced":
					keys[i] = uint64(3 * i)
				case "shuffled":
					keys[i] = uint64(n-i) * 7
				case "runs": // three datasets' entity keys
					keys[i] = uint64(i/2000)<<32 | uint64(i%2000)
				}
			}
			if err := ix.AddBatch(ctx, keys, base); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n; i += 5 {
				if err := ix.Delete(keys[i]); err != nil {
					t.Fatal(err)
				}
			}
			if order != "runs" {
				if err := ix.Add(keys[10], base[11*dim:12*dim]); err != nil { // re-added: keys no longer ascend
					t.Fatal(err)
				}
			}
			type answer struct {
				res  [][]Result
				nbs  [][]uint64
				get  [][]float32
				keys []uint64
				len  int
				snap []byte
			}
			ask := func() answer {
				var a answer
				for i := range len(queries) / dim {
					// The default search (a beam above layer 0, which reads
					// the upper layers through upperIndex while packed) and
					// the greedy descent.
					for _, beam := range []int{0, 1} {
						r, err := ix.Search(ctx, queries[i*dim:(i+1)*dim], 10, SearchOptions{Ef: 40, UpperBeam: beam})
						if err != nil {
							t.Fatal(err)
						}
						a.res = append(a.res, r)
					}
				}
				for _, k := range append(append(keys[:200:200], keys[n-200:]...), keys[1999]+1, 1<<32-1, 5<<32) {
					nb, ok := ix.Neighbors(nil, k)
					if ok {
						slices.Sort(nb)
					}
					a.nbs = append(a.nbs, nb)
					v, _ := ix.Get(k)
					a.get = append(a.get, v)
					if ix.Contains(k) != ok {
						t.Fatalf("Contains(%d) = %v, Neighbors ok %v", k, !ok, ok)
					}
				}
				a.keys, a.len = ix.Keys(), ix.Len()
				var b bytes.Buffer
				if _, err := ix.WriteTo(&b); err != nil {
					t.Fatal(err)
				}
				a.snap = b.Bytes()
				return a
			}
			before := ask()
			ix.PackLinks()
			if !ix.LinksPacked() || ix.byKey != nil || ix.links0 != nil {
				t.Fatalf("%v %s: not packed", q, order)
			}
			if ix.levels != nil || ix.upperOff != nil || ix.up == nil {
				t.Fatalf("%v %s: levels and upper offsets not replaced", q, order)
			}
			// The re-add broke the keys' order; the runs are kept as runs.
			if runs := order == "runs"; (ix.keyOrder == nil) != runs || (ix.kr != nil) != runs || (ix.keys == nil) != runs {
				t.Fatalf("%v %s: keyOrder %v, runs %v, keys %v", q, order, ix.keyOrder != nil, ix.kr != nil, ix.keys != nil)
			}
			after := ask()
			if !slices.EqualFunc(before.res, after.res, slices.Equal) || !slices.EqualFunc(before.nbs, after.nbs, slices.Equal) ||
				!slices.EqualFunc(before.get, after.get, slices.Equal) || !slices.Equal(before.keys, after.keys) || before.len != after.len {
				t.Fatalf("%v %s: answers changed by packing", q, order)
			}
			if !bytes.Equal(before.snap, after.snap) {
				t.Fatalf("%v %s: snapshot changed by packing", q, order)
			}
			// A refused write leaves the index packed; a write unpacks and works.
			if err := ix.Delete(1 << 60); !errors.Is(err, ErrNotFound) || !ix.LinksPacked() {
				t.Fatalf("Delete of a missing key: %v (packed %v)", err, ix.LinksPacked())
			}
			if err := ix.Add(keys[2], base[:dim]); !errors.Is(err, ErrKeyExists) || !ix.LinksPacked() {
				t.Fatalf("Add of a live key: %v (packed %v)", err, ix.LinksPacked())
			}
			if err := ix.Delete(keys[1]); err != nil || ix.LinksPacked() {
				t.Fatalf("Delete after packing: %v (packed %v)", err, ix.LinksPacked())
			}
			if err := ix.Add(keys[1], base[dim:2*dim]); err != nil {
				t.Fatal(err)
			}
			if r := recallAt(t, ix, queries, 10, 60); r < 0.9 {
				t.Errorf("%v: recall after writes %.3f", q, r)
			}
			ix.PackLinks()
			if r := recallAt(t, ix, queries, 10, 60); r < 0.9 {
				t.Errorf("%v: recall packed again %.3f", q, r)
			}
			// A parallel batch unpacks too.
			ix.SetThreads(2)
			more := make([]uint64, 50)
			for i := range more {
				more[i] = uint64(1e9) + uint64(i)
			}
			if err := ix.AddBatch(ctx, more, base[:50*dim]); err != nil || ix.LinksPacked() || !ix.Contains(more[49]) {
				t.Fatalf("parallel AddBatch after packing: %v (packed %v)", err, ix.LinksPacked())
			}
			ix.SetThreads(1)
			ix.PackLinks()
			if err := ix.Compact(ctx); err != nil || ix.LinksPacked() || ix.Len() != ix.Nodes() {
				t.Fatalf("Compact after packing: %v", err)
			}
		}
	}
}

// TestPackLinksAscendingKeys: keys that strictly ascend are searched in
// place (no keyOrder), tombstones included.
func TestPackLinksAscendingKeys(t *testing.T) {
	n, dim := 3000, 8
	base, _ := split(5, n, 0, dim)
	ix := build(t, dim, Options{Seed: 2}, base)
	for k := uint64(0); k < uint64(n); k += 7 {
		if err := ix.Delete(k); err != nil {
			t.Fatal(err)
		}
	}
	ix.PackLinks()
	if ix.keyOrder != nil {
		t.Fatal("ascending keys got a keyOrder")
	}
	for k := uint64(0); k < uint64(n)+5; k++ {
		if want := k < uint64(n) && k%7 != 0; ix.Contains(k) != want {
			t.Fatalf("Contains(%d) = %v, want %v", k, !want, want)
		}
	}
}

// TestKeyRuns: keys as runs of consecutive integers, and keys that are not.
func TestKeyRuns(t *testing.T) {
	if runsOf(nil) != nil || runsOf([]uint64{3, 3}) != nil || runsOf([]uint64{4, 2}) != nil {
		t.Fatal("runs of empty or non-ascending keys")
	}
	spaced := make([]uint64, 640)
	for i := range spaced {
		spaced[i] = uint64(2 * i)
	}
	if runsOf(spaced) != nil {
		t.Fatal("one run per node kept as runs")
	}
	var keys []uint64
	for _, r := range []struct{ first, n uint64 }{{0, 100}, {1 << 32, 1}, {1<<32 + 5, 60}, {math.MaxUint64 - 39, 40}} {
		for i := range r.n {
			keys = append(keys, r.first+i)
		}
	}
	r := runsOf(keys)
	if r == nil || len(r.start) != 4 || !slices.Equal(r.all(), keys) {
		t.Fatalf("runs %+v", r)
	}
	for id, k := range keys {
		if got := r.key(uint32(id)); got != k {
			t.Fatalf("key(%d) = %d, want %d", id, got, k)
		}
		if got, ok := r.node(k); !ok || got != uint32(id) {
			t.Fatalf("node(%d) = %d %v, want %d", k, got, ok, id)
		}
	}
	for _, k := range []uint64{100, 1<<32 - 1, 1<<32 + 1, 1<<32 + 4, 1<<32 + 65, math.MaxUint64 - 40} {
		if id, ok := r.node(k); ok {
			t.Fatalf("node(%d) = %d, a key not held", k, id)
		}
	}
}

// TestBlockShift: a block of packed lists always spans under 2^16 bits.
func TestBlockShift(t *testing.T) {
	for _, c := range []struct {
		m0           int
		cbits, width uint
		want         uint
	}{{32, 6, 17, 6}, {32, 6, 20, 6}, {32, 6, 32, 5}, {8, 4, 1, 12}, {4096, 13, 32, 0}} {
		got := blockShift(c.m0, c.cbits, c.width)
		if got != c.want || (got > 0 && (uint64(c.cbits)+uint64(c.m0)*uint64(c.width))<<got >= 1<<16) {
			t.Errorf("blockShift(%d, %d, %d) = %d, want %d", c.m0, c.cbits, c.width, got, c.want)
		}
	}
}

// TestUpperIndex: the ranked offsets and levels of the nodes above layer 0
// give back every node's, across word boundaries and for empty words.
func TestUpperIndex(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 63, 64, 65, 1000} {
		levels := make([]uint8, n)
		offs := make([]uint32, n)
		next := uint32(0)
		for id := range levels {
			if r.IntN(8) == 0 || (n == 65 && id == 64) {
				levels[id] = uint8(1 + r.IntN(3))
				offs[id] = next
				next += uint32(levels[id]) * 17
			}
		}
		u := newUpperIndex(levels, offs)
		if !slices.Equal(u.levels(), levels) || !slices.Equal(u.offsets(), offs) {
			t.Fatalf("n %d: levels or offsets changed", n)
		}
		for id, l := range levels {
			if l > 0 && u.offset(uint32(id)) != offs[id] {
				t.Fatalf("n %d: offset(%d) = %d, want %d", n, id, u.offset(uint32(id)), offs[id])
			}
		}
	}
}
