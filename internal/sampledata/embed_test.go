package sampledata

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestExtractMatchesFolder: the embedded copy is the folder's content.
func TestExtractMatchesFolder(t *testing.T) {
	dir := t.TempDir()
	if err := Extract(dir); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"pbmc_small/matrix.mtx.gz", "pbmc3k_sct283/obs.csv",
		"lung_treutlein2014_mouse/lung_treutlein2014_mouse.h5ad", "go/human_go_bp.demo.gmt", "README.md"} {
		got, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: extracted copy differs", p)
		}
	}
}
