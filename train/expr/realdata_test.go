package expr

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"genestore/internal/testutil/shareddata"
	"genestore/store/ingest"
	"genestore/train/prep"
)

func loadReal(t *testing.T, dir, name string) *ingest.Dataset {
	t.Helper()
	ds, err := ingest.Read(context.Background(), filepath.Join(dir, name), ingest.Options{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	n, err := prep.Normalize(ds.X, ds.Values, 1e4)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	ds.X = n
	return ds
}

// dense builds a Dataset of the given rows over the given symbols (absent
// symbols are left out of the Dataset, as a real query would lack them).
func dense(ds *ingest.Dataset, name string, rows []int, symbols []string, groups []string) Dataset {
	col := map[string]int{}
	for j, g := range ds.Genes {
		if _, ok := col[g.Symbol]; !ok {
			col[g.Symbol] = j
		}
	}
	var genes []string
	pos := map[int]int{}
	for _, s := range symbols {
		if j, ok := col[s]; ok {
			if _, dup := pos[j]; !dup {
				pos[j] = len(genes)
				genes = append(genes, s)
			}
		}
	}
	G := len(genes)
	x := make([]float32, len(rows)*G)
	for i, r := range rows {
		idx, val := ds.X.Row(r)
		for k, j := range idx {
			if p, ok := pos[int(j)]; ok {
				x[i*G+p] = val[k]
			}
		}
	}
	var g []string
	if groups != nil {
		for _, r := range rows {
			g = append(g, groups[r])
		}
	}
	return Dataset{Name: name, Genes: genes, X: x, Groups: g}
}

func l1000(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "landmarks", "l1000_landmarks.tsv"))
	if err != nil {
		t.Skipf("no landmark list: %v", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Scan()
	for sc.Scan() {
		out = append(out, strings.SplitN(sc.Text(), "\t", 2)[0])
	}
	return out
}

// topVariable returns the n symbols with the highest variance of
// log-normalised expression over rows (pooled over the datasets), among
// the symbols measured in all of them, excluding skip.
func topVariable(sets []*ingest.Dataset, rows [][]int, skip map[string]bool, n int) []string {
	count := map[string]int{}
	sum, sq := map[string]float64{}, map[string]float64{}
	N := 0
	for i, ds := range sets {
		seen := map[string]bool{}
		first := map[int]string{}
		for j, g := range ds.Genes {
			if !seen[g.Symbol] {
				seen[g.Symbol] = true
				count[g.Symbol]++
				first[j] = g.Symbol
			}
		}
		for _, r := range rows[i] {
			idx, val := ds.X.Row(r)
			for k, j := range idx {
				if s, ok := first[int(j)]; ok {
					sum[s] += float64(val[k])
					sq[s] += float64(val[k]) * float64(val[k])
				}
			}
		}
		N += len(rows[i])
	}
	type gv struct {
		s string
		v float64
	}
	var all []gv
	for s, c := range count {
		if c != len(sets) || skip[s] {
			continue
		}
		m := sum[s] / float64(N)
		all = append(all, gv{s, sq[s]/float64(N) - m*m})
	}
	sort.Slice(all, func(a, b int) bool {
		if all[a].v != all[b].v {
			return all[a].v > all[b].v
		}
		return all[a].s < all[b].s
	})
	var out []string
	for _, g := range all[:min(n, len(all))] {
		out = append(out, g.s)
	}
	return out
}

func seq(lo, hi int) []int {
	var s []int
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}

// realCase fits on train and evaluates on test; landmarks are the L1000
// genes measured in every training dataset when there are at least 100,
// else 200 chosen by SelectLandmarks.
func realCase(t *testing.T, label string, sets []*ingest.Dataset, trRows [][]int, trGroups [][]string, testSet *ingest.Dataset, teRows []int, lm []string) {
	t.Helper()
	start := time.Now()
	inAll := map[string]int{}
	for _, ds := range sets {
		seen := map[string]bool{}
		for _, g := range ds.Genes {
			if !seen[g.Symbol] {
				seen[g.Symbol] = true
				inAll[g.Symbol]++
			}
		}
	}
	var present []string
	for _, g := range lm {
		if inAll[g] == len(sets) {
			present = append(present, g)
		}
	}
	o := DefaultOptions()
	o.Hidden = []int{1000}
	o.Seed = 1
	landmarkNote := fmt.Sprintf("L1000 (%d present)", len(present))
	skip := map[string]bool{}
	for _, g := range present {
		skip[g] = true
	}
	var train []Dataset
	if len(present) >= 100 {
		o.Landmarks = present
	} else {
		// Auto landmarks come from the 2,000 most variable genes.
		cand := topVariable(sets, trRows, nil, 2000)
		var tmp []Dataset
		for i, ds := range sets {
			tmp = append(tmp, dense(ds, fmt.Sprint(i), trRows[i], cand, nil))
		}
		auto, err := SelectLandmarks(context.Background(), tmp, 200)
		if err != nil {
			t.Fatal(err)
		}
		o.Landmarks = auto
		landmarkNote = fmt.Sprintf("auto (%d; L1000 present: %d)", len(auto), len(present))
		skip = map[string]bool{}
		for _, g := range auto {
			skip[g] = true
		}
	}
	targets := topVariable(sets, trRows, skip, 2000)
	o.Targets = targets
	genes := append(append([]string(nil), o.Landmarks...), targets...)
	for i, ds := range sets {
		var g []string
		if trGroups != nil {
			g = trGroups[i]
		}
		train = append(train, dense(ds, fmt.Sprintf("train%d", i), trRows[i], genes, g))
	}
	test := dense(testSet, "test", teRows, genes, nil)
	m, err := Fit(context.Background(), train, o)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := m.Evaluate(context.Background(), &test, PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v := m.Validation()
	t.Logf("%s: landmarks %s, %d targets, train %d rows, test %d rows, missing landmarks in test %d; val rows %d groups %v, K %d, MLP epochs %d (best %d), per-gene blend %v; %v",
		label, landmarkNote, len(ev.Genes), trainRows(train), ev.Rows, len(ev.Info.MissingLandmarks), v.Rows, v.Groups, v.K, v.MLPEpochs, v.MLPBestEpoch, v.PerGene, time.Since(start).Round(time.Second))
	for k := range Kind(NumKinds) {
		t.Logf("%s  %-7s MAE %.4f  r %.3f  beats linear %5.1f%%  (val MAE %.4f)", label, k, ev.MeanMAE[k], ev.MeanR[k], 100*ev.BeatsLinear[k], v.MeanMAE[k])
	}
	if ev.MeanMAE[Chosen] > ev.MeanMAE[Ridge] {
		t.Errorf("%s: chosen MAE %.4f above ridge-CV's %.4f", label, ev.MeanMAE[Chosen], ev.MeanMAE[Ridge])
	}
}

func TestRealHSMMHoldOutTimePoint(t *testing.T) {
	if !*long {
		t.Skip("long test: -args -long")
	}
	dir := shareddata.Dir(t)
	ds := loadReal(t, dir, "hsmm_myoblast")
	hours := ds.Column("hours")
	if hours == nil {
		t.Fatal("no hours column")
	}
	var tr, te []int
	for r, h := range hours.Values {
		if h == "72" {
			te = append(te, r)
		} else {
			tr = append(tr, r)
		}
	}
	realCase(t, "hsmm(72h held out)", []*ingest.Dataset{ds}, [][]int{tr}, [][]string{hours.Values}, ds, te, l1000(t, dir))
}

func TestRealPBMC3k(t *testing.T) {
	if !*long {
		t.Skip("long test: -args -long")
	}
	dir := shareddata.Dir(t)
	ds := loadReal(t, dir, "pbmc3k_sct283")
	var tr, te []int
	for r := range ds.X.Rows {
		if r%4 == 0 {
			te = append(te, r)
		} else {
			tr = append(tr, r)
		}
	}
	realCase(t, "pbmc3k(every 4th cell held out)", []*ingest.Dataset{ds}, [][]int{tr}, nil, ds, te, l1000(t, dir))
}

func TestRealPBMC10xHoldOutRun(t *testing.T) {
	if !*long {
		t.Skip("long test: -args -long")
	}
	dir := shareddata.Dir(t)
	names := []string{"pbmc10x_3p_v2_1k_scwg", "pbmc10x_3p_v3_1k_scwg", "pbmc10x_5p_1k_scwg"}
	var sets []*ingest.Dataset
	for _, n := range names {
		sets = append(sets, loadReal(t, dir, n))
	}
	lm := l1000(t, dir)
	for hold := range names {
		var tr []*ingest.Dataset
		var rows [][]int
		for i, s := range sets {
			if i != hold {
				tr = append(tr, s)
				rows = append(rows, seq(0, s.X.Rows))
			}
		}
		realCase(t, names[hold]+" held out", tr, rows, nil, sets[hold], seq(0, sets[hold].X.Rows), lm)
	}
}

func trainRows(ds []Dataset) int {
	n := 0
	for i := range ds {
		n += ds[i].Rows()
	}
	return n
}
