package grn

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"genestore/internal/testutil/shareddata"
)

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

// loadFamily reads BEELINE run folders (shareddata.ReadBeelineRun) as
// views over the first run's gene order, and the first run's reference
// network.
func loadFamily(t *testing.T, dirs []string) (views []View, truth map[int64]bool, edges []Known, regs []int) {
	t.Helper()
	var first *shareddata.BeelineRun
	for _, dir := range dirs {
		run := shareddata.ReadBeelineRun(t, dir)
		if first == nil {
			first = run
		}
		views = append(views, beelineView(t, dir, run, first.Genes))
	}
	index := map[string]int{}
	for i, g := range first.Genes {
		index[g] = i
	}
	truth = map[int64]bool{}
	regSet := map[int]bool{}
	for _, e := range first.Edges {
		a, okA := index[e.Regulator]
		b, okB := index[e.Target]
		if !okA || !okB || truth[pairKey(a, b)] {
			continue
		}
		truth[pairKey(a, b)] = true
		regSet[a] = true
		var s int8 = 1
		if e.Type == "-" {
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

// beelineView is run's expression as a View (cells × genes) over the genes
// in order.
func beelineView(t *testing.T, dir string, run *shareddata.BeelineRun, order []string) View {
	t.Helper()
	row := map[string]int{}
	for i, g := range run.Genes {
		row[g] = i
	}
	v := View{Name: filepath.Base(dir), Cells: run.Cells, Genes: len(order), X: make([]float32, run.Cells*len(order))}
	for g, name := range order {
		i, ok := row[name]
		if !ok {
			t.Fatalf("%s: gene %s missing", dir, name)
		}
		for c, x := range run.Values[i] {
			v.X[c*len(order)+g] = x
		}
	}
	return v
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
