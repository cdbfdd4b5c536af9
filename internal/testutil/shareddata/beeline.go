package shareddata

import (
	"compress/gzip"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// BeelineEnv names extra BEELINE family folders (colon-separated), for
// example BoolODE's output for the curated models mCAD, VSC and HSC.
const BeelineEnv = "GENESTORE_BEELINE"

// BeelineGroup is one BEELINE family's runs of one size and dropout level.
type BeelineGroup struct {
	Family  string   // the family folder's name (GSD)
	Name    string   // NAME_CELLS plus the dropout suffix (GSD_2000, GSD_2000_50)
	Dropout string   // "" for the clean runs, else the suffix's digits
	Runs    []string // run folders, sorted by name
}

var beelineRun = regexp.MustCompile(`^(.+?_\d+)_\d+(?:_(\d+))?$`)

// BeelineGroups finds BEELINE run folders, named NAME_CELLS_RUN with an
// optional dropout suffix (GSD_2000_0, GSD_2000_0_50) and each holding
// refNetwork.csv, in the family folders under the shared data's grn_dev
// (when the shared data is there) and in those BeelineEnv names. It skips
// t when there are none.
func BeelineGroups(t testing.TB) []BeelineGroup {
	t.Helper()
	var families []string
	if data, err := find(); err == nil {
		ents, _ := os.ReadDir(filepath.Join(data, "grn_dev"))
		for _, e := range ents {
			if e.IsDir() {
				families = append(families, filepath.Join(data, "grn_dev", e.Name()))
			}
		}
	}
	if env := os.Getenv(BeelineEnv); env != "" {
		families = append(families, strings.Split(env, ":")...)
	}
	var groups []BeelineGroup
	for _, fam := range families {
		ents, err := os.ReadDir(fam)
		if err != nil {
			t.Fatalf("%s: %v", BeelineEnv, err)
		}
		at := map[string]int{}
		for _, e := range ents {
			m := beelineRun.FindStringSubmatch(e.Name())
			if !e.IsDir() || m == nil {
				continue
			}
			if _, err := os.Stat(filepath.Join(fam, e.Name(), "refNetwork.csv")); err != nil {
				continue // not a finished run
			}
			name := m[1]
			if m[2] != "" {
				name += "_" + m[2]
			}
			i, ok := at[name]
			if !ok {
				i = len(groups)
				at[name] = i
				groups = append(groups, BeelineGroup{Family: filepath.Base(fam), Name: name, Dropout: m[2]})
			}
			groups[i].Runs = append(groups[i].Runs, filepath.Join(fam, e.Name()))
		}
	}
	if len(groups) == 0 {
		t.Skipf("no BEELINE runs (shared data's grn_dev or %s)", BeelineEnv)
	}
	for i := range groups {
		slices.Sort(groups[i].Runs)
	}
	slices.SortStableFunc(groups, func(a, b BeelineGroup) int { return strings.Compare(a.Name, b.Name) })
	return groups
}

// BeelineRun is one BEELINE run folder as read: the expression file's
// genes in its order, each gene's values over the cells (BoolODE values,
// as given), and the reference network without self-loops (BEELINE scores
// none).
type BeelineRun struct {
	Genes  []string
	Cells  int
	Values [][]float32 // per gene, per cell
	Edges  []BeelineEdge
}

// BeelineEdge is one reference edge; Type is the file's "+", "-" or other.
type BeelineEdge struct {
	Regulator, Target, Type string
}

// ReadBeelineRun reads dir's ExpressionData.csv.gz (or .csv; genes × cells,
// gene names in the first column) and refNetwork.csv. BEELINE's inputs
// head the reference Gene1,Gene2 (regulator first); BoolODE's own output
// heads it Gene2,Gene1 (target first): the header decides.
func ReadBeelineRun(t testing.TB, dir string) *BeelineRun {
	t.Helper()
	rows := readCSV(t, filepath.Join(dir, "ExpressionData.csv.gz"), filepath.Join(dir, "ExpressionData.csv"))
	run := &BeelineRun{Cells: len(rows[0]) - 1}
	for _, r := range rows[1:] {
		if len(r) != run.Cells+1 {
			t.Fatalf("%s: gene %s has %d values for %d cells", dir, r[0], len(r)-1, run.Cells)
		}
		vals := make([]float32, run.Cells)
		for c, s := range r[1:] {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("%s: gene %s cell %d: %v", dir, r[0], c, err)
			}
			vals[c] = float32(x)
		}
		run.Genes, run.Values = append(run.Genes, r[0]), append(run.Values, vals)
	}
	ref := readCSV(t, filepath.Join(dir, "refNetwork.csv"))
	ri, ti := 0, 1
	if strings.TrimSpace(ref[0][0]) == "Gene2" {
		ri, ti = 1, 0
	}
	for _, r := range ref[1:] {
		if r[ri] == r[ti] {
			continue
		}
		run.Edges = append(run.Edges, BeelineEdge{Regulator: r[ri], Target: r[ti], Type: strings.TrimSpace(r[2])})
	}
	return run
}

// readCSV reads the first of paths that exists (gunzipping a .gz).
func readCSV(t testing.TB, paths ...string) [][]string {
	t.Helper()
	for _, p := range paths {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var r io.Reader = f
		if strings.HasSuffix(p, ".gz") {
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			r = zr
		}
		rows, err := csv.NewReader(r).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(rows) < 2 {
			t.Fatalf("%s: no rows", p)
		}
		return rows
	}
	t.Fatalf("none of %s", strings.Join(paths, ", "))
	return nil
}
