package grn

import (
	"context"
	"slices"
	"testing"
)

// TestPathNegatives lists the reverses and the two-step shortcuts of a
// small network, once each, ascending, and only those ok accepts.
func TestPathNegatives(t *testing.T) {
	// 0 → 1 → 2, 0 → 2 (known, so not a negative), 1 → 3, 3 → 0.
	pos := []int64{pairKey(0, 1), pairKey(1, 2), pairKey(0, 2), pairKey(1, 3), pairKey(3, 0)}
	known := map[int64]bool{}
	for _, k := range pos {
		known[k] = true
	}
	got := pathNegatives(pos, func(k int64) bool { return !known[k] && k>>32 != k&0xffffffff })
	// Reverses: 1→0, 2→1, 2→0, 3→1, 0→3. Shortcuts: 0→1→3 gives 0→3
	// (again), 1→3→0 gives 1→0 (again), 3→0→1 gives 3→1 (again), 3→0→2
	// gives 3→2, 0→1→2 gives 0→2 (known); 1→3→0 … and 3→0 back to 3 is a
	// self-loop.
	want := []int64{pairKey(0, 3), pairKey(1, 0), pairKey(2, 0), pairKey(2, 1), pairKey(3, 1), pairKey(3, 2)}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := pathNegatives(pos, func(k int64) bool { return k>>32 == 2 }); !slices.Equal(got, []int64{pairKey(2, 0), pairKey(2, 1)}) {
		t.Fatalf("restricted to regulator 2: %v", got)
	}
}

// TestTrainPathNegativesViewDropout trains with both options on: the
// report counts the path negatives, the run is reproducible and differs
// from the default one.
func TestTrainPathNegativesViewDropout(t *testing.T) {
	views, known := tinyData()
	o := tinyOptions()
	o.HoldOut = -1
	train := func(o Options) (*Model, *Report) {
		m, rep, err := Train(context.Background(), views, known, o)
		if err != nil {
			t.Fatal(err)
		}
		return m, rep
	}
	plain, rep0 := train(o)
	o.PathNegatives, o.ViewDropout = true, 0.5
	a, rep := train(o)
	b, _ := train(o)
	if rep0.PathNegatives != 0 || rep.PathNegatives == 0 {
		t.Fatalf("path negatives %d without the option, %d with it", rep0.PathNegatives, rep.PathNegatives)
	}
	eq := func(x, y *Model) bool {
		for i, p := range x.params() {
			if !slices.Equal(p.W, y.params()[i].W) {
				return false
			}
		}
		return true
	}
	if !eq(a, b) {
		t.Fatal("not reproducible")
	}
	if eq(a, plain) {
		t.Fatal("the options changed nothing")
	}
}
