package ingest

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadCorpus reads every entry of testdata/bad/MANIFEST.tsv and checks
// that Read fails with the listed sentinel and text and names the file.
func TestBadCorpus(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "testdata", "bad")
	cases, err := LoadBadInputs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 40 {
		t.Fatalf("%d malformed inputs, want ≥ 40", len(cases))
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.Path), func(t *testing.T) {
			ds, err := Read(context.Background(), c.Path, c.Options)
			if err == nil {
				t.Fatalf("Read succeeded (%d×%d); want error containing %q", ds.X.Rows, ds.X.Cols, c.Expect)
			}
			msg := err.Error()
			if !errors.Is(err, c.Sentinel) {
				t.Errorf("error %q does not wrap %v", msg, c.Sentinel)
			}
			if !strings.Contains(msg, c.Expect) {
				t.Errorf("error %q does not contain %q", msg, c.Expect)
			}
			named := strings.Contains(msg, filepath.Base(c.Path))
			if c.Options.Obs != "" {
				named = named || strings.Contains(msg, filepath.Base(c.Options.Obs))
			}
			if !named {
				t.Errorf("error %q does not name %s", msg, filepath.Base(c.Path))
			}
			t.Log(msg)
		})
	}
}
