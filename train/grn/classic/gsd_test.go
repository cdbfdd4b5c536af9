package classic

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"genestore/internal/testutil/shareddata"
	"genestore/query/eval"
	"genestore/train/grn"
)

var long = flag.Bool("long", false, "run long tests")

// beelineRun is one BEELINE input folder.
type beelineRun struct {
	genes []string
	view  grn.View // as given (BoolODE values)
	ref   []eval.RegPair
	regs  []int32 // genes with an outgoing reference edge
}

// loadBeeline reads ExpressionData.csv.gz (genes × cells, header of cell
// ids, gene names in column 1) and refNetwork.csv (Gene1,Gene2,Type).
func loadBeeline(t testing.TB, dir string) *beelineRun {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "ExpressionData.csv.gz"))
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
	cells := len(rows[0]) - 1
	b := &beelineRun{}
	G := len(rows) - 1
	b.view = grn.View{Name: filepath.Base(dir), Cells: cells, Genes: G, X: make([]float32, cells*G)}
	for g, row := range rows[1:] {
		b.genes = append(b.genes, row[0])
		for c, s := range row[1:] {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			b.view.X[c*G+g] = float32(x)
		}
	}
	rf, err := os.Open(filepath.Join(dir, "refNetwork.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	ref, err := csv.NewReader(rf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var from, to []string
	var signs []int8
	for _, r := range ref[1:] {
		from, to = append(from, r[0]), append(to, r[1])
		s := int8(0)
		switch strings.TrimSpace(r[2]) {
		case "+":
			s = 1
		case "-":
			s = -1
		}
		signs = append(signs, s)
	}
	b.ref, _, err = eval.GenePairs(b.genes, from, to, signs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range b.ref {
		if !slices.Contains(b.regs, int32(e.Regulator)) {
			b.regs = append(b.regs, int32(e.Regulator))
		}
	}
	slices.Sort(b.regs)
	return b
}

// score evaluates a result against a reference.
func score(t testing.TB, genes int, ref []eval.RegPair, res *Result, signed bool) eval.GRNScores {
	t.Helper()
	pred := make([]eval.RegPair, len(res.Edges))
	for i, e := range res.Edges {
		pred[i] = eval.RegPair{Regulator: int(e.Regulator), Target: int(e.Target), Score: e.Score, Sign: e.Sign}
	}
	s, err := eval.GRN(genes, ref, pred, eval.GRNOptions{Signed: signed})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func median(x []float64) float64 {
	y := slices.Clone(x)
	slices.Sort(y)
	if len(y) == 0 {
		return math.NaN()
	}
	if len(y)%2 == 1 {
		return y[len(y)/2]
	}
	return (y[len(y)/2-1] + y[len(y)/2]) / 2
}

// TestGSD runs every method on BEELINE's GSD runs (as given, not
// re-normalised) with candidate regulators = all genes and = the
// reference's regulators, and reports AUPRC ratio and EPR per run and the
// medians. The default method must reach BEELINE's GENIE3 median AUPRC
// ratio on GSD (1.28) over the clean runs with all genes as candidates.
func TestGSD(t *testing.T) {
	if !*long {
		t.Skip("long test: -long")
	}
	base := filepath.Join(shareddata.Dir(t), "grn_dev", "GSD")
	if _, err := os.Stat(base); err != nil {
		t.Skipf("no GSD data: %v", err)
	}
	ctx := context.Background()
	for _, variant := range []string{"", "_20", "_50"} {
		var runs []*beelineRun
		for i := range 5 {
			dir := filepath.Join(base, fmt.Sprintf("GSD_2000_%d%s", i, variant))
			if _, err := os.Stat(dir); err != nil {
				continue
			}
			runs = append(runs, loadBeeline(t, dir))
		}
		for _, cand := range []string{"all", "ref"} {
			for _, m := range Methods() {
				var ratios, eprs []float64
				var line strings.Builder
				for _, r := range runs {
					o := DefaultOptions()
					o.Method = m
					var regs []int32
					if cand == "ref" {
						regs = r.regs
					}
					res, err := Infer(ctx, []grn.View{r.view}, regs, o)
					if err != nil {
						t.Fatal(err)
					}
					s := score(t, len(r.genes), r.ref, res, false)
					ratios, eprs = append(ratios, s.AUPRCRatio), append(eprs, s.EPR)
					fmt.Fprintf(&line, " %.2f/%.2f", s.AUPRCRatio, s.EPR)
				}
				t.Logf("GSD%-3s cand=%s %-8s median AUPRC ratio %.3f EPR %.3f | runs ratio/EPR:%s",
					variant, cand, m, median(ratios), median(eprs), line.String())
				if variant == "" && cand == "all" && m == DefaultOptions().Method && median(ratios) < 1.28 {
					t.Errorf("default %s: median AUPRC ratio %.3f on GSD, want ≥ 1.28", m, median(ratios))
				}
			}
		}
	}
}
