package command

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExprVerbs simulates two datasets, trains the expression model from a
// landmarks file (with unknown symbols), predicts one dataset, queries and
// exports a predicted gene, evaluates, and checks a refused predict leaves
// the store byte-identical.
func TestExprVerbs(t *testing.T) {
	dir := t.TempDir()
	sim := filepath.Join(dir, "sim")
	db := filepath.Join(dir, "e.db")
	mustRun(t, "simulate", "--out", sim, "--datasets", "2", "--cells", "300", "--genes", "200", "--modules", "6", "--cell-types", "4", "--seed", "2")
	for _, d := range []string{"D1", "D2"} {
		mustRun(t, "--store", db, "-q", "ingest", "--name", d, filepath.Join(sim, d))
	}
	lm := filepath.Join(dir, "landmarks.tsv")
	var lines []string
	lines = append(lines, "symbol")
	for i := 1; i <= 40; i++ {
		lines = append(lines, fmt.Sprintf("G%04d", i))
	}
	lines = append(lines, "NOTAGENE1", "NOTAGENE2")
	if err := os.WriteFile(lm, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "--store", db, "train", "expr", "--landmarks", lm, "--datasets", "D1", "--hidden", "32", "--epochs", "20", "--max-targets", "60")
	if !strings.Contains(out, "expression model expr:") || !strings.Contains(out, "landmarks (from the file; ") ||
		!strings.Contains(out, "not measured in every dataset, skipped) → 60 targets, 300 cells from D1") ||
		!strings.Contains(out, "validation MAE") || !strings.Contains(out, "ridge") {
		t.Fatalf("train expr printed %q", out)
	}
	out = mustRun(t, "--store", db, "predict", "--dataset", "D2", "--all")
	if !strings.Contains(out, `layer "predicted" of dataset "D2": 60 genes × 300 cells`) || !strings.Contains(out, "landmarks present") {
		t.Fatalf("predict printed %q", out)
	}
	// The first target of the layer, by symbol.
	var pj struct {
		Layer struct{ Genes []uint32 } `json:"layer"`
	}
	tsv := filepath.Join(dir, "pred.tsv")
	out = mustRun(t, "--store", db, "predict", "--dataset", "D2", "--json", "--out", tsv, "--format", "tsv")
	if err := json.Unmarshal([]byte(out), &pj); err != nil || len(pj.Layer.Genes) != 60 {
		t.Fatalf("predict --json: %v\n%s", err, out)
	}
	b, err := os.ReadFile(tsv)
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(string(b)), "\n")
	header := strings.Split(rows[0], "\t")
	if len(rows) != 301 || len(header) != 61 || header[0] != "barcode" {
		t.Fatalf("export: %d rows, header %v", len(rows), header[:min(3, len(header))])
	}
	gene := header[1]
	out = mustRun(t, "--store", db, "expr", "--gene", strings.ToLower(gene), "--dataset", "D2")
	if !strings.HasPrefix(out, gene+` in "D2" (layer predicted, model expr:`) || strings.Count(out, "\n") != 301 {
		t.Fatalf("expr printed %q…", out[:min(200, len(out))])
	}
	var pg struct {
		Gene   string    `json:"gene"`
		Values []float32 `json:"values"`
		Stale  bool      `json:"stale"`
	}
	out = mustRun(t, "--store", db, "expr", "--gene", gene, "--dataset", "D2", "--json")
	if err := json.Unmarshal([]byte(out), &pg); err != nil || pg.Gene != gene || len(pg.Values) != 300 || pg.Stale {
		t.Fatalf("expr --json: %v %+v", err, pg)
	}
	// --summary --json: the summary fields, no per-cell arrays.
	var sum map[string]any
	out = mustRun(t, "--store", db, "expr", "--gene", gene, "--dataset", "D2", "--summary", "--json")
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum["gene"] != gene || sum["cells"] != 300.0 || sum["mean"] == nil {
		t.Fatalf("expr --summary --json: %v %v", err, sum)
	}
	if _, ok := sum["values"]; ok {
		t.Errorf("expr --summary --json prints the values")
	}
	if _, ok := sum["barcodes"]; ok {
		t.Errorf("expr --summary --json prints the barcodes")
	}
	h5 := filepath.Join(dir, "pred.h5ad")
	mustRun(t, "--store", db, "predict", "--dataset", "D2", "--genes", gene, "--out", h5, "--format", "h5ad")
	// The exported AnnData reads back through genestore's own reader.
	db2 := filepath.Join(dir, "back.db")
	mustRun(t, "--store", db2, "-q", "ingest", "--name", "back", "--values", "log", h5)
	if out := mustRun(t, "--store", db2, "datasets", "--json"); !strings.Contains(out, `"cells": 300`) || !strings.Contains(out, `"genes": 1,`) {
		t.Fatalf("exported h5ad read back as %s", out)
	}
	out = mustRun(t, "--store", db, "eval", "expr", "--holdout", "0.2", "--json")
	var ev struct {
		HeldCells int `json:"held_cells"`
		Models    map[string]struct {
			MeanMAE float64 `json:"mean_mae"`
		} `json:"models"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil || ev.HeldCells != 60 || len(ev.Models) != 5 {
		t.Fatalf("eval expr --json: %v\n%.300s", err, out)
	}
	out = mustRun(t, "--store", db, "eval", "expr")
	if !strings.Contains(out, "MODEL") || !strings.Contains(out, "lstsq") {
		t.Fatalf("eval expr printed %q", out)
	}
	// A refused predict changes nothing.
	before := fileDigest(t, db)
	if _, err := run(t, "--store", db, "predict", "--dataset", "D2", "--genes", "G0001,NOPE"); err == nil || !strings.Contains(err.Error(), "does not predict G0001, NOPE") {
		t.Fatalf("predict of non-targets: %v", err)
	}
	if fileDigest(t, db) != before {
		t.Fatal("a refused predict changed the store")
	}
}

// TestPredictNeverNegative: predictions are log1p(CP10k), never below 0.
// On this store (100 auto landmarks, trained on two datasets, predicting
// the third) the models predicted down to -1.29 for G0009, and 1,314 of
// 51,000 values of the written layer were negative, before predictions
// were floored at 0.
func TestPredictNeverNegative(t *testing.T) {
	dir := t.TempDir()
	sim := filepath.Join(dir, "sim")
	db := filepath.Join(dir, "p.db")
	mustRun(t, "simulate", "--out", sim, "--datasets", "3", "--cells", "300", "--genes", "300", "--modules", "8", "--cell-types", "4", "--seed", "1")
	for _, d := range []string{"D1", "D2", "D3"} {
		mustRun(t, "--store", db, "-q", "ingest", "--name", d, filepath.Join(sim, d))
	}
	mustRun(t, "--store", db, "-q", "train", "expr", "--landmarks", "auto", "--auto-landmarks", "100", "--datasets", "D1,D2")
	out := filepath.Join(dir, "p.tsv")
	mustRun(t, "--store", db, "-q", "predict", "--dataset", "D3", "--out", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	values, negative := 0, 0
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		for _, s := range f[1:] {
			var v float64
			if _, err := fmt.Sscan(s, &v); err != nil {
				t.Fatalf("value %q: %v", s, err)
			}
			values++
			if v < 0 {
				negative++
			}
		}
	}
	if values < 10000 || negative > 0 {
		t.Errorf("%d of %d predicted values are negative", negative, values)
	}
}

// TestPredictOutNeedsForce: an existing --out is refused without --force
// before anything is predicted or stored (export, backup, compact and
// activity refuse it too; predict replaced it), and with --force replaced
// whole, in either format, leaving no temporary file beside it.
func TestPredictOutNeedsForce(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	mustRun(t, "--store", db, "-q", "ingest", "--name", "pbmc_small", filepath.Join(repoRoot, "testdata", "sample", "pbmc_small"))
	mustRun(t, "--store", db, "-q", "train", "expr", "--landmarks", "auto", "--auto-landmarks", "40", "--hidden", "16", "--epochs", "5")
	before := fileDigest(t, db)
	for _, format := range []string{"tsv", "h5ad"} {
		out := filepath.Join(dir, "pred."+format)
		if err := os.WriteFile(out, []byte("keep me"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := run(t, "--store", db, "-q", "predict", "--dataset", "pbmc_small", "--out", out, "--format", format); err == nil || !strings.Contains(err.Error(), "--force") {
			t.Errorf("predict --out over an existing %s file: %v, want a refusal naming --force", format, err)
		}
		if b, _ := os.ReadFile(out); string(b) != "keep me" {
			t.Errorf("a refused predict --out replaced the %s file", format)
		}
		if fileDigest(t, db) != before {
			t.Fatalf("a refused predict --out (%s) changed the store", format)
		}
		mustRun(t, "--store", db, "-q", "predict", "--dataset", "pbmc_small", "--out", out, "--format", format, "--force")
		if b, _ := os.ReadFile(out); string(b) == "keep me" || len(b) < 100 {
			t.Errorf("predict --out --force did not replace the %s file: %q", format, b[:min(len(b), 20)])
		}
		before = fileDigest(t, db)
	}
	if es, _ := os.ReadDir(dir); len(es) != 3 {
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		t.Errorf("files left in the folder: %v, want s.db, pred.tsv, pred.h5ad", names)
	}
}

// failWriter fails every write, as stdout on a full disk or a closed pipe.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestExprReportsWriteError: expr buffers its output and flushed it in a
// defer that dropped the error, so it exited 0 with nothing written.
func TestExprReportsWriteError(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	mustRun(t, "--store", db, "-q", "ingest", "--name", "pbmc_small", filepath.Join(repoRoot, "testdata", "sample", "pbmc_small"))
	mustRun(t, "--store", db, "-q", "train", "expr", "--landmarks", "auto", "--auto-landmarks", "40", "--hidden", "16", "--epochs", "5")
	mustRun(t, "--store", db, "-q", "predict", "--dataset", "pbmc_small", "--genes", "CD79B")
	for _, extra := range [][]string{nil, {"--json"}, {"--summary"}, {"--summary", "--json"}} {
		cmd := NewRootCommand()
		cmd.SetOut(failWriter{})
		cmd.SetErr(&bytes.Buffer{})
		cmd.SetArgs(append([]string{"--store", db, "expr", "--gene", "CD79B", "--dataset", "pbmc_small"}, extra...))
		if err := cmd.ExecuteContext(t.Context()); err == nil {
			t.Errorf("expr %v on a failing stdout: no error", extra)
		}
	}
}

// TestTrainExprRefusesZeroCounts: --auto-landmarks 0, --epochs 0 and
// --max-targets 0 used to mean the defaults (1000, 200, 10,000) and trained.
func TestTrainExprRefusesZeroCounts(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	for _, flag := range []string{"--auto-landmarks", "--epochs", "--max-targets"} {
		cmd := NewRootCommand()
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		cmd.SetArgs([]string{"--store", db, "-q", "train", "expr", flag, "0"})
		err := cmd.Execute()
		if err == nil || !strings.Contains(err.Error(), flag) {
			t.Errorf("%s 0: %v, want an error naming the flag", flag, err)
		}
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("the store was created: %v", err)
	}
}
