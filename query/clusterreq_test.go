package query_test

import (
	"context"
	"testing"

	"genestore/query"
	"genestore/query/querytest"
)

// TestClusterDatasetsOnce: a dataset named twice is clustered once.
func TestClusterDatasetsOnce(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	sum, err := f.e.Clusters(ctx, query.ClusterRequest{Space: "cells", Resolution: 0.66, Compute: true,
		Datasets: []string{"ds2", "ds2", "ds1", "ds2"}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Entities != 600 || len(sum.Provenance.Datasets) != 2 || sum.Provenance.Datasets[0] != f.tr.DatasetIDs[1] {
		t.Errorf("ds2,ds2,ds1,ds2: %d entities (want 600), datasets %v (want [%d %d])", sum.Entities,
			sum.Provenance.Datasets, f.tr.DatasetIDs[1], f.tr.DatasetIDs[0])
	}
}

// TestTinyResolution: every valid resolution can be computed and stored
// (the name of 1e-300 once exceeded the store's limit).
func TestTinyResolution(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	sum, err := f.e.Clusters(ctx, query.ClusterRequest{Space: "cells", Resolution: 1e-300, Compute: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Name != "leiden_r1e-300" {
		t.Errorf("name %q", sum.Name)
	}
	if _, err := f.clustering(ctx, "cells", "leiden_r1e-300"); err != nil {
		t.Errorf("stored: %v", err)
	}
}
