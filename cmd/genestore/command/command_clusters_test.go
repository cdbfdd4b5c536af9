package command

import (
	"fmt"
	"strings"
	"testing"

	"genestore/query"
	"genestore/query/querytest"
)

func TestClustersAndMarkersCommands(t *testing.T) {
	db, tr := simStore(t)
	if _, err := run(t, "--store", db, "markers", "--cluster", "0"); err == nil {
		t.Errorf("markers before clustering: no error")
	}
	s := decode[query.ClusterSummary](t, mustRun(t, "--store", db, "clusters", "--space", "genes", "--json"))
	if !s.Computed || s.Name != "leiden_r1.0" || len(s.Clusters) != querytest.DefaultConfig().Modules {
		t.Errorf("gene clustering %+v", s)
	}
	s = decode[query.ClusterSummary](t, mustRun(t, "--store", db, "clusters", "--space", "genes", "--json"))
	if s.Computed {
		t.Errorf("second call recomputed")
	}
	m := decode[query.ClusterMembers](t, mustRun(t, "--store", db, "clusters", "--space", "genes", "--gene", "G00005", "--enrich", "modules", "--json"))
	if len(m.Enrichment) == 0 || m.Enrichment[0].SetID != "MOD:5" {
		t.Errorf("enrichment %+v", m.Enrichment)
	}
	table := mustRun(t, "--store", db, "clusters", "--space", "genes", "--cluster", fmt.Sprint(m.Cluster), "--enrich", "modules")
	if !strings.Contains(table, "MOD:5") || !strings.Contains(table, "G00005") {
		t.Errorf("table:\n%s", table)
	}
	bc := tr.Barcodes[1][9]
	cm := decode[query.ClusterMembers](t, mustRun(t, "--store", db, "clusters", "--space", "cells", "--resolution", "0.8", "--cell", bc, "--dataset", "ds2", "--max", "5", "--json"))
	if cm.Clustering != "leiden_r0.8" || len(cm.Members) != 5 || !cm.Truncated {
		t.Errorf("cell cluster %+v", cm)
	}
	mk := decode[query.TopGenes](t, mustRun(t, "--store", db, "markers", "--cluster", fmt.Sprint(cm.Cluster), "--resolution", "0.8", "-k", "4", "--json"))
	if len(mk.Genes) != 4 {
		t.Errorf("cluster markers: %d genes, want 4", len(mk.Genes))
	}
	for _, g := range mk.Genes {
		if module(t, g.Symbol) != tr.Types[1][9] {
			t.Errorf("marker %s for the cluster of a type-%d cell", g.Symbol, tr.Types[1][9])
		}
	}
	one := decode[query.TopGenes](t, mustRun(t, "--store", db, "markers", "--cell", bc, "--dataset", "ds2", "--json"))
	if one.Cell == nil || len(one.Genes) != 10 {
		t.Errorf("cell markers %+v", one)
	}
	if _, err := run(t, "--store", db, "clusters", "--space", "proteins"); err == nil {
		t.Errorf("bad space accepted")
	}
	if _, err := run(t, "--store", db, "clusters", "--space", "cells", "--gene", "G00001"); err == nil {
		t.Errorf("--gene with cells accepted")
	}
}
