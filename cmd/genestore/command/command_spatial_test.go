package command

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"genestore/pipeline"
	"genestore/store"
	"genestore/vocab"
)

func TestSpatialVerb(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	sample := filepath.Join(repoRoot, "testdata", "sample")
	mustRun(t, "--store", db, "ingest", "--name", "pbmc", "--species", "human", filepath.Join(sample, "pbmc_small"))
	out := mustRun(t, "--store", db, "ingest", "--name", "mob", "--species", "mouse", "--orthologs", "symbol-case",
		"--coords", "x,y", filepath.Join(sample, "mob_spatial"))
	if !strings.Contains(out, "262 spots") {
		t.Errorf("ingest output: %s", out)
	}
	var list []store.DatasetInfo
	if err := json.Unmarshal([]byte(mustRun(t, "--store", db, "datasets", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if m := list[1]; m.Modality != vocab.Spatial || m.Species != "mouse" || m.Spots != 262 || !strings.HasPrefix(m.GeneJoin, "symbol-case") {
		t.Errorf("mob dataset record: %+v", m)
	}
	var res pipeline.SpatialPatternResult
	if err := json.Unmarshal([]byte(mustRun(t, "--store", db, "spatial", "--dataset", "mob", "--top", "5", "--permutations", "99", "--json")), &res); err != nil {
		t.Fatal(err)
	}
	// Fabp7 marks the olfactory nerve layer, the section's outer rim.
	if res.Spots != 262 || len(res.Genes) != 5 || res.Genes[0].Symbol != "Fabp7" || res.Genes[0].PPerm != 0.01 {
		t.Errorf("spatial: %+v", res)
	}
	if _, err := run(t, "--store", db, "spatial", "--dataset", "pbmc"); err == nil || !strings.Contains(err.Error(), "no spot coordinates") {
		t.Errorf("spatial on a dataset without coordinates: %v", err)
	}
}

// TestSpatialRefusesNonPositiveCounts: --top 0 and --min-spots 0 are
// errors, not the defaults 20 and 10 (pipeline reads 0 as its default, so
// --top 0 printed 20 genes).
func TestSpatialRefusesNonPositiveCounts(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	mustRun(t, "--store", db, "-q", "ingest", "--name", "mob", "--coords", "x,y", filepath.Join(repoRoot, "testdata", "sample", "mob_spatial"))
	for _, c := range [][]string{{"--top", "0"}, {"--top", "-2"}, {"--min-spots", "0"}, {"--k", "0"}} {
		out, err := run(t, append([]string{"--store", db, "spatial", "--dataset", "mob", "--permutations", "0"}, c...)...)
		if err == nil || !strings.Contains(err.Error(), c[0]) {
			t.Errorf("spatial %s: err %v, want one naming %s; printed %d lines", strings.Join(c, " "), err, c[0], strings.Count(out, "\n"))
		}
	}
}
