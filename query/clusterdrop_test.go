package query_test

import (
	"context"
	"errors"
	"testing"

	"genestore/query"
	"genestore/query/querytest"
	"genestore/store"
)

// TestClustersAfterDrop: dropping a dataset marks the clusterings stale and
// removes its cells; the lookups of the cells that survived keep working,
// leave the dropped cells out and say the clustering is stale.
func TestClustersAfterDrop(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	req := query.ClusterRequest{Space: "cells", Compute: true}
	before, err := f.e.Clusters(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if before.Entities != 600 || before.Stale {
		t.Fatalf("before the drop: %d entities, stale %v", before.Entities, before.Stale)
	}
	err = f.db.Update(func(tx *store.Tx) error {
		d, err := tx.DatasetByName("ds1")
		if err != nil {
			return err
		}
		_, err = tx.DropDataset(ctx, d.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	req.Compute = false
	sum, err := f.e.Clusters(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range sum.Clusters {
		total += c.Size
	}
	if !sum.Stale || sum.Entities != 300 || total != 300 {
		t.Errorf("after the drop: stale %v, %d entities, clusters sum to %d (want 300)", sum.Stale, sum.Entities, total)
	}
	cm, err := f.e.CellCluster(ctx, req, "ds2", f.tr.Barcodes[1][5], query.MemberOptions{})
	if err != nil {
		t.Fatalf("cluster of a surviving cell: %v", err)
	}
	if !cm.Stale || cm.Size != len(cm.Members) || cm.Size == 0 {
		t.Errorf("cluster of a surviving cell: stale %v, size %d, %d members", cm.Stale, cm.Size, len(cm.Members))
	}
	for _, m := range cm.Members {
		if m.Dataset != "ds2" || m.Barcode == "" {
			t.Errorf("member %+v: want a ds2 cell with its barcode", m)
		}
	}
	for _, c := range sum.Clusters {
		byID, err := f.e.ClusterMembers(ctx, req, c.ID, query.MemberOptions{})
		if err != nil || byID.Size != c.Size || !byID.Stale {
			t.Errorf("cluster %d: %+v %v", c.ID, byID, err)
		}
		mk, err := f.e.ClusterMarkers(ctx, req, c.ID, 5)
		if err != nil || mk.Cells != c.Size || len(mk.Genes) != 5 {
			t.Errorf("markers of cluster %d: %+v %v", c.ID, mk, err)
		}
	}
	if _, err := f.e.CellCluster(ctx, req, "ds1", f.tr.Barcodes[0][5], query.MemberOptions{}); !errors.Is(err, query.ErrNotFound) {
		t.Errorf("cluster of a dropped cell: %v", err)
	}
}
