package query_test

import (
	"context"
	"errors"
	"testing"

	"genestore/query"
	"genestore/query/querytest"
	"genestore/store"
)

// withNetwork stores a network over the fixture's genes in which the first
// gene of each module regulates every other gene of its module (scores
// falling with the member's index, signs alternating), plus a weak edge
// from module 0's regulator to one gene of module 1.
func withNetwork(t *testing.T, f *fixture) {
	t.Helper()
	first := map[int]int{}
	var edges []store.RegEdge
	for i, m := range f.tr.Module {
		r, ok := first[m]
		if !ok {
			first[m] = i
			continue
		}
		sign := int8(1)
		if i%2 == 0 {
			sign = -1
		}
		edges = append(edges, store.RegEdge{Regulator: f.tr.GeneIDs[r], Target: f.tr.GeneIDs[i],
			Score: 1 - float32(i)/float32(2*len(f.tr.Module)), Sign: sign, Support: []float32{0.25, 0.75}})
	}
	edges = append(edges, store.RegEdge{Regulator: f.tr.GeneIDs[first[0]], Target: f.tr.GeneIDs[first[1]+f.cfg.Modules], Score: 0.01})
	err := f.db.Update(func(tx *store.Tx) error {
		return tx.PutNetwork(store.Network{Name: "default", Views: []string{"early", "late"}, Method: "test",
			Provenance: store.Provenance{Kind: "grn", ModelVersion: "test-v1"}}, edges)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRegulatorsAndTargets(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	if _, err := f.e.Targets(ctx, query.RegulationRequest{Symbol: f.tr.Symbols[0]}); !errors.Is(err, query.ErrNotComputed) {
		t.Fatalf("no network: %v", err)
	}
	withNetwork(t, f)
	reg := f.tr.Symbols[0] // module 0's regulator
	ans, err := f.e.Targets(ctx, query.RegulationRequest{Symbol: reg, K: 5})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Network != "default" || ans.Direction != "targets" || len(ans.Edges) != 5 {
		t.Fatalf("answer %+v", ans)
	}
	for i, h := range ans.Edges {
		if f.tr.Module[f.geneIndex(h.Symbol)] != 0 {
			t.Errorf("target %d %s is not in module 0", i, h.Symbol)
		}
		if i > 0 && h.Score > ans.Edges[i-1].Score {
			t.Errorf("targets not best first at %d", i)
		}
		if len(h.Support) != 2 || h.Support[1].View != "late" || h.Support[1].Support != 0.75 {
			t.Errorf("support %+v", h.Support)
		}
		if h.Cosine == nil || *h.Cosine < 0.5 {
			t.Errorf("target %s: cosine %v, want a same-module vector", h.Symbol, h.Cosine)
		}
	}
	target := ans.Edges[0].Symbol
	rs, err := f.e.Regulators(ctx, query.RegulationRequest{Symbol: target})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Edges) != 1 || rs.Edges[0].Symbol != reg {
		t.Fatalf("regulators of %s: %+v", target, rs.Edges)
	}
	if _, err := f.e.Targets(ctx, query.RegulationRequest{Symbol: reg, Network: "nope"}); !errors.Is(err, query.ErrNotFound) {
		t.Fatalf("unknown network: %v", err)
	}
	if _, err := f.e.Targets(ctx, query.RegulationRequest{Symbol: reg, K: -1}); !errors.Is(err, query.ErrInvalid) {
		t.Fatalf("k -1: %v", err)
	}
	nets, err := f.e.Networks(ctx)
	if err != nil || len(nets) != 1 || nets[0].Edges == 0 {
		t.Fatalf("networks %+v, %v", nets, err)
	}
}

// TestUpstreamRegulators checks that the regulator of a module (its first
// gene) is the most enriched upstream of the gene cluster holding that
// module.
func TestUpstreamRegulators(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	withNetwork(t, f)
	ctx := context.Background()
	creq := query.ClusterRequest{Space: "genes", Compute: true}
	member := f.tr.Symbols[1+f.cfg.Modules] // module 1, not its regulator
	m, err := f.e.GeneCluster(ctx, creq, member, query.MemberOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up, err := f.e.UpstreamRegulators(ctx, query.UpstreamRequest{Cluster: creq, ID: m.Cluster, TopFraction: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Regulators) == 0 || up.Regulators[0].Symbol != f.tr.Symbols[1] || up.Regulators[0].FDR > 0.01 {
		t.Fatalf("upstream of the cluster of %s: %+v", member, up.Regulators)
	}
	if len(up.Regulators) > 1 && up.Regulators[1].FDR < 0.5 {
		t.Errorf("a second regulator is enriched: %+v", up.Regulators[1])
	}
}
