package sampledata

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
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

// TestHumanTFs: the shipped list is GO:0003700's 1,430 human genes, sorted
// and distinct, with known TFs in and non-TFs out.
func TestHumanTFs(t *testing.T) {
	tfs, err := HumanTFs()
	if err != nil {
		t.Fatal(err)
	}
	if len(tfs) != 1430 || !slices.IsSorted(tfs) || len(slices.Compact(slices.Clone(tfs))) != len(tfs) {
		t.Fatalf("%d symbols (sorted %v)", len(tfs), slices.IsSorted(tfs))
	}
	for _, s := range []string{"ETV5", "NKX2-1", "FOXA2", "SPI1", "PAX5"} {
		if !slices.Contains(tfs, s) {
			t.Errorf("%s missing", s)
		}
	}
	for _, s := range []string{"SFTPC", "CD3E", "symbol", ""} {
		if slices.Contains(tfs, s) {
			t.Errorf("%q listed", s)
		}
	}
}
