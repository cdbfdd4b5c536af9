package grn

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"genestore/internal/testutil/shareddata"
)

// readBeeline reads a BEELINE ExpressionData.csv.gz (genes × cells, gene
// names in the first column) as a View over the genes in order (nil: the
// file's order), returning the file's gene order too.
func readBeeline(t *testing.T, path string, order []string) (View, []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(zr).ReadAll()
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

// TestGSD trains on the five GSD_2000 runs as views with half the
// reference regulators' edges known and reports AUPRC on the other half
// against |Pearson| (-long; needs ../shared/data).
func TestGSD(t *testing.T) {
	if !*long {
		t.Skip("-long")
	}
	data := filepath.Join(shareddata.Dir(t), "grn_dev", "GSD")
	var views []View
	var genes []string
	for i := range 5 {
		v, g := readBeeline(t, filepath.Join(data, fmt.Sprintf("GSD_2000_%d", i), "ExpressionData.csv.gz"), genes)
		views, genes = append(views, v), g
	}
	index := map[string]int{}
	for i, g := range genes {
		index[g] = i
	}
	f, err := os.Open(filepath.Join(data, "GSD_2000_0", "refNetwork.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	truth := map[int64]bool{}
	regSet := map[int]bool{}
	var edges []Known
	for _, r := range rows[1:] {
		a, okA := index[r[0]]
		b, okB := index[r[1]]
		if !okA || !okB || a == b || truth[pairKey(a, b)] {
			continue
		}
		truth[pairKey(a, b)] = true
		regSet[a] = true
		var s int8 = 1
		if r[2] == "-" {
			s = -1
		}
		edges = append(edges, Known{Regulator: int32(a), Target: int32(b), Sign: s})
	}
	var regs []int
	for r := range regSet {
		regs = append(regs, r)
	}
	slices.Sort(regs)
	G := len(genes)
	densityAll := float64(len(truth)) / float64(G*(G-1))
	for _, seed := range []uint64{1, 2, 3} {
		rng := newSplitRand(seed)
		perm := rng.Perm(len(regs))
		var trainR, testR []int
		for i, p := range perm {
			if i%2 == 0 {
				trainR = append(trainR, regs[p])
			} else {
				testR = append(testR, regs[p])
			}
		}
		isTrain := map[int]bool{}
		for _, r := range trainR {
			isTrain[r] = true
		}
		var known []Known
		npos := 0
		for _, e := range edges {
			if isTrain[int(e.Regulator)] {
				known = append(known, e)
			} else {
				npos++
			}
		}
		densityTest := float64(npos) / float64(len(testR)*(G-1))
		pear := evalAUPRC(truth, testR, G, pearsonScore(views))
		for _, single := range []bool{false, true} {
			o := simOptions()
			o.Seed, o.Regulators, o.SingleView = seed, trainR, single
			m, rep, err := Train(context.Background(), views, known, o)
			if err != nil {
				t.Fatal(err)
			}
			scores := map[int64]float64{}
			if err := m.Score(context.Background(), views, nil, testR, nil, func(e Edge) error {
				scores[pairKey(int(e.Regulator), int(e.Target))] = e.Score
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			ap := evalAUPRC(truth, testR, G, func(r, t int) float64 { return scores[pairKey(r, t)] })
			t.Logf("seed %d single-view %v: AUPRC %.3f (ratio %.2f) vs |Pearson| %.3f (ratio %.2f); density all pairs %.3f, held-out regulators %.3f; %d known edges, epochs %d best %d, %.0f s",
				seed, single, ap, ap/densityAll, pear, pear/densityAll, densityAll, densityTest, len(known), rep.Epochs, rep.BestEpoch, rep.Seconds)
		}
	}
}
