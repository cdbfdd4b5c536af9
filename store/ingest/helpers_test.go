package ingest

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"genestore/internal/testutil/shareddata"
)

var long = flag.Bool("long", false, "run long tests")

// sharedData returns ../shared/data relative to the module root, or skips.
func sharedData(t testing.TB) string {
	return shareddata.Dir(t)
}

// repoRoot returns the module root.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// parseFloatRef is strconv.ParseFloat with parseFloat's treatment of
// out-of-range values (kept as ±Inf so the caller reports them).
func parseFloatRef(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange && math.IsInf(f, 0) {
		return f, nil
	}
	return f, err
}
