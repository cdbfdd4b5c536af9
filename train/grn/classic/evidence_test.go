package classic

import (
	"context"
	"errors"
	"testing"

	"genestore/train/grn"
)

// TestEvidenceChain: one matrix per view of the right shape (each view's
// features and the pooled views'), every value in
// [0, 1], self pairs 0, and on the chain each global feature but CLR puts
// the chain edge 0→1 above every pair of independent genes, first among
// 0's targets and above the noise regulators of gene 1.
func TestEvidenceChain(t *testing.T) {
	views := []grn.View{chain(400, 8, 1), chain(300, 8, 2)}
	o := DefaultOptions()
	o.Trees = 30
	ev, err := Evidence(context.Background(), views, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	F0, G := len(EvidenceFeatures), 8
	F := 2 * F0 // each view's, then the pooled ones
	if ev.Features != F || ev.Genes != G || len(ev.X) != 2 || len(ev.Regulators) != G {
		t.Fatalf("evidence %d features, %d genes, %d views, %d regulators", ev.Features, ev.Genes, len(ev.X), len(ev.Regulators))
	}
	at := func(v, row, target, f int) float32 { return ev.X[v][(row*G+target)*F+f] }
	for v, x := range ev.X {
		if len(x) != G*G*F {
			t.Fatalf("view %d: %d values", v, len(x))
		}
		for i, f := range x {
			if f < 0 || f > 1 {
				t.Fatalf("view %d: value %d is %v", v, i, f)
			}
		}
		for row, r := range ev.Regulators {
			for f := range F {
				if at(v, row, r, f) != 0 {
					t.Errorf("view %d: self pair %d has feature %d = %v", v, r, f, at(v, row, r, f))
				}
			}
		}
		for f := range F {
			edge := at(v, 0, 1, f)
			switch EvidenceFeatures[f%F0] {
			case "ensemble/target": // above the noise regulators of gene 1
				for r := 3; r < G; r++ {
					if at(v, r, 1, f) >= edge {
						t.Errorf("view %d: %s of %d→1 (%v) ≥ 0→1 (%v)", v, EvidenceFeatures[f%F0], r, at(v, r, 1, f), edge)
					}
				}
				continue
			case "ensemble/regulator": // 0's best target
				if edge != 1 {
					t.Errorf("view %d: %s of 0→1 is %v, want 1", v, EvidenceFeatures[f%F0], edge)
				}
				continue
			case "clr":
				// CLR z-scores each MI against the gene's others: the
				// three chain genes are all alike, so their z-scores are
				// modest and a noise pair's may be higher.
				continue
			}
			for row := 3; row < G; row++ { // noise regulators
				for g := 3; g < G; g++ {
					if g != row && at(v, row, g, f) >= edge {
						t.Errorf("view %d: %s of noise pair %d→%d (%v) ≥ 0→1 (%v)", v, EvidenceFeatures[f%F0], ev.Regulators[row], g, at(v, row, g, f), edge)
					}
				}
			}
		}
	}
	for k := range G * G { // the pooled features are the same in every view
		for f := F0; f < F; f++ {
			if ev.X[0][k*F+f] != ev.X[1][k*F+f] {
				t.Fatalf("pooled feature %d of pair %d differs between views", f, k)
			}
		}
	}
	pooled, err := PooledEvidence(context.Background(), views, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if pooled.Features != F0 || len(pooled.X) != 2 {
		t.Fatalf("pooled evidence: %d features, %d views", pooled.Features, len(pooled.X))
	}
	for v, x := range pooled.X { // the pooled half of Evidence's layout
		for k := range G * G {
			for f := range F0 {
				if x[k*F0+f] != ev.X[v][k*F+F0+f] {
					t.Fatalf("view %d: pooled feature %d of pair %d differs from Evidence's", v, f, k)
				}
			}
		}
	}
	if _, err := Evidence(context.Background(), views, []int32{0, 9}, o); !errors.Is(err, ErrInvalid) {
		t.Errorf("regulator outside the genes: err %v", err)
	}
}
