package command

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"genestore"
	"genestore/pipeline"
	"genestore/store"
)

// TestLifecycleVerbs drives info, drop, compact, backup, rename, genes and
// cells on the sample data with both models trained.
func TestLifecycleVerbs(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	sample := filepath.Join(repoRoot, "testdata", "sample")
	mustRun(t, "--store", db, "ingest", "--name", "pbmc_small", filepath.Join(sample, "pbmc_small"))
	mustRun(t, "--store", db, "ingest", "--name", "pbmc3k", filepath.Join(sample, "pbmc3k_sct283"))
	mustRun(t, "--store", db, "ingest", "--name", "lung",
		filepath.Join(sample, "lung_treutlein2014_mouse", "lung_treutlein2014_mouse.h5ad"))
	mustRun(t, "--store", db, "train", "genes", "--epochs", "20", "--seed", "1")
	mustRun(t, "--store", db, "train", "cells", "--epochs", "5", "--seed", "1", "--datasets", "pbmc_small,pbmc3k")

	info := decode[store.Info](t, mustRun(t, "--store", db, "info", "--json"))
	if info.Sum() != info.FileBytes || len(info.Datasets) != 3 || len(info.Models) < 2 {
		t.Fatalf("info: sum %d, file %d, %d datasets, %d models", info.Sum(), info.FileBytes, len(info.Datasets), len(info.Models))
	}
	if !strings.Contains(mustRun(t, "--store", db, "info"), "free") {
		t.Error("info text lacks the free pages")
	}

	// Not confirmed: nothing happens.
	cmd := NewRootCommand()
	cmd.SetIn(strings.NewReader("pbmc\n"))
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetArgs([]string{"--store", db, "drop", "--dataset", "lung"})
	if err := cmd.ExecuteContext(t.Context()); !errors.Is(err, errNotConfirmed) {
		t.Fatalf("unconfirmed drop: %v", err)
	}
	res := decode[pipeline.DropResult](t, mustRun(t, "--store", db, "drop", "--dataset", "lung", "--yes", "--json"))
	if res.Dataset.Name != "lung" || res.Removed.Vectors["genes"] == 0 {
		t.Fatalf("drop: %+v", res)
	}
	if _, err := run(t, "--store", db, "drop", "--dataset", "lung", "--yes"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second drop: %v", err)
	}

	c := decode[store.CompactResult](t, mustRun(t, "--store", db, "compact", "--json"))
	t.Logf("compact after dropping lung: %d → %d bytes", c.Before, c.After)
	if c.After >= c.Before {
		t.Errorf("compact: %+v", c)
	}

	out := filepath.Join(dir, "b.db")
	mustRun(t, "--store", db, "backup", "--out", out)
	if _, err := run(t, "--store", db, "backup", "--out", out); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("backup over an existing file: %v", err)
	}
	if got := mustRun(t, "--store", db, "backup", "--out", out, "--force", "--verify"); !strings.Contains(got, "verified: true") {
		t.Errorf("backup --verify: %s", got)
	}
	mustRun(t, "--store", out, "verify")
	if _, err := run(t, "--store", db, "compact", "--out", out); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("compact --out over an existing file: %v", err)
	}
	mustRun(t, "--store", db, "compact", "--out", out, "--force")
	mustRun(t, "--store", out, "verify")

	mustRun(t, "--store", db, "rename", "--dataset", "pbmc3k", "pbmc3k_sct283")
	if _, err := run(t, "--store", db, "rename", "--dataset", "pbmc_small", "consensus"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("rename to a reserved name: %v", err)
	}
	list := decode[[]store.DatasetInfo](t, mustRun(t, "--store", db, "datasets", "--json"))
	if len(list) != 2 || list[1].Name != "pbmc3k_sct283" {
		t.Fatalf("datasets after drop and rename: %+v", list)
	}

	genes := decode[genestore.GeneList](t, mustRun(t, "--store", db, "genes", "--dataset", "pbmc_small", "--json"))
	hvg := decode[genestore.GeneList](t, mustRun(t, "--store", db, "genes", "--dataset", "pbmc_small", "--hvg", "--json"))
	if len(genes.Genes) != 230 || len(hvg.Genes) == 0 || len(hvg.Genes) > len(genes.Genes) || !hvg.Genes[0].Embedded {
		t.Errorf("genes: %d, hvg %d", len(genes.Genes), len(hvg.Genes))
	}
	cells := decode[genestore.CellList](t, mustRun(t, "--store", db, "cells", "--dataset", "pbmc_small", "--where", "groups=g1", "--where", "groups=g2", "--json"))
	if cells.Total != 80 || len(cells.Cells) != 80 || !cells.Cells[0].Embedded {
		t.Errorf("cells g1 or g2: %d of %d", len(cells.Cells), cells.Total)
	}
	cells = decode[genestore.CellList](t, mustRun(t, "--store", db, "cells", "--dataset", "pbmc_small", "--where", "groups=g1", "--json"))
	for _, c := range cells.Cells {
		if c.Obs["groups"] != "g1" {
			t.Fatalf("cell %s of group %s listed", c.Barcode, c.Obs["groups"])
		}
	}
	if _, err := run(t, "--store", db, "cells", "--dataset", "pbmc_small", "--where", "nope=1"); !errors.Is(err, store.ErrUnknownColumn) {
		t.Errorf("unknown column: %v", err)
	}
	mustRun(t, "--store", db, "verify")
	if _, err := os.Stat(db + ".lock-owner"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock-owner file left behind: %v", err)
	}
}

// TestDropPromptHonoursCancel: Ctrl-C (the cancelled context) ends drop's
// confirmation prompt; it waited for a line on stdin however long, since
// main's signal.NotifyContext keeps SIGINT from killing the process.
func TestDropPromptHonoursCancel(t *testing.T) {
	stdin, w := io.Pipe() // a terminal nobody types in
	defer w.Close()
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	cmd := NewRootCommand()
	cmd.SetIn(stdin)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetArgs([]string{"--store", filepath.Join(t.TempDir(), "s.db"), "drop", "--dataset", "lung"})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled drop prompt: %v, want context.Canceled", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("drop kept waiting for confirmation after its context was cancelled")
	}
}
