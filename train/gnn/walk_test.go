package gnn

import (
	"math"
	"math/rand"
	"testing"
)

// TestWalkPairs checks the walks' three rules on small graphs: with restart
// 1 every pair is an edge; a walk never outlasts its step cap and never
// pairs a gene with itself; a step picks a neighbour in proportion to the
// edge's weight.
func TestWalkPairs(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	// path 0-1-2-3-4 plus a chord 0-2
	edges := [][2]int32{{0, 1}, {0, 2}, {1, 2}, {2, 3}, {3, 4}}
	w := []float32{1, 1, 1, 1, 1}
	wk := newWalker(5, edges, w, 1, 40)
	isEdge := map[[2]int32]bool{}
	for _, e := range edges {
		isEdge[e] = true
		isEdge[[2]int32{e[1], e[0]}] = true
	}
	for _, p := range wk.pairs(rng, 2000) {
		if !isEdge[p] {
			t.Fatalf("restart 1 gave the non-edge %v", p)
		}
	}
	// Two steps at most: the end is within graph distance 2 of the start,
	// so 4 never pairs with 0 or 1; every such pair shows up.
	hop := map[[2]int32]bool{}
	wk.restart, wk.steps = 0.5, 2
	for _, p := range wk.pairs(rng, 5000) {
		if p[0] == p[1] {
			t.Fatalf("pair %v joins a gene with itself", p)
		}
		a, b := min(p[0], p[1]), max(p[0], p[1])
		if a <= 1 && b == 4 {
			t.Fatalf("pair %v is 3 steps apart with a cap of 2", p)
		}
		hop[[2]int32{a, b}] = true
	}
	for _, p := range [][2]int32{{0, 3}, {1, 3}, {2, 4}} {
		if !hop[p] {
			t.Errorf("no two-step pair %v in 5,000 walks", p)
		}
	}
	// A star with weights 1, 2, 7 around gene 0: steps from 0 follow them.
	star := newWalker(4, [][2]int32{{0, 1}, {0, 2}, {0, 3}}, []float32{1, 2, 7}, 0.1, 40)
	count := make([]int, 4)
	const n = 100000
	for range n {
		count[star.step(rng, 0)]++
	}
	for j, want := range []float64{0, 0.1, 0.2, 0.7} {
		got := float64(count[j]) / n
		if math.Abs(got-want) > 0.01 {
			t.Errorf("step 0→%d taken %.3f of the time, want %.1f", j, got, want)
		}
	}
	if g := newWalker(3, [][2]int32{{0, 1}}, []float32{1}, 0.1, 40).step(rng, 2); g != 2 {
		t.Errorf("a gene without edges stepped to %d", g)
	}
}

// TestWalkRestartOneIsEdgeReconstruction: with WalkRestart 1 Train keeps
// no walker, so the positives are exactly the training edges (the layout
// version 1 and 2 models were trained that way; TestDecodeOldVersions
// checks their vectors).
func TestWalkRestartOneIsEdgeReconstruction(t *testing.T) {
	inputs, opts := v1Fixture()
	for _, restart := range []float64{1, 0.3} {
		opts.WalkRestart = restart
		r := newRun(inputs[0], &datasetState{Name: inputs[0].Name, Genes: inputs[0].Genes}, opts, rand.New(rand.NewSource(1)))
		if (r.walk == nil) != (restart == 1) {
			t.Errorf("WalkRestart %v: walker %v", restart, r.walk != nil)
		}
	}
}
