package query_test

import (
	"context"
	"errors"
	"testing"

	"genestore/query"
	"genestore/query/querytest"
)

// TestMemberOptionsNegative: a negative MaxMembers or MaxTerms is refused
// with ErrInvalid (MaxMembers < 0 used to panic slicing the member list,
// MaxTerms < 0 listed every enrichment row).
func TestMemberOptionsNegative(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	req := query.ClusterRequest{Space: "genes", Compute: true}
	if _, err := f.e.Clusters(ctx, req); err != nil {
		t.Fatal(err)
	}
	for _, mo := range []query.MemberOptions{{MaxMembers: -1}, {MaxTerms: -1, Enrich: querytest.Collection}} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%+v: panic %v", mo, r)
				}
			}()
			if _, err := f.e.ClusterMembers(ctx, req, 0, mo); !errors.Is(err, query.ErrInvalid) {
				t.Errorf("ClusterMembers %+v: %v, want ErrInvalid", mo, err)
			}
			if _, err := f.e.GeneCluster(ctx, req, f.tr.Symbols[0], mo); !errors.Is(err, query.ErrInvalid) {
				t.Errorf("GeneCluster %+v: %v, want ErrInvalid", mo, err)
			}
			creq := query.ClusterRequest{Space: "cells", Compute: true}
			if _, err := f.e.CellCluster(ctx, creq, "ds1", f.tr.Barcodes[0][0], mo); !errors.Is(err, query.ErrInvalid) {
				t.Errorf("CellCluster %+v: %v, want ErrInvalid", mo, err)
			}
		}()
	}
}
