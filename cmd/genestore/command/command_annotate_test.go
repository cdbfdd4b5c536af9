package command

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genestore/pipeline"
	"genestore/query"
	"genestore/store/ingest"
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

// TestAnnotateCellsFillMissing appends a dataset lacking half the genes
// (zero-filled by the append) and transfers labels to it with
// --fill-missing: predict (the default once "train expr" has run) embeds
// it again with the missing genes predicted, zero with zeros.
func TestAnnotateCellsFillMissing(t *testing.T) {
	dir := t.TempDir()
	simDir := filepath.Join(dir, "sim")
	db := filepath.Join(dir, "f.db")
	mustRun(t, "simulate", "--out", simDir, "--datasets", "3", "--cells", "300", "--genes", "200", "--modules", "6", "--cell-types", "4", "--seed", "2")
	for _, d := range []string{"D1", "D2"} {
		mustRun(t, "--store", db, "-q", "ingest", "--name", d, filepath.Join(simDir, d))
	}
	mustRun(t, "--store", db, "train", "cells", "--epochs", "20", "--seed", "1")
	out := mustRun(t, "--store", db, "train", "expr", "--landmarks", "auto", "--auto-landmarks", "40", "--targets", "cells", "--hidden", "32", "--epochs", "30")
	// the cell model's genes (at most the 200 simulated) less the landmarks among them
	var targets int
	if _, after, ok := strings.Cut(out, "→ "); !ok {
		t.Errorf("train expr --targets cells printed %q", out)
	} else if _, err := fmt.Sscanf(after, "%d targets", &targets); err != nil || targets < 100 || targets > 200-1 {
		t.Errorf("train expr --targets cells: %d targets (%v) in %q", targets, err, out)
	}
	// D3 without every other gene, as a genes × cells CSV.
	ds, err := ingest.Read(context.Background(), filepath.Join(simDir, "D3"), ingest.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var keep []int
	for j := 0; j < len(ds.Genes); j += 2 {
		keep = append(keep, j)
	}
	x := ds.X.SelectCols(keep)
	var b strings.Builder
	b.WriteString("gene," + strings.Join(ds.Barcodes, ",") + "\n")
	dense := make([][]float32, len(keep))
	for j := range dense {
		dense[j] = make([]float32, x.Rows)
	}
	for r := range x.Rows {
		idx, val := x.Row(r)
		for k, c := range idx {
			dense[c][r] = val[k]
		}
	}
	for j, c := range keep {
		b.WriteString(ds.Genes[c].Symbol)
		for _, v := range dense[j] {
			fmt.Fprintf(&b, ",%g", v)
		}
		b.WriteString("\n")
	}
	half := filepath.Join(dir, "D3half.csv")
	if err := os.WriteFile(half, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--store", db, "append", "--name", "D3", "--fill-missing", "zero", half)
	truth := ds.Column("cell_type").Values
	for _, c := range []struct {
		flag, mode string
	}{{"", "predict"}, {"predict", "predict"}, {"zero", "zero"}} {
		args := []string{"--store", db, "annotate", "cells", "--reference", "D1,D2", "--label", "cell_type", "--query", "D3",
			"--dry-run", "--json", "--rows"}
		if c.flag != "" {
			args = append(args, "--fill-missing", c.flag)
		}
		var got struct {
			Cells int `json:"cells"`
			Fill  *struct {
				Mode      string `json:"mode"`
				Missing   int    `json:"missing"`
				Predicted int    `json:"predicted"`
			} `json:"fill"`
			Rows []struct {
				Top string `json:"top"`
			} `json:"rows"`
		}
		out = mustRun(t, args...)
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %v\n%s", c, err, out)
		}
		if got.Fill == nil || got.Fill.Mode != c.mode || got.Fill.Missing == 0 || (got.Fill.Predicted > 0) != (c.mode == "predict") {
			t.Fatalf("--fill-missing %q: fill %+v", c.flag, got.Fill)
		}
		right := 0
		for i, r := range got.Rows {
			if r.Top == truth[i] {
				right++
			}
		}
		t.Logf("--fill-missing %q: %d of the cell model's genes missing, %d predicted; %d of %d cells labelled right",
			c.flag, got.Fill.Missing, got.Fill.Predicted, right, len(got.Rows))
	}
	out = mustRun(t, "--store", db, "annotate", "cells", "--reference", "D1", "--label", "cell_type", "--query", "D3", "--dry-run")
	if !strings.Contains(out, "query embedded again: ") {
		t.Errorf("annotate cells printed %q", out)
	}
	if _, err := run(t, "--store", db, "annotate", "cells", "--reference", "D1", "--label", "cell_type", "--query", "D3", "--fill-missing", "mean"); err == nil || !strings.Contains(err.Error(), "want predict or zero") {
		t.Errorf("--fill-missing mean: %v", err)
	}
}
