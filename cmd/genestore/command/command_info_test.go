package command

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"genestore/store"
)

// TestPrintInfoZeroTrained: a model without a training date (the cells-genes
// blob has no model record) prints "-", not year 1.
func TestPrintInfoZeroTrained(t *testing.T) {
	info := &store.Info{Path: "s.db", Models: []store.ModelInfo{
		{Name: "cells", Bytes: 10, Version: "vae:1", Trained: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)},
		{Name: "cells-genes"},
	}}
	var b bytes.Buffer
	if err := printInfo(&b, info); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "0001-01-01") || !strings.Contains(out, "2026-01-02 03:04") {
		t.Fatalf("info printed\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == "cells-genes" && (len(f) != 4 || f[3] != "-") {
			t.Errorf("cells-genes row %q, want its trained column \"-\"", l)
		}
	}
}
