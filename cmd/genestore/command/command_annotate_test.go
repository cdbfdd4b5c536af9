package command

import (
	"path/filepath"
	"strings"
	"testing"

	"genestore/pipeline"
	"genestore/query"
)

func TestAnnotateCommands(t *testing.T) {
	db, _ := simStore(t)
	g := decode[query.GeneAnnotations](t, mustRun(t, "--store", db, "annotate", "genes", "--collection", "modules", "--gene", "G00003", "--gene", "g00004", "--top", "1", "--json"))
	if len(g.Genes) != 2 || !g.Written || g.Genes[0].Terms[0].Term != "MOD:3" || g.Genes[1].Terms[0].Term != "MOD:4" {
		t.Errorf("gene annotations %+v", g)
	}
	c := decode[query.CellAnnotations](t, mustRun(t, "--store", db, "annotate", "cells", "--reference", "ds1", "--label", "cell_type", "--query", "ds2", "--json"))
	if c.Cells != 300 || !c.Written || c.Name != "ds2:cell_type" || len(c.Labels) != 8 || c.Unassigned > 15 {
		t.Errorf("cell annotations %+v", c)
	}
	table := mustRun(t, "--store", db, "annotate", "cells", "--reference", "ds1", "--label", "cell_type", "--query", "ds2", "--dry-run")
	if !strings.Contains(table, "LABEL") || strings.Contains(table, "stored") {
		t.Errorf("dry run:\n%s", table)
	}
	if _, err := run(t, "--store", db, "annotate", "cells", "--reference", "ds1", "--label", "nope", "--query", "ds2"); err == nil {
		t.Errorf("unknown label column accepted")
	}
}

func TestAnnotationsLoadCommand(t *testing.T) {
	db, _ := simStore(t)
	gmt := filepath.Join(repoRoot, "testdata", "sample", "go", "human_go_bp.demo.gmt")
	rep := decode[pipeline.AnnotationReport](t, mustRun(t, "--store", db, "annotations", "load", "--gmt", gmt, "--name", "go_bp", "--json"))
	if rep.Kind != "collection" || rep.Sets == 0 || rep.Genes == 0 {
		t.Errorf("gmt report %+v", rep)
	}
	al := filepath.Join(repoRoot, "testdata", "sample", "go", "human_gene_aliases.demo.tsv")
	rep = decode[pipeline.AnnotationReport](t, mustRun(t, "--store", db, "annotations", "load", "--aliases", al, "--json"))
	if rep.Kind != "aliases" || rep.Genes < 10 {
		t.Errorf("aliases report %+v", rep)
	}
	list := decode[[]pipeline.CollectionInfo](t, mustRun(t, "--store", db, "annotations", "list", "--json"))
	names := map[string]bool{}
	for _, c := range list {
		names[c.Name] = true
	}
	if !names["go_bp"] || !names["modules"] {
		t.Errorf("collections %+v", list)
	}
	for _, bad := range [][]string{
		{"annotations", "load", "--gmt", gmt},
		{"annotations", "load", "--aliases", al, "--name", "x"},
		{"annotations", "load", "--gmt", "/nonexistent.gmt", "--name", "x"},
		{"annotations", "load", "--gmt", al, "--name", "x"},
	} {
		if _, err := run(t, append([]string{"--store", db}, bad...)...); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
