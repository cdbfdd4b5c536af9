package command

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genestore/store"
)

// TestReservedDatasetNames: ingest and append refuse "consensus" in any
// case, "*" and empty or whitespace-only names before reading anything, with
// an error naming the rule, and leave no store behind (issue 16 §4).
func TestReservedDatasetNames(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	data := filepath.Join(repoRoot, "testdata", "sample", "pbmc_small")
	for _, verb := range []string{"ingest", "append"} {
		for _, tc := range []struct{ name, text string }{
			{"consensus", `"consensus" is reserved`},
			{"Consensus", `"Consensus" is reserved`},
			{"*", `"*" is reserved`},
			{"   ", "only whitespace"},
			{"", "empty dataset name"},
		} {
			_, err := run(t, "--store", db, verb, "--name", tc.name, data)
			if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), tc.text) || !strings.HasPrefix(err.Error(), verb+": ") {
				t.Errorf("%s --name %q: %v", verb, tc.name, err)
			}
		}
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused name created the store: %v", err)
	}
}
