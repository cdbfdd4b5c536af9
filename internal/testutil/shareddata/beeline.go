package shareddata

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
