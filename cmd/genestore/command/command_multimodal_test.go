package command

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genestore/pipeline"
	"genestore/store/ingest"
)

// copyDir copies the regular files of src into a new temporary folder.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestSpeciesAndSpatialBadInputsLeaveStoreByteIdentical is issue 20's bad
// inputs through the CLI: a spatial dataset without coordinates, two spots
// at one position, an ortholog table with a one-to-many pair, and a dataset
// whose genes are the home species' under another species' name. Each
// fails with an error naming the problem, and the store file is unchanged.
func TestSpeciesAndSpatialBadInputsLeaveStoreByteIdentical(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	sample := filepath.Join(repoRoot, "testdata", "sample")
	pbmc := filepath.Join(sample, "pbmc_small")
	mustRun(t, "--store", db, "ingest", "--name", "pbmc", "--species", "human", pbmc)
	before := fileDigest(t, db)

	// Two spots at the first spot's position.
	dup := copyDir(t, filepath.Join(sample, "mob_spatial"))
	obs, err := os.ReadFile(filepath.Join(dup, "obs.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(obs), "\n")
	f1, f2 := strings.Split(lines[1], ","), strings.Split(lines[2], ",")
	f2[1], f2[2] = f1[1], f1[2]
	lines[2] = strings.Join(f2, ",")
	if err := os.WriteFile(filepath.Join(dup, "obs.csv"), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}

	oneToMany := filepath.Join(dir, "one_to_many.tsv")
	if err := os.WriteFile(oneToMany, []byte("human\tmouse\nCD79A\tCd79a\nCD79B\tCd79a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A human–mouse table, and pbmc_small's human genes ingested as mouse.
	var table strings.Builder
	table.WriteString("human\tmouse\n")
	human, err := ingest.Read(t.Context(), pbmc, ingest.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range human.Genes {
		table.WriteString(g.Symbol + "\t" + g.Symbol[:1] + strings.ToLower(g.Symbol[1:]) + "\n")
	}
	mouseTable := filepath.Join(dir, "human_mouse.tsv")
	if err := os.WriteFile(mouseTable, []byte(table.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"spatial without coordinates", []string{"--modality", "spatial", pbmc}, "needs spot coordinates"},
		{"duplicate spots", []string{"--species", "mouse", "--coords", "x,y", dup}, "duplicate spots"},
		{"one-to-many ortholog table", []string{"--species", "mouse", "--orthologs", oneToMany, filepath.Join(sample, "mob_spatial")}, "Cd79a"},
		{"species mismatch", []string{"--species", "mouse", "--orthologs", mouseTable, pbmc}, "species mismatch"},
	} {
		args := append([]string{"--store", db, "ingest", "--name", "bad"}, tc.args...)
		_, err := run(t, args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.want)
			continue
		}
		t.Logf("%s: %v", tc.name, err)
		if fileDigest(t, db) != before {
			t.Fatalf("%s: the store file changed", tc.name)
		}
	}
}

func TestNeighborsSpatial(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	sample := filepath.Join(repoRoot, "testdata", "sample")
	mustRun(t, "--store", db, "ingest", "--name", "pbmc", filepath.Join(sample, "pbmc_small"))
	mustRun(t, "--store", db, "ingest", "--name", "mob", "--coords", "x,y", filepath.Join(sample, "mob_spatial"))
	// The first spot of obs.csv, at (16.001, 16.036).
	const spot = "ACAACTATGGGTTGGCGG"
	var a pipeline.SpatialNeighborsResult
	if err := json.Unmarshal([]byte(mustRun(t, "--store", db, "neighbors", "--cell", spot, "--dataset", "mob", "--spatial", "-k", "4", "--json")), &a); err != nil {
		t.Fatal(err)
	}
	if a.X != 16.001 || a.Y != 16.036 || len(a.Neighbors) != 4 {
		t.Fatalf("answer %+v", a)
	}
	for i, n := range a.Neighbors {
		// ST spots sit on a grid of pitch ~1: the four nearest are its
		// direct neighbours, and no cell model means no cosine.
		if n.Rank != i+1 || n.Distance < 0.5 || n.Distance > 1.5 || n.Cosine != nil || n.Barcode == spot ||
			(i > 0 && n.Distance < a.Neighbors[i-1].Distance) {
			t.Errorf("neighbour %d: %+v", i, n)
		}
	}
	text := mustRun(t, "--store", db, "neighbors", "--cell", spot, "--dataset", "mob", "--spatial", "-k", "2")
	if !strings.Contains(text, "spots nearest mob/"+spot) || !strings.Contains(text, "DISTANCE") {
		t.Errorf("text answer:\n%s", text)
	}
	for _, bad := range [][]string{
		{"--cell", spot, "--dataset", "pbmc", "--spatial"},
		{"--gene", "CD3E", "--spatial"},
		{"--cell", "NOPE", "--dataset", "mob", "--spatial"},
		{"--cell", spot, "--dataset", "mob", "--spatial", "--where", "layer=x"}, // was ignored
		{"--cell", spot, "--dataset", "mob", "--spatial", "--exclude", "mob"},
	} {
		if _, err := run(t, append([]string{"--store", db, "neighbors"}, bad...)...); err == nil {
			t.Errorf("neighbors %v: no error", bad)
		}
	}
}
