package command

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainCellsRefusesNonPositiveSizes: --latent, --hidden, --batch-size,
// --lr and --hvg of 0 or below are errors before any training (the model
// took the defaults for 0, and every gene for --hvg ≤ 0, and replaced the
// stored model), as train genes refuses its own.
func TestTrainCellsRefusesNonPositiveSizes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	mustRun(t, "--store", db, "-q", "ingest", "--name", "pbmc_small", filepath.Join(repoRoot, "testdata", "sample", "pbmc_small"))
	before := fileDigest(t, db)
	for _, c := range [][]string{
		{"--latent", "0"}, {"--hidden", "0"}, {"--batch-size", "0"}, {"--lr", "0"}, {"--hvg", "0"}, {"--hvg", "-3"}, {"--latent", "-1"},
	} {
		args := append([]string{"--store", db, "-q", "train", "cells", "--epochs", "2"}, c...)
		_, err := run(t, args...)
		if err == nil || !strings.Contains(err.Error(), c[0]) {
			t.Errorf("train cells %s: err %v, want one naming %s", strings.Join(c, " "), err, c[0])
		}
	}
	if fileDigest(t, db) != before {
		t.Error("a refused train cells changed the store")
	}
}

// TestTrainGenesRefusesNegativeSpatialK: --spatial-k below 0 is an error;
// it turned the smoothing of spatial datasets off as 0 does, silently.
func TestTrainGenesRefusesNegativeSpatialK(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	mustRun(t, "--store", db, "-q", "ingest", "--name", "pbmc_small", filepath.Join(repoRoot, "testdata", "sample", "pbmc_small"))
	before := fileDigest(t, db)
	if _, err := run(t, "--store", db, "-q", "train", "genes", "--epochs", "2", "--spatial-k", "-1"); err == nil || !strings.Contains(err.Error(), "--spatial-k") {
		t.Errorf("train genes --spatial-k -1: %v, want an error naming --spatial-k", err)
	}
	if fileDigest(t, db) != before {
		t.Error("a refused train genes changed the store")
	}
}
