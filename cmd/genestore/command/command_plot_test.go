package command

import (
	"encoding/json"
	"encoding/xml"
	"image"
	_ "image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLayoutAndPlots builds the quick demo store, lays out both spaces and
// draws every picture: PNGs decode, SVGs parse, legends name the datasets.
func TestLayoutAndPlots(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	t.Chdir(dir)
	mustRun(t, "demo", "--quick", "--out", db)
	var s layoutSummary
	out := mustRun(t, "--store", db, "layout", "--space", "cells", "--seed", "3", "--json")
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("layout --json: %v\n%s", err, out)
	}
	if s.Points == 0 || s.Fitted != s.Points || s.ModelVersion == "" || s.Params.Seed != 3 {
		t.Fatalf("layout summary %+v", s)
	}
	mustRun(t, "--store", db, "layout", "--space", "genes", "--epochs", "50")
	png := filepath.Join(dir, "cells.png")
	mustRun(t, "--store", db, "plot", "umap", "--space", "cells", "--color", "dataset", "--out", png)
	f, err := os.Open(png)
	if err != nil {
		t.Fatal(err)
	}
	if _, kind, err := image.Decode(f); err != nil || kind != "png" {
		t.Fatalf("%s: %v %s", png, err, kind)
	}
	f.Close()
	svg := filepath.Join(dir, "cells.svg")
	mustRun(t, "--store", db, "plot", "umap", "--space", "cells", "--color", "gene:CD79A", "--out", svg)
	mustRun(t, "--store", db, "plot", "umap", "--space", "cells", "--color", "dataset", "--out", svg)
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(b, new(struct{})); err != nil {
		t.Fatalf("SVG does not parse: %v", err)
	}
	for _, w := range []string{"pbmc3k_sct283 (", "pbmc_small (", "model vae:"} {
		if !strings.Contains(string(b), w) {
			t.Errorf("cells SVG lacks %q", w)
		}
	}
	mustRun(t, "--store", db, "plot", "umap", "--space", "genes", "--color", "dataset", "--out", filepath.Join(dir, "g.png"))
	mustRun(t, "--store", db, "plot", "qc", "--dataset", "pbmc3k_sct283", "--out", filepath.Join(dir, "qc.svg"))
	mustRun(t, "--store", db, "plot", "coexpr", "--gene", "CD79A", "--out", filepath.Join(dir, "co.svg"))
	for _, bad := range [][]string{
		{"plot", "umap", "--space", "cells", "--color", "no_such_column", "--out", filepath.Join(dir, "x.png")},
		{"plot", "umap", "--space", "cells", "--color", "gene:NOTAGENE", "--out", filepath.Join(dir, "x.png")},
		{"plot", "umap", "--space", "cells", "--color", "dataset", "--out", filepath.Join(dir, "x.jpg")},
	} {
		if _, err := run(t, append([]string{"--store", db}, bad...)...); err == nil {
			t.Errorf("%v succeeded", bad)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.png")); err == nil {
		t.Error("a failed plot left a file")
	}
}
