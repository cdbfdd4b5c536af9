package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"genestore/query"
	"genestore/query/querytest"
	"genestore/store"
)

// simStore writes a simulated store with planted gene modules and cell types
// (see package querytest) and returns its path.
func simStore(t *testing.T) (string, *querytest.Truth) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sim.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tr, err := querytest.Build(context.Background(), db, querytest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return path, tr
}

// module of a simulated gene symbol ("G%05d", module = index mod 8).
func module(t *testing.T, sym string) int {
	var i int
	if _, err := fmt.Sscanf(sym, "G%d", &i); err != nil {
		t.Fatalf("symbol %q", sym)
	}
	return i % querytest.DefaultConfig().Modules
}

func decode[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	return v
}

func TestNeighborsCommand(t *testing.T) {
	db, tr := simStore(t)
	genes := decode[query.GeneNeighbors](t, mustRun(t, "--store", db, "neighbors", "--gene", "g00002", "-k", "5", "--json"))
	if len(genes.Neighbors) != 5 || genes.Gene.Symbol != "G00002" || genes.ModelVersion != querytest.GeneModel {
		t.Fatalf("answer %+v", genes)
	}
	for _, h := range genes.Neighbors {
		if module(t, h.Symbol) != 2 || h.Dataset != "consensus" {
			t.Errorf("neighbour %+v", h)
		}
	}
	alias := decode[query.GeneNeighbors](t, mustRun(t, "--store", db, "neighbors", "--gene", "OLDG00002", "--dataset", "ds1", "--json"))
	if !alias.Gene.Alias || alias.From != "ds1" || alias.Neighbors[0].Dataset != "ds1" {
		t.Errorf("alias/dataset answer %+v", alias)
	}
	bc := tr.Barcodes[0][4]
	cells := decode[query.CellNeighbors](t, mustRun(t, "--store", db, "neighbors", "--cell", bc, "--dataset", "ds1", "--json"))
	if len(cells.Neighbors) != 10 || cells.Cell.Barcode != bc {
		t.Fatalf("cells %+v", cells)
	}
	gc := decode[query.GeneCells](t, mustRun(t, "--store", db, "neighbors", "--gene", "G00003", "--cells", "-k", "4", "--json"))
	if len(gc.Cells) != 4 {
		t.Errorf("gene cells %+v", gc)
	}
	table := mustRun(t, "--store", db, "neighbors", "--gene", "G00002", "-k", "3")
	if !strings.Contains(table, "RANK") || strings.Count(table, "\n") != 5 {
		t.Errorf("table:\n%s", table)
	}
	table = mustRun(t, "--store", db, "neighbors", "--cell", bc, "--dataset", "ds1", "-k", "3")
	if !strings.Contains(table, "BARCODE") {
		t.Errorf("table:\n%s", table)
	}
	for _, bad := range [][]string{
		{"neighbors", "--gene", "G1", "--cell", "x"},
		{"neighbors"},
		{"neighbors", "--cell", "x"},
		{"neighbors", "--gene", "NOPE"},
		{"neighbors", "--gene", "G00001", "-k", "-1"},
	} {
		if _, err := run(t, append([]string{"--store", db}, bad...)...); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestCoexprCommand(t *testing.T) {
	db, _ := simStore(t)
	a := decode[query.Coexpr](t, mustRun(t, "--store", db, "coexpr", "--gene", "G00001", "--json"))
	if len(a.Partners) == 0 || a.Partners[0].Symbol != "G00000" || a.Partners[0].Sign != "-" || a.Partners[0].Conserved != 2 {
		t.Errorf("partners %+v", a.Partners)
	}
	table := mustRun(t, "--store", db, "coexpr", "--gene", "G00001", "--dataset", "ds2")
	if !strings.Contains(table, "ds2:-0.400") {
		t.Errorf("table:\n%s", table)
	}
}

// TestQueryVerbsOnDemoStore runs the query verbs on the demo store built from
// the real sample data (testdata/sample, briefly trained), checking what the
// data itself guarantees: CD79A's strongest co-expression partners in the two
// PBMC datasets include MS4A1 or CD79B (B-cell genes), and every answer names
// its datasets and model version.
func TestQueryVerbsOnDemoStore(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the demo models")
	}
	db := filepath.Join(t.TempDir(), "demo.db")
	mustRun(t, "-q", "demo", "--quick", "--data", filepath.Join(repoRoot, "testdata", "sample"), "--out", db)
	co := decode[query.Coexpr](t, mustRun(t, "--store", db, "coexpr", "--gene", "cd79a", "-k", "5", "--json"))
	bcell := false
	for _, p := range co.Partners {
		bcell = bcell || p.Symbol == "MS4A1" || p.Symbol == "CD79B"
	}
	if !bcell || co.Partners[0].Conserved < 2 {
		t.Errorf("CD79A partners: %+v", co.Partners)
	}
	nb := decode[query.GeneNeighbors](t, mustRun(t, "--store", db, "neighbors", "--gene", "CD79A", "--json"))
	if len(nb.Neighbors) != 10 || nb.ModelVersion == "" || nb.From != "consensus" {
		t.Errorf("neighbors %+v", nb)
	}
	cells := decode[query.CellNeighbors](t, mustRun(t, "--store", db, "neighbors", "--cell", "ATGCCAGAACGACT", "--dataset", "pbmc_small", "--json"))
	if len(cells.Neighbors) != 10 || cells.ModelVersion == "" {
		t.Errorf("cell neighbors %+v", cells)
	}
	gmt := filepath.Join(repoRoot, "testdata", "sample", "go", "human_go_bp.demo.gmt")
	mustRun(t, "--store", db, "annotations", "load", "--gmt", gmt, "--name", "go_demo")
	cl := decode[query.ClusterMembers](t, mustRun(t, "--store", db, "clusters", "--space", "genes", "--gene", "CD79A", "--enrich", "go_demo", "--json"))
	if cl.Size == 0 || cl.Provenance.ModelVersion != nb.ModelVersion {
		t.Errorf("gene cluster %+v", cl)
	}
	mustRun(t, "--store", db, "clusters", "--space", "cells")
	mk := decode[query.TopGenes](t, mustRun(t, "--store", db, "markers", "--cluster", "0", "--json"))
	if len(mk.Genes) != 10 || mk.Cells == 0 {
		t.Errorf("markers %+v", mk)
	}
	ac := decode[query.CellAnnotations](t, mustRun(t, "--store", db, "annotate", "cells", "--reference", "pbmc_small",
		"--label", "RNA_snn_res.1", "--query", "pbmc3k_sct283", "--json"))
	if ac.Cells != 283 || !ac.Written {
		t.Errorf("label transfer %+v", ac)
	}
}

// TestZeroCountsRefused: -k 0, --resolution 0 and the like are out of range,
// as over HTTP, not requests for the default (issue 16 §4).
func TestZeroCountsRefused(t *testing.T) {
	db, _ := simStore(t)
	for _, args := range [][]string{
		{"neighbors", "--gene", "G00002", "-k", "0"},
		{"neighbors", "--cell", "x", "--dataset", "ds1", "-k", "0"},
		{"coexpr", "--gene", "G00002", "-k", "0"},
		{"clusters", "--space", "genes", "--resolution", "0"},
		{"clusters", "--space", "genes", "--k", "0"},
		{"markers", "--cluster", "0", "-k", "0"},
		{"markers", "--cluster", "0", "--resolution", "0"},
		{"annotate", "genes", "--collection", "modules", "-k", "0"},
		{"annotate", "genes", "--collection", "modules", "--top", "0"},
		{"annotate", "cells", "--reference", "ds1", "--label", "cell_type", "--query", "ds2", "-k", "0"},
	} {
		_, err := run(t, append([]string{"--store", db}, args...)...)
		if !errors.Is(err, query.ErrInvalid) || !strings.Contains(err.Error(), " 0 is out of range") {
			t.Errorf("%v: %v", args, err)
		}
	}
}

func TestNeighborsWhere(t *testing.T) {
	db, tr := simStore(t)
	bc := tr.Barcodes[0][4]
	cells := decode[query.CellNeighbors](t, mustRun(t, "--store", db, "neighbors", "--cell", bc, "--dataset", "ds1",
		"--where", "cell_type=T2", "--where", "cell_type=T5", "--where", "bucket=b03", "-k", "5", "--json"))
	if len(cells.Neighbors) == 0 { // 6 cells per 600 are in b03, about 1 in 4 of them of type 2 or 5
		t.Fatalf("cells %+v", cells)
	}
	for _, h := range cells.Neighbors {
		d := map[string]int{"ds1": 0, "ds2": 1}[h.Dataset]
		if ty := tr.Types[d][h.Cell]; (ty != 2 && ty != 5) || h.Cell%100 != 3 {
			t.Errorf("neighbour %s/%d of type %d passes cell_type=T2|T5, bucket=b03", h.Dataset, h.Cell, ty)
		}
	}
	gc := decode[query.GeneCells](t, mustRun(t, "--store", db, "neighbors", "--gene", "G00003", "--cells", "--where", "bucket=b11", "-k", "3", "--json"))
	for _, c := range gc.Cells {
		if c.Cell%100 != 11 {
			t.Errorf("gene cells with bucket=b11: %+v", c)
		}
	}
	if _, err := run(t, "--store", db, "neighbors", "--cell", bc, "--dataset", "ds1", "--where", "tissue=lung"); !errors.Is(err, query.ErrInvalid) ||
		!strings.Contains(err.Error(), `obs column "tissue"`) {
		t.Errorf("unknown column: %v", err)
	}
	if _, err := run(t, "--store", db, "neighbors", "--cell", bc, "--dataset", "ds1", "--where", "cell_type=B"); !errors.Is(err, query.ErrInvalid) ||
		!strings.Contains(err.Error(), `cell_type has no value "B"`) {
		t.Errorf("unknown value: %v", err)
	}
	if _, err := run(t, "--store", db, "neighbors", "--gene", "G00003", "--where", "cell_type=T1"); !errors.Is(err, query.ErrInvalid) {
		t.Errorf("--where on gene neighbours: %v", err)
	}
	// the same syntax lists cells
	list := mustRun(t, "--store", db, "cells", "--dataset", "ds2", "--where", "bucket=b03", "--where", "cell_type=T2", "--json")
	var cl struct{ Cells []struct{ Row int } }
	if err := json.Unmarshal([]byte(list), &cl); err != nil {
		t.Fatal(err)
	}
	for _, c := range cl.Cells {
		if c.Row%100 != 3 || tr.Types[1][c.Row] != 2 {
			t.Errorf("cells --where listed row %d", c.Row)
		}
	}
	// and refuses a value the column never takes, as neighbors does, rather than list no cell
	if _, err := run(t, "--store", db, "cells", "--dataset", "ds1", "--where", "cell_type=B"); !errors.Is(err, query.ErrInvalid) ||
		!strings.Contains(err.Error(), `cell_type has no value "B" in dataset "ds1"`) {
		t.Errorf("cells --where with an unknown value: %v", err)
	}
}
