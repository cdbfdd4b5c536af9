package query_test

import (
	"context"
	"errors"
	"strings"
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

// TestComputeStoredClusteringConflicts: asking to compute a clustering that
// is stored with another graph k or over other datasets used to return the
// stored one silently; it is now ErrInvalid naming what is stored, and
// unknown dataset names are ErrNotFound. The same request, or one leaving
// k and datasets to their defaults, answers the stored clustering.
func TestComputeStoredClusteringConflicts(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	first := query.ClusterRequest{Space: "cells", Resolution: 0.66, K: 10, Compute: true, Datasets: []string{"ds1"}}
	if _, err := f.e.Clusters(ctx, first); err != nil {
		t.Fatal(err)
	}
	for _, ok := range []query.ClusterRequest{first, {Space: "cells", Resolution: 0.66, Compute: true}} {
		if sum, err := f.e.Clusters(ctx, ok); err != nil || sum.Computed {
			t.Errorf("%+v: computed %v, %v; want the stored clustering", ok, sum != nil && sum.Computed, err)
		}
	}
	k := first
	k.K = 20
	if _, err := f.e.Clusters(ctx, k); !errors.Is(err, query.ErrInvalid) || !strings.Contains(err.Error(), "graph k=10, not 20") {
		t.Errorf("k 20 against a stored k 10: %v", err)
	}
	ds := first
	ds.Datasets = []string{"ds1", "ds2"}
	if _, err := f.e.Clusters(ctx, ds); !errors.Is(err, query.ErrInvalid) || !strings.Contains(err.Error(), "stored over ds1") {
		t.Errorf("ds1,ds2 against a stored ds1: %v", err)
	}
	ds.Datasets = []string{"nosuch"}
	if _, err := f.e.Clusters(ctx, ds); !errors.Is(err, query.ErrNotFound) {
		t.Errorf("an unknown dataset: %v", err)
	}
	re := ds
	re.Datasets, re.Recompute = []string{"ds1", "ds2"}, true
	if sum, err := f.e.Clusters(ctx, re); err != nil || !sum.Computed || sum.Entities != 600 {
		t.Errorf("recompute over ds1,ds2: %+v %v", sum, err)
	}
}
