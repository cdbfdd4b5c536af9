package grn

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"genestore/internal/testutil/shareddata"
)

// readBeeline reads a BEELINE ExpressionData.csv[.gz] (genes × cells, gene
// names in the first column) as a View over the genes in order (nil: the
// file's order), returning the file's gene order too.
func readBeeline(t *testing.T, path string, order []string) (View, []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string][]string{}
	var names []string
	for _, r := range rows[1:] {
		byName[r[0]] = r[1:]
		names = append(names, r[0])
	}
	if order == nil {
		order = names
	}
	cells := len(rows[0]) - 1
	v := View{Name: filepath.Base(filepath.Dir(path)), Cells: cells, Genes: len(order), X: make([]float32, cells*len(order))}
	for g, name := range order {
		vals, ok := byName[name]
		if !ok || len(vals) != cells {
			t.Fatalf("%s: gene %s missing or short", path, name)
		}
		for c, s := range vals {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			v.X[c*len(order)+g] = float32(x)
		}
	}
	return v, order
}

// loadGSD reads the five GSD_2000 runs as views over one gene order and
// the reference network (-long callers; needs ../shared/data).
func loadGSD(t *testing.T) (views []View, truth map[int64]bool, edges []Known, regs []int) {
	t.Helper()
	data := filepath.Join(shareddata.Dir(t), "grn_dev", "GSD")
	var dirs []string
	for i := range 5 {
		dirs = append(dirs, filepath.Join(data, fmt.Sprintf("GSD_2000_%d", i)))
	}
	return loadFamily(t, dirs)
}

// loadFamily reads BEELINE run folders (ExpressionData.csv[.gz] and
// refNetwork.csv each) as views over the first run's gene order, and the
// first run's reference network without self-loops. BEELINE's inputs
// head the reference Gene1,Gene2 (regulator first); BoolODE's own output
// heads it Gene2,Gene1 (target first): the header decides.
func loadFamily(t *testing.T, dirs []string) (views []View, truth map[int64]bool, edges []Known, regs []int) {
	t.Helper()
	var genes []string
	for _, dir := range dirs {
		path := filepath.Join(dir, "ExpressionData.csv.gz")
		if _, err := os.Stat(path); err != nil {
			path = filepath.Join(dir, "ExpressionData.csv")
		}
		v, g := readBeeline(t, path, genes)
		views, genes = append(views, v), g
	}
	index := map[string]int{}
	for i, g := range genes {
		index[g] = i
	}
	f, err := os.Open(filepath.Join(dirs[0], "refNetwork.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	ri, ti := 0, 1
	if strings.TrimSpace(rows[0][0]) == "Gene2" {
		ri, ti = 1, 0
	}
	truth = map[int64]bool{}
	regSet := map[int]bool{}
	for _, r := range rows[1:] {
		a, okA := index[r[ri]]
		b, okB := index[r[ti]]
		if !okA || !okB || a == b || truth[pairKey(a, b)] {
			continue
		}
		truth[pairKey(a, b)] = true
		regSet[a] = true
		var s int8 = 1
		if strings.TrimSpace(r[2]) == "-" {
			s = -1
		}
		edges = append(edges, Known{Regulator: int32(a), Target: int32(b), Sign: s})
	}
	for r := range regSet {
		regs = append(regs, r)
	}
	slices.Sort(regs)
	return views, truth, edges, regs
}

// gsdSplit splits the reference regulators in two at random (seed): the
// known edges are those of the first half.
func gsdSplit(seed uint64, regs []int, edges []Known) (trainR, testR []int, known []Known) {
	perm := newSplitRand(seed).Perm(len(regs))
	isTrain := map[int]bool{}
	for i, p := range perm {
		if i%2 == 0 {
			trainR = append(trainR, regs[p])
			isTrain[regs[p]] = true
		} else {
			testR = append(testR, regs[p])
		}
	}
	for _, e := range edges {
		if isTrain[int(e.Regulator)] {
			known = append(known, e)
		}
	}
	return trainR, testR, known
}

// scoreAUPRC is the AUPRC on regulators regs of model m (with evidence ev).
func scoreAUPRC(t *testing.T, m *Model, views []View, ev *Evidence, truth map[int64]bool, regs []int) float64 {
	t.Helper()
	scores := map[int64]float64{}
	if err := m.Score(context.Background(), views, ev, regs, nil, func(e Edge) error {
		scores[pairKey(int(e.Regulator), int(e.Target))] = e.Score
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return evalAUPRC(truth, regs, views[0].Genes, func(r, t int) float64 { return scores[pairKey(r, t)] })
}

// TestGSDImagesOnly trains the model without evidence (pair images only)
// on the five GSD_2000 runs as views with half the reference regulators'
// edges known and reports AUPRC on the other half against |Pearson|
// (-long; needs ../shared/data). TestGSD in gsd_evidence_test.go measures
// the model with evidence, as train grn runs it.
func TestGSDImagesOnly(t *testing.T) {
	if !*long {
		t.Skip("-long")
	}
	views, truth, edges, regs := loadGSD(t)
	G := views[0].Genes
	densityAll := float64(len(truth)) / float64(G*(G-1))
	for _, seed := range []uint64{1, 2, 3} {
		trainR, testR, known := gsdSplit(seed, regs, edges)
		pear := evalAUPRC(truth, testR, G, pearsonScore(views))
		for _, single := range []bool{false, true} {
			o := simOptions()
			o.Seed, o.Regulators, o.SingleView = seed, trainR, single
			m, rep, err := Train(context.Background(), views, known, o)
			if err != nil {
				t.Fatal(err)
			}
			ap := scoreAUPRC(t, m, views, nil, truth, testR)
			t.Logf("seed %d single-view %v: AUPRC %.3f (ratio %.2f) vs |Pearson| %.3f (ratio %.2f); density %.3f; %d known edges, epochs %d best %d, %.0f s",
				seed, single, ap, ap/densityAll, pear, pear/densityAll, densityAll, len(known), rep.Epochs, rep.BestEpoch, rep.Seconds)
		}
	}
}
