package command

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestGRNVerbs simulates a planted network, ingests its views, trains,
// lists, exports and evaluates a network through the CLI.
func TestGRNVerbs(t *testing.T) {
	dir := t.TempDir()
	sim := filepath.Join(dir, "sim")
	db := filepath.Join(dir, "g.db")
	mustRun(t, "simulate", "--grn", "--out", sim, "--cells", "300", "--genes", "50", "--regulators", "6", "--seed", "3")
	for _, d := range []string{"D1", "D2", "D3"} {
		mustRun(t, "--store", db, "-q", "ingest", "--name", d, filepath.Join(sim, d))
	}
	out := mustRun(t, "--store", db, "train", "grn", "--name", "net", "--genes", "50", "--method", "pearson")
	if !strings.Contains(out, `network "net"`) || !strings.Contains(out, "3 views (pearson)") {
		t.Fatalf("train grn printed %q", out)
	}
	if out := mustRun(t, "--store", db, "grn", "list"); !strings.Contains(out, "net") || !strings.Contains(out, "D1,D2,D3") {
		t.Fatalf("grn list printed %q", out)
	}
	out = mustRun(t, "--store", db, "grn", "export", "--name", "net", "--top", "3")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || lines[0] != "regulator\ttarget\tscore\tsign" {
		t.Fatalf("grn export printed %q", out)
	}
	// Without --name the only network is meant (none is called "default").
	if out := mustRun(t, "--store", db, "grn", "export", "--top", "2"); strings.Count(out, "\n") != 3 {
		t.Fatalf("grn export without --name printed %q", out)
	}
	if _, err := run(t, "--store", db, "grn", "export", "--top", "-5"); err == nil || !strings.Contains(err.Error(), "--top -5") {
		t.Fatalf("grn export --top -5: %v", err)
	}
	out = mustRun(t, "--store", db, "eval", "grn", "--truth", filepath.Join(sim, "truth", "regulation.tsv"), "--json")
	var rep struct {
		Genes     int                                `json:"genes"`
		Model     struct{ AUPRCRatio float64 }       `json:"model"`
		Baselines map[string]struct{ AUROC float64 } `json:"baselines"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("eval grn --json: %v\n%s", err, out)
	}
	if rep.Genes != 50 || rep.Model.AUPRCRatio <= 1 || len(rep.Baselines) != 2 {
		t.Fatalf("eval grn: %+v", rep)
	}
	out = mustRun(t, "--store", db, "targets", "--gene", "G0001", "-k", "3", "--network", "net")
	if !strings.Contains(out, `targets of G0001 in network "net"`) || strings.Count(out, "\n") != 5 {
		t.Fatalf("targets printed %q", out)
	}
	out = mustRun(t, "--store", db, "regulators", "--gene", "G0010", "--network", "net", "--json")
	var ra struct {
		Direction string `json:"direction"`
		Edges     []struct {
			Symbol  string `json:"symbol"`
			Support []struct {
				View    string  `json:"view"`
				Support float32 `json:"support"`
			} `json:"support"`
		} `json:"edges"`
	}
	if err := json.Unmarshal([]byte(out), &ra); err != nil || ra.Direction != "regulators" || len(ra.Edges) == 0 {
		t.Fatalf("regulators --json: %v %q", err, out)
	}
	// The unsupervised network's per-view support: each view's rank of the pair.
	if s := ra.Edges[0].Support; len(s) != 3 || s[0].View != "D1" || s[0].Support <= 0 || s[0].Support > 1 {
		t.Fatalf("regulators --json: support %+v", s)
	}
	if _, err := run(t, "--store", db, "targets", "--gene", "G0001", "-k", "0"); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("targets -k 0: %v", err)
	}
	if _, err := run(t, "--store", db, "train", "grn", "--datasets", "D1", "--views-by", "nope"); err == nil || !strings.Contains(err.Error(), `obs column "nope"`) {
		t.Fatalf("views by a missing column: %v", err)
	}
}

// TestTrainGRNRefusesZeroCounts: --genes 0 and --min-cells 0 are errors
// (pipeline reads 0 as its default, so --genes 0 kept 500 genes and stored
// the network), like the negative values pipeline already refuses.
func TestTrainGRNRefusesZeroCounts(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	mustRun(t, "--store", db, "-q", "ingest", "--name", "pbmc_small", filepath.Join(repoRoot, "testdata", "sample", "pbmc_small"))
	before := fileDigest(t, db)
	for _, flag := range []string{"--genes", "--min-cells"} {
		_, err := run(t, "--store", db, "-q", "train", "grn", "--views-by", "groups", "--method", "pearson", flag, "0")
		if err == nil || !strings.Contains(err.Error(), flag) {
			t.Errorf("train grn %s 0: %v, want an error naming %s", flag, err, flag)
		}
	}
	if fileDigest(t, db) != before {
		t.Error("a refused train grn changed the store")
	}
}
