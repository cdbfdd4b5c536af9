package command

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"genestore/migrations"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/vocab"
)

// repoRoot is the module root, two levels above this package.
const repoRoot = "../../.."

// run executes one genestore command line and returns its stdout.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := NewRootCommand()
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(t.Context())
	return out.String(), err
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := run(t, args...)
	if err != nil {
		t.Fatalf("genestore %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func fileDigest(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestIngestSampleDataAndList(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	sample := filepath.Join(repoRoot, "testdata", "sample")
	mustRun(t, "--store", db, "ingest", "--name", "pbmc_small", filepath.Join(sample, "pbmc_small"))
	// pbmc3k_sct283's obs.csv has a barcode column and nothing else.
	mustRun(t, "--store", db, "ingest", "--name", "pbmc3k_sct283", filepath.Join(sample, "pbmc3k_sct283"))
	mustRun(t, "--store", db, "ingest", "--name", "lung",
		filepath.Join(sample, "lung_treutlein2014_mouse", "lung_treutlein2014_mouse.h5ad"))
	var list []store.DatasetInfo
	raw := mustRun(t, "--store", db, "datasets", "--json")
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		t.Fatal(err)
	}
	// A dataset without obs columns lists them as [], not null, here and in cells.
	if strings.Contains(raw, "null") {
		t.Errorf("datasets --json has a null:\n%s", raw)
	}
	if out := mustRun(t, "--store", db, "cells", "--dataset", "pbmc3k_sct283", "--json"); !strings.Contains(out, `"columns": []`) {
		t.Errorf("cells --json of a dataset without obs columns: %.200s", out)
	}
	want := []struct {
		name              string
		cells, genes      int
		nnz               int64
		values            vocab.ValueType
		obsColumnsAtLeast int
	}{
		{"pbmc_small", 80, 230, 4456, vocab.Counts, 7},
		{"pbmc3k_sct283", 283, 914, 82904, vocab.Counts, 0},
		{"lung", 185, 218, 18944, vocab.Normalized, 9},
	}
	if len(list) != len(want) {
		t.Fatalf("datasets: got %d, want %d", len(list), len(want))
	}
	for i, w := range want {
		d := list[i]
		if d.Name != w.name || d.Cells != w.cells || d.Genes != w.genes || d.NNZ != w.nnz || d.Values != w.values {
			t.Errorf("dataset %d = %s %d×%d nnz %d %s, want %s %d×%d nnz %d %s", i, d.Name, d.Cells, d.Genes, d.NNZ, d.Values,
				w.name, w.cells, w.genes, w.nnz, w.values)
		}
		if len(d.ObsColumns) < w.obsColumnsAtLeast {
			t.Errorf("%s: obs columns %v, want at least %d", d.Name, d.ObsColumns, w.obsColumnsAtLeast)
		}
	}
}

// TestFailedIngestLeavesStoreByteIdentical runs every malformed input of the
// corpus, plus a taken name and an unknown batch key, through the CLI against
// a store that already holds a dataset, and checks the file is unchanged.
func TestFailedIngestLeavesStoreByteIdentical(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	mustRun(t, "--store", db, "ingest", "--name", "pbmc_small", filepath.Join(repoRoot, "testdata", "sample", "pbmc_small"))
	before := fileDigest(t, db)

	badDir := filepath.Join(repoRoot, "testdata", "bad")
	cases, err := ingest.LoadBadInputs(badDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 40 {
		t.Fatalf("malformed-input corpus has %d cases, want ≥ 40", len(cases))
	}
	type tc struct {
		name   string
		args   []string
		expect string
	}
	var tcs []tc
	for _, c := range cases {
		args := []string{"--store", db, "ingest", "--name", "bad", "--format", orAuto(c.Options.Format)}
		if c.Options.Obs != "" {
			args = append(args, "--obs", c.Options.Obs)
		}
		if c.Options.Values != "" {
			args = append(args, "--values", string(c.Options.Values))
		}
		if c.Options.Transpose {
			args = append(args, "--transpose")
		}
		if c.Options.Delimiter != 0 || c.Options.MaxNNZ != 0 || c.Options.MaxDim != 0 {
			continue // options the CLI does not expose; covered by the ingest package's own test
		}
		tcs = append(tcs, tc{filepath.Base(c.Path), append(args, c.Path), c.Expect})
	}
	tcs = append(tcs,
		tc{"taken name", []string{"--store", db, "ingest", "--name", "pbmc_small",
			filepath.Join(repoRoot, "testdata", "sample", "pbmc_small")}, "exists"},
		tc{"unknown batch key", []string{"--store", db, "ingest", "--name", "x", "--batch-key", "no_such_column",
			filepath.Join(repoRoot, "testdata", "sample", "pbmc_small")}, "no_such_column"},
	)
	for _, c := range tcs {
		_, err := run(t, c.args...)
		if err == nil {
			t.Errorf("%s: ingest succeeded, want an error containing %q", c.name, c.expect)
			continue
		}
		if !strings.Contains(err.Error(), c.expect) {
			t.Errorf("%s: error %q does not contain %q", c.name, err, c.expect)
		}
		if after := fileDigest(t, db); after != before {
			t.Fatalf("%s: store file changed after a failed ingest", c.name)
		}
	}
}

func orAuto(s string) string {
	if s == "" {
		return "auto"
	}
	return s
}

func TestNotAStore(t *testing.T) {
	p := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(p, []byte("hello, this is not a database\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, "--store", p, "datasets")
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("datasets on a text file: err %v, want one naming %s", err, p)
	}
}

// TestDemo runs the built-in demo briefly (--quick) and checks that every
// query section answered. The first run is from a folder with no sample
// data: the demo uses the copy embedded in the binary.
func TestDemo(t *testing.T) {
	sample, err := filepath.Abs(filepath.Join(repoRoot, "testdata", "sample"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	out := filepath.Join(t.TempDir(), "demo.db")
	text := mustRun(t, "demo", "--quick", "--out", out)
	for _, want := range []string{
		"pbmc3k_sct283  mtx   counts       283 cells ×   914 genes",
		"genes nearest CD79A", "co-expression partners of CD79A", "cells nearest pbmc_small/ATGCCAGAACGACT", "cells nearest pbmc_small/ATGCCAGAACGACT in cells-from-genes",
		"top genes of cluster 0", "cells most associated with LYZ", "enrichment in go_bp", "stored as cell-labels/",
		`S100A4 in "pbmc_small" (layer predicted, model expr:`, "130 landmarks present, 0 missing",
		// the shipped TF list (human symbols) on the mouse lung: Etv5 is a candidate
		"--regulators tfs", "3 regulators → 200 targets", "regulators of Sftpc", "1     Etv5",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// a gene that is no candidate regulator: said, not an empty table
	if got := mustRun(t, "--store", out, "targets", "--gene", "Sftpc"); !strings.Contains(got, "none: Sftpc is not a candidate regulator") {
		t.Errorf("targets of a non-regulator:\n%s", got)
	}
	// Run it again over its own store: it must replace it, not fail.
	mustRun(t, "demo", "--quick", "--out", out, "--data", sample)
	// It refuses to replace a file that is not a genestore store.
	other := filepath.Join(t.TempDir(), "notes.db")
	if err := os.WriteFile(other, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "demo", "--quick", "--out", other, "--data", sample); err == nil {
		t.Fatal("demo replaced a file that is not a genestore store")
	}
	if b, err := os.ReadFile(other); err != nil || string(b) != "keep me" {
		t.Fatalf("demo touched a file that is not a genestore store: %q, %v", b, err)
	}
}

// TestAppendThenQuery trains on one real dataset, appends another through
// the CLI, and queries the new cells at once.
func TestAppendThenQuery(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	sample := filepath.Join(repoRoot, "testdata", "sample")
	mustRun(t, "--store", db, "ingest", "--name", "pbmc_small", filepath.Join(sample, "pbmc_small"))
	mustRun(t, "--store", db, "train", "genes", "--epochs", "20", "--seed", "1")
	mustRun(t, "--store", db, "train", "cells", "--epochs", "10", "--seed", "1")
	// Both evaluations answer with the documented JSON shape.
	for _, ev := range []struct {
		args     []string
		metric   string
		baseline string
	}{
		{[]string{"eval", "cells", "--label", "RNA_snn_res.1", "--json"}, "nmi", "pca"},
		{[]string{"eval", "cells", "--label", "RNA_snn_res.1", "--json"}, "label_asw", "pca50"},
		{[]string{"eval", "genes", "--json"}, "edge_auc", "pearson"},
	} {
		var got struct {
			Model     map[string]float64            `json:"model"`
			Baselines map[string]map[string]float64 `json:"baselines"`
		}
		if err := json.Unmarshal([]byte(mustRun(t, append([]string{"--store", db}, ev.args...)...)), &got); err != nil {
			t.Fatal(err)
		}
		if _, ok := got.Model[ev.metric]; !ok {
			t.Errorf("%v: model lacks %s: %v", ev.args, ev.metric, got.Model)
		}
		if _, ok := got.Baselines[ev.baseline][ev.metric]; !ok {
			t.Errorf("%v: baseline %s lacks %s: %v", ev.args, ev.baseline, ev.metric, got.Baselines)
		}
	}
	// export names every gene row; a gene with a consensus and a dataset
	// vector appears under both.
	lines := strings.Split(strings.TrimSuffix(mustRun(t, "--store", db, "export", "--space", "genes"), "\n"), "\n")
	if !strings.HasPrefix(lines[0], "gene\tdataset\tdim0\t") {
		t.Fatalf("export header %q", lines[0])
	}
	byGene := map[string][]string{}
	for _, line := range lines[1:] {
		f := strings.SplitN(line, "\t", 3)
		if len(f) < 3 || f[0] == "" {
			t.Fatalf("export row %q", line)
		}
		byGene[f[0]] = append(byGene[f[0]], f[1])
	}
	if ds := byGene["CD79A"]; !slices.Equal(ds, []string{"*", "pbmc_small"}) && !slices.Equal(ds, []string{"pbmc_small", "*"}) {
		t.Errorf("export: CD79A rows in sets %v, want consensus and pbmc_small", ds)
	}
	// Cells from genes before the append: eval cells scores the space
	// beside the cell model.
	mustRun(t, "--store", db, "train", "cells-from-genes")
	var ev struct {
		Baselines map[string]map[string]float64 `json:"baselines"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--store", db, "eval", "cells", "--label", "RNA_snn_res.1", "--json")), &ev); err != nil {
		t.Fatal(err)
	}
	if _, ok := ev.Baselines["cells-from-genes"]["label_asw"]; !ok {
		t.Fatalf("eval cells lacks cells-from-genes: %v", ev.Baselines)
	}
	out := mustRun(t, "--store", db, "append", "--name", "pbmc3k", filepath.Join(sample, "pbmc3k_sct283"))
	if !strings.Contains(out, `appended "pbmc3k"`) || !strings.Contains(out, "cells: 283 vectors") {
		t.Fatalf("append output:\n%s", out)
	}
	// The appended dataset's cells are searchable right away, across datasets.
	q := mustRun(t, "--store", db, "neighbors", "--cell", "ACTCTCCTGCATAC", "--dataset", "pbmc3k", "-k", "5", "--json")
	var ans struct {
		Neighbors []struct {
			Dataset string `json:"dataset"`
		} `json:"neighbors"`
	}
	if err := json.Unmarshal([]byte(q), &ans); err != nil {
		t.Fatal(err)
	}
	if len(ans.Neighbors) != 5 {
		t.Fatalf("neighbours of an appended cell: %d, want 5:\n%s", len(ans.Neighbors), q)
	}
	if _, err := run(t, "--store", db, "append", "--name", "pbmc3k", filepath.Join(sample, "pbmc3k_sct283")); err == nil {
		t.Fatal("appending a taken name succeeded")
	}

	// The appended dataset is embedded from the gene vectors with no
	// training (pbmc_small again, with the consensus the append moved) and
	// searched in its own space.
	out = mustRun(t, "--store", db, "train", "cells-from-genes", "--datasets", "pbmc3k")
	if !strings.Contains(out, "pbmc3k: 283 of 283 cells embedded") || !strings.Contains(out, "pbmc_small: ") || !strings.Contains(out, "weight scaled") {
		t.Fatalf("train cells-from-genes:\n%s", out)
	}
	q = mustRun(t, "--store", db, "neighbors", "--cell", "ACTCTCCTGCATAC", "--dataset", "pbmc3k", "--space", "cells-from-genes", "-k", "5", "--json")
	var fg struct {
		Space     string `json:"space"`
		Neighbors []struct {
			Dataset string `json:"dataset"`
		} `json:"neighbors"`
	}
	if err := json.Unmarshal([]byte(q), &fg); err != nil {
		t.Fatal(err)
	}
	if fg.Space != "cells-from-genes" || len(fg.Neighbors) != 5 {
		t.Fatalf("neighbors --space cells-from-genes:\n%s", q)
	}
	rows := strings.Split(strings.TrimSuffix(mustRun(t, "--store", db, "export", "--space", "cells-from-genes"), "\n"), "\n")
	if !strings.HasPrefix(rows[0], "barcode\tdataset\tdim0\t") || !slices.ContainsFunc(rows, func(r string) bool { return strings.HasPrefix(r, "ACTCTCCTGCATAC\tpbmc3k\t") }) {
		t.Fatalf("export --space cells-from-genes: header %q, %d rows", rows[0], len(rows))
	}
	var lab struct {
		Space string `json:"space"`
		Cells int    `json:"cells"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--store", db, "annotate", "cells", "--reference", "pbmc_small", "--label", "RNA_snn_res.1",
		"--query", "pbmc3k", "--space", "cells-from-genes", "--dry-run", "--json")), &lab); err != nil {
		t.Fatal(err)
	}
	if lab.Space != "cells-from-genes" || lab.Cells != 283 {
		t.Fatalf("annotate cells --space cells-from-genes: %+v", lab)
	}
	if _, err := run(t, "--store", db, "annotate", "cells", "--reference", "pbmc_small", "--label", "RNA_snn_res.1",
		"--query", "pbmc3k", "--space", "cells-from-genes", "--fill-missing", "zero", "--dry-run"); err == nil {
		t.Fatal("--fill-missing with --space cells-from-genes accepted")
	}
	if _, err := run(t, "--store", db, "neighbors", "--cell", "ACTCTCCTGCATAC", "--dataset", "pbmc3k", "--space", "genes"); err == nil {
		t.Fatal("neighbors --space genes for a cell accepted")
	}
}

// TestVersion: version prints the schema version the binary writes and,
// for an existing --store, that store's own; a file that is no store is
// reported, not fatal.
func TestVersion(t *testing.T) {
	dir := t.TempDir()
	want := fmt.Sprintf("\nschema %d\n", migrations.Latest())
	out := mustRun(t, "--store", filepath.Join(dir, "absent.db"), "version")
	if !strings.HasPrefix(out, "genestore ") || !strings.HasSuffix(out, want) {
		t.Errorf("version without a store printed %q, want it to end %q", out, want)
	}
	db := filepath.Join(dir, "s.db")
	mustRun(t, "--store", db, "-q", "ingest", "--name", "pbmc_small", filepath.Join(repoRoot, "testdata", "sample", "pbmc_small"))
	out = mustRun(t, "--store", db, "version")
	if !strings.Contains(out, want) || !strings.HasSuffix(out, fmt.Sprintf("store %s: schema %d\n", db, migrations.Latest())) {
		t.Errorf("version with a store printed %q", out)
	}
	txt := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(txt, []byte("not a store\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, "--store", txt, "version"); !strings.Contains(out, "schema unknown") {
		t.Errorf("version with a text file as store printed %q", out)
	}
}
