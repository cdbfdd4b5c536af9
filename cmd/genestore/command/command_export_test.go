package command

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportCommand: h5ad needs --out, an existing --out is refused (and
// kept) without --force, --with-counts goes with cells only.
func TestExportCommand(t *testing.T) {
	db, _ := simStore(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "cells.h5ad")
	if _, err := run(t, "--store", db, "export", "--space", "cells", "--format", "h5ad"); err == nil || !strings.Contains(err.Error(), "--out") {
		t.Errorf("h5ad to stdout: %v, want an error asking for --out", err)
	}
	mustRun(t, "--store", db, "export", "--space", "cells", "--format", "h5ad", "--with-counts", "--out", out)
	first, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(first, []byte("\x89HDF")) {
		t.Fatalf("no HDF5 file written: %v", err)
	}
	_, err = run(t, "--store", db, "export", "--space", "cells", "--format", "h5ad", "--out", out)
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("overwrite without --force: %v, want an error naming --force", err)
	}
	if again, _ := os.ReadFile(out); !bytes.Equal(again, first) {
		t.Fatal("a refused export changed the file")
	}
	mustRun(t, "--store", db, "export", "--space", "cells", "--format", "h5ad", "--out", out, "--force")
	if again, _ := os.ReadFile(out); bytes.Equal(again, first) {
		t.Fatal("--force did not replace the file (vectors only, no counts)")
	}
	if _, err := run(t, "--store", db, "export", "--space", "genes", "--format", "h5ad", "--with-counts", "--out", filepath.Join(dir, "g.h5ad")); err == nil {
		t.Error("--with-counts accepted for genes")
	}
	tsv := filepath.Join(dir, "genes.tsv")
	mustRun(t, "--store", db, "export", "--space", "genes", "--out", tsv)
	if b, _ := os.ReadFile(tsv); !strings.HasPrefix(string(b), "gene\tdataset\tdim0") {
		t.Errorf("TSV file starts %q", b[:min(len(b), 40)])
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("files left: %v", entries)
	}
}
