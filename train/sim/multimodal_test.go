package sim

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func multimodalConfig() Config {
	c := smallConfig()
	c.Datasets, c.Spatial, c.OtherSpecies = 3, 1, 1
	return c
}

func TestSpatialAndSecondSpeciesStructure(t *testing.T) {
	cfg := multimodalConfig()
	s := mustGenerate(t, cfg)
	d1, d2, d3 := s.Datasets[0], s.Datasets[1], s.Datasets[2]
	if d1.Species != SpeciesHome || d1.Modality != ModalityRNA || d1.Coords != nil {
		t.Errorf("D1: %s %s coords %v, want the home species' rna", d1.Species, d1.Modality, d1.Coords != nil)
	}
	if d2.Species != SpeciesOther || d2.Modality != ModalityRNA {
		t.Errorf("D2: %s %s, want the second species' rna", d2.Species, d2.Modality)
	}
	if d3.Species != SpeciesHome || d3.Modality != ModalitySpat || len(d3.Coords) != cfg.Cells {
		t.Fatalf("D3: %s %s with %d coordinates, want home-species spots", d3.Species, d3.Modality, len(d3.Coords))
	}
	seen := map[[2]float64]bool{}
	for _, c := range d3.Coords {
		if seen[c] {
			t.Fatalf("spot position %v repeated", c)
		}
		seen[c] = true
	}
	// Second species: every gene renamed, the table one-to-one, about
	// OrthologLoss of the universe missing from it.
	pairs := map[string]string{}
	back := map[string]bool{}
	for _, p := range s.Truth.Orthologs {
		if _, dup := pairs[p[0]]; dup || back[p[1]] {
			t.Fatalf("ortholog pair %v is not one-to-one", p)
		}
		pairs[p[0]], back[p[1]] = p[1], true
	}
	lost := 1 - float64(len(pairs))/float64(cfg.Genes)
	if math.Abs(lost-cfg.OrthologLoss) > 0.04 {
		t.Errorf("%.3f of genes lack an ortholog, want about %.2f", lost, cfg.OrthologLoss)
	}
	for j, g := range d2.Genes {
		u := s.Truth.Genes[s.Truth.DatasetGenes["D2"][j]]
		if !strings.HasPrefix(g, "Sg") || strings.EqualFold(g, u) {
			t.Fatalf("D2 gene %d is %q (universe %s), want a second-species name", j, g, u)
		}
		if p, ok := pairs[u]; ok && p != g {
			t.Fatalf("D2 gene %s: table pairs %s with %s", g, u, p)
		}
	}
	// The spots' cell types form domains: a spot's grid neighbour usually
	// has its type.
	same, n := 0, 0
	w := int(math.Ceil(math.Sqrt(float64(cfg.Cells))))
	for i := range cfg.Cells - 1 {
		if (i+1)%w != 0 {
			n++
			if d3.CellTypes[i] == d3.CellTypes[i+1] {
				same++
			}
		}
	}
	if frac := float64(same) / float64(n); frac < 0.8 {
		t.Errorf("horizontal neighbours share their domain type %.2f of the time, want ≥ 0.8", frac)
	}
	t.Logf("spatial D3: %d domain types; neighbours share a type %.2f; %d ortholog pairs (%.3f one-to-none)",
		len(s.Truth.DatasetCellTypes["D3"]), float64(same)/float64(n), len(pairs), lost)
}

// TestSpatialModuleScoresAreSmooth checks that a module's summed
// expression is spatially autocorrelated (Moran's I over the 4-neighbour
// grid) far above background genes'.
func TestSpatialModuleScoresAreSmooth(t *testing.T) {
	cfg := multimodalConfig()
	s := mustGenerate(t, cfg)
	d := s.Datasets[2]
	x := logNormDense(d.X, nil)
	mods := s.Truth.DatasetModule["D3"]
	score := func(keep func(m int) bool) []float64 {
		out := make([]float64, len(x))
		for i, row := range x {
			for j, v := range row {
				if keep(mods[j]) {
					out[i] += v
				}
			}
		}
		return out
	}
	w := int(math.Ceil(math.Sqrt(float64(cfg.Cells))))
	moran := func(v []float64) float64 {
		mean := 0.0
		for _, a := range v {
			mean += a
		}
		mean /= float64(len(v))
		var num, den float64
		var pairs int
		for i := range v {
			den += (v[i] - mean) * (v[i] - mean)
			for _, j := range []int{i + 1, i + w} {
				if j < len(v) && (j != i+1 || j%w != 0) {
					num += (v[i] - mean) * (v[j] - mean)
					pairs++
				}
			}
		}
		return float64(len(v)) / float64(pairs) * num / den
	}
	var modI float64
	for m := range cfg.Modules {
		modI += moran(score(func(k int) bool { return k == m }))
	}
	modI /= float64(cfg.Modules)
	bgI := moran(score(func(k int) bool { return k < 0 }))
	t.Logf("Moran's I on the grid: module scores %.3f (mean of %d), background %.3f", modI, cfg.Modules, bgI)
	if modI < 0.3 || modI < bgI+0.2 {
		t.Errorf("module Moran's I %.3f, background %.3f: want modules smooth (≥ 0.3) and above background", modI, bgI)
	}
}

// TestOrthologTableWhenEveryGeneIsLost: with a second species the table is
// written and Truth.Orthologs is non-nil even when no gene kept an ortholog
// (it once vanished, as if there were no second species, and a stale
// orthologs.tsv from an earlier run was left in place).
func TestOrthologTableWhenEveryGeneIsLost(t *testing.T) {
	c := smallConfig()
	c.Datasets, c.OtherSpecies, c.Cells, c.Genes, c.Modules, c.CellTypes, c.ModuleGenes = 2, 1, 5, 2, 1, 1, 1
	c.OrthologLoss = 0.99
	s := mustGenerate(t, c)
	if s.Truth.Orthologs == nil || len(s.Truth.Orthologs) != 0 {
		t.Fatalf("Truth.Orthologs = %#v, want an empty, non-nil table (this seed loses both genes)", s.Truth.Orthologs)
	}
	dir := t.TempDir()
	if err := WriteDir(context.Background(), c, dir, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "truth", "orthologs.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != SpeciesHome+"\t"+SpeciesOther+"\n" {
		t.Errorf("orthologs.tsv = %q, want the header alone", b)
	}
}
