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

	"genestore/layout"
	"genestore/layout/spacelayout"
	"genestore/store"
	"genestore/vocab"
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
	// clusters and modules come from stored clusterings
	mustRun(t, "--store", db, "clusters", "--space", "genes")
	mustRun(t, "--store", db, "clusters", "--space", "cells")
	for _, c := range [][]string{{"genes", "module"}, {"cells", "cluster"}} {
		out := filepath.Join(dir, c[1]+".svg")
		mustRun(t, "--store", db, "plot", "umap", "--space", c[0], "--color", c[1], "--out", out)
		if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), "cluster 0 (") {
			t.Errorf("%s coloured by %s: no \"cluster 0\" legend entry (%v)", c[0], c[1], err)
		}
	}
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

// TestAppendPlacesCellsOnMap: an append places its cells on the stored cell
// map (UMAP transform) without moving the fitted ones, and the map stays
// current.
func TestAppendPlacesCellsOnMap(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	sample := filepath.Join(repoRoot, "testdata", "sample")
	mustRun(t, "--store", db, "ingest", "--name", "pbmc_small", filepath.Join(sample, "pbmc_small"))
	mustRun(t, "--store", db, "train", "cells", "--epochs", "10", "--seed", "1")
	mustRun(t, "--store", db, "layout", "--space", "cells", "--epochs", "50")
	load := func() (*layout.Layout, uint64) {
		s, err := openStore(&globalOptions{store: db}, true)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var l *layout.Layout
		var gen uint64
		err = s.View(func(tx *store.Tx) (err error) {
			if l, err = spacelayout.Load(tx, vocab.SpaceCells); err != nil {
				return err
			}
			gen, err = tx.Generation(vocab.SpaceCells)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return l, gen
	}
	before, _ := load()
	mustRun(t, "--store", db, "append", "--name", "pbmc3k", filepath.Join(sample, "pbmc3k_sct283"))
	after, gen := load()
	if len(after.Keys) != 80+283 || after.Fitted != 80 || after.Generation != gen {
		t.Fatalf("after append: %d points, %d fitted, generation %d (space at %d)", len(after.Keys), after.Fitted, after.Generation, gen)
	}
	for i, k := range before.Keys {
		j := after.Index(k)
		if j < 0 || after.Coords[2*j] != before.Coords[2*i] || after.Coords[2*j+1] != before.Coords[2*i+1] {
			t.Fatalf("fitted point %x moved or vanished", k)
		}
	}
	svg := filepath.Join(dir, "m.svg")
	mustRun(t, "--store", db, "plot", "umap", "--color", "dataset", "--out", svg)
	b, _ := os.ReadFile(svg)
	if strings.Contains(string(b), "stale") || !strings.Contains(string(b), "pbmc3k (283)") {
		t.Error("map after append is stale or lacks the appended cells")
	}
}
