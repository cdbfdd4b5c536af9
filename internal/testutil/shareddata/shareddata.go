// Package shareddata finds the real sample data that sits beside a checkout
// (../shared/data, relative to the module root) for tests, and skips the
// test cleanly when it is absent, as it is in a user's fresh clone.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared data folder, or skips t when there is none.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found")
		}
		dir = parent
	}
	data := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(data, "pbmc_small")); err != nil {
		t.Skipf("shared sample data absent: %v", err)
	}
	return data
}
