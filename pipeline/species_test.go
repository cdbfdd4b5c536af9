package pipeline

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"genestore/train/sim"
)

func TestRetrievalCountsOwnVectorAmongK(t *testing.T) {
	// Dataset 0: a, b, c; dataset 1: a, b, c, d. a's own vector is its
	// nearest, b's is second behind d, c has the opposite direction.
	st := &stackedGenes{dim: 2,
		genes:    []string{"a", "b", "c", "a", "b", "c", "d"},
		datasets: []int{0, 0, 0, 1, 1, 1, 1},
		vecs:     []float32{1, 0, 0, 1, 1, 0, 1, 0, 0.6, 0.8, -1, 0, 0, 1}}
	for _, tc := range []struct {
		k    int
		want float64
	}{{1, 1.0 / 3}, {2, 2.0 / 3}, {4, 1}} {
		share, n, nTo := retrieval(st, tc.k, nil)
		if share != tc.want || n != 3 || nTo != 4 {
			t.Errorf("k %d: share %.3f of %d genes (%d candidates), want %.3f of 3 (4)", tc.k, share, n, nTo, tc.want)
		}
	}
	// With pairs, b's partner is d (its nearest), and a and c are not scored.
	if share, n, _ := retrieval(st, 1, map[string]string{"b": "d"}); share != 1 || n != 1 {
		t.Errorf("pairs: share %.3f of %d genes, want 1 of 1", share, n)
	}
}

func TestRetrieveOrthologsRefusesBadRequests(t *testing.T) {
	db, _ := simStore(t, smallSim(), 2)
	if _, err := RetrieveOrthologs(context.Background(), db, "D1", "D2", nil, 0, 1, nil); !errors.Is(err, ErrSpecies) {
		t.Errorf("k 0: %v", err)
	}
	if _, err := RetrieveOrthologs(context.Background(), db, "D1", "D2", nil, 10, 1, nil); err == nil {
		t.Error("no gene model: no error")
	}
}

// TestEvalTruthNamesSecondSpeciesGenes checks that `eval genes --truth`
// scores a second-species dataset: its truth file names the dataset's own
// genes, while a gene joined through the ortholog table carries the home
// symbol.
func TestEvalTruthNamesSecondSpeciesGenes(t *testing.T) {
	ctx := context.Background()
	cfg := multimodalSim()
	db, _ := multimodalStore(t, cfg)
	o := DefaultGeneOptions()
	o.Model.Epochs, o.Model.Dim, o.Model.Hidden, o.Model.Seed, o.HVG = 30, 8, 32, 1, 200
	if _, err := TrainGenes(ctx, db, o, nil, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := sim.WriteDir(ctx, cfg, dir, nil); err != nil {
		t.Fatal(err)
	}
	r, err := buildGeneReps(ctx, db, 1, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	truth, err := readTruth(filepath.Join(dir, "truth", "gene_modules.tsv"), r.names)
	if err != nil {
		t.Fatal(err)
	}
	for _, rep := range []geneRep{r.model, r.pca, r.pear} {
		d2 := rep.sets[1]
		if d2.dataset != "D2" || d2.own == nil || rep.sets[0].own != nil {
			t.Fatalf("%s: D2 rows carry no own symbols (own %v), or D1 rows do", rep.name, d2.own != nil)
		}
		ari, ok := moduleARI(ctx, d2, truth["D2"], 1)
		if !ok {
			t.Fatalf("%s: no module ARI for the second species", rep.name)
		}
		t.Logf("%s: D2 (second species) module ARI %.3f", rep.name, ari)
	}
	ev, err := EvalGenes(ctx, db, GeneEvalOptions{Truth: filepath.Join(dir, "truth", "gene_modules.tsv"), Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]Metrics{"model": ev.Model, "pca": ev.Baselines["pca"], "pearson": ev.Baselines["pearson"]} {
		mod, okM := m["ilisi_modality_rna+spatial"]
		sp, okS := m["ilisi_species_human+mouse"]
		if !okM || !okS || len(m) == 0 {
			t.Fatalf("%s: no per-pair iLISI in %v", name, m)
		}
		t.Logf("%s: iLISI rna+spatial %.3f, human+mouse %.3f, all %.3f", name, mod, sp, m["ilisi"])
	}
}
