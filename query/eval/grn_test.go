package eval

import (
	"errors"
	"math"
	"testing"
)

// TestGRN checks BEELINE's figures on hand-computed cases over 3 genes
// (6 ordered pairs). Truth 0→1, 1→2 gives density 1/3.
func TestGRN(t *testing.T) {
	truth := []RegPair{{Regulator: 0, Target: 1, Sign: 1}, {Regulator: 1, Target: 2, Sign: -1},
		{Regulator: 1, Target: 2, Sign: -1}, {Regulator: 2, Target: 2}} // duplicate and self-loop dropped
	ranked := []RegPair{{0, 1, 0.9, 1}, {0, 2, 0.8, 0}, {1, 2, 0.7, 1}, {2, 2, 5, 0}, {0, 1, 0.1, 0}}
	tied := []RegPair{{0, 1, 0.5, 0}, {0, 2, 0.5, 0}, {1, 2, 0.5, 0}, {1, 0, 0.5, 0}}
	for _, c := range []struct {
		name   string
		pred   []RegPair
		signed bool
		want   GRNScores
	}{
		// pos .9, neg .8, pos .7, 3 unpredicted negatives tied lowest.
		// AP = .5·1 + .5·(2/3); trapezoid .5 + .5·(1/2+2/3)/2; AUROC (4+3)/8;
		// EP: top 2 = {.9, .8} → 1/2.
		{"ranked", ranked, false, GRNScores{2, 6, 1.0 / 3, 0.875, 5.0 / 6, 0.5 + 0.5*(0.5+2.0/3)/2, 2.5, 0.5, 1.5}},
		// one tied group of 2 pos + 2 neg above 2 unpredicted negatives:
		// AP = 1·(1/2); trapezoid (1 + 1/2)/2; AUROC (2+1)·2/8; EP keeps all 4 tied.
		{"ties", tied, false, GRNScores{2, 6, 1.0 / 3, 0.75, 0.5, 0.75, 1.5, 0.5, 1.5}},
		// signed: 1→2 predicted + but truth says −, a negative; recall stops at 1/2.
		{"signed", ranked, true, GRNScores{2, 6, 1.0 / 3, 1, 0.5, 0.5, 1.5, 0.5, 1.5}},
		// nothing predicted: all 6 pairs tie; AP = density.
		{"empty", nil, false, GRNScores{2, 6, 1.0 / 3, 0.5, 1.0 / 3, (1 + 1.0/3) / 2, 1, 0, 0}},
	} {
		got, err := GRN(3, truth, c.pred, GRNOptions{Signed: c.signed})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		g := []float64{got.Density, got.AUROC, got.AUPRC, got.AUPRCTrapezoid, got.AUPRCRatio, got.EarlyPrecision, got.EPR}
		w := []float64{c.want.Density, c.want.AUROC, c.want.AUPRC, c.want.AUPRCTrapezoid, c.want.AUPRCRatio, c.want.EarlyPrecision, c.want.EPR}
		names := []string{"density", "AUROC", "AUPRC", "trapezoid", "ratio", "EP", "EPR"}
		if got.TrueEdges != c.want.TrueEdges || got.Pairs != c.want.Pairs {
			t.Errorf("%s: %d true edges over %d pairs; want %d over %d", c.name, got.TrueEdges, got.Pairs, c.want.TrueEdges, c.want.Pairs)
		}
		for i := range g {
			if math.Abs(g[i]-w[i]) > 1e-12 {
				t.Errorf("%s: %s = %v; want %v", c.name, names[i], g[i], w[i])
			}
		}
	}
}

// TestGRNEarlyPrecisionRounding: scores equal to 6 decimals tie (BEELINE
// rounds), and zero scores never enter the top set.
func TestGRNEarlyPrecisionRounding(t *testing.T) {
	truth := []RegPair{{Regulator: 0, Target: 1}, {Regulator: 1, Target: 0}}
	// k = 2: .3000001 and .3 tie after rounding with .3 (the 2nd), so 3 kept, 1 true.
	pred := []RegPair{{2, 0, 0.3000001, 0}, {0, 1, 0.3, 0}, {2, 1, -0.3, 0}, {1, 0, 0, 0}}
	got, err := GRN(3, truth, pred, GRNOptions{})
	if err != nil || math.Abs(got.EarlyPrecision-1.0/3) > 1e-12 {
		t.Errorf("rounded ties: EP %v, %v; want 1/3", got.EarlyPrecision, err)
	}
	// only zero scores: the top set is empty, EP 0.
	got, err = GRN(3, truth, []RegPair{{0, 1, 0, 0}}, GRNOptions{})
	if err != nil || got.EarlyPrecision != 0 {
		t.Errorf("zero scores: EP %v, %v; want 0", got.EarlyPrecision, err)
	}
}

func TestGRNErrors(t *testing.T) {
	truth := []RegPair{{Regulator: 0, Target: 1}}
	for _, c := range []struct {
		name  string
		genes int
		truth []RegPair
		pred  []RegPair
		want  error
	}{
		{"one gene", 1, truth, nil, ErrInvalidInput},
		{"truth out of range", 2, []RegPair{{Regulator: 0, Target: 2}}, nil, ErrInvalidInput},
		{"pred out of range", 2, truth, []RegPair{{-1, 0, 1, 0}}, ErrInvalidInput},
		{"NaN", 2, truth, []RegPair{{1, 0, math.NaN(), 0}}, ErrInvalidInput},
		{"no true edge", 2, []RegPair{{Regulator: 1, Target: 1}}, nil, ErrUndefined},
	} {
		if _, err := GRN(c.genes, c.truth, c.pred, GRNOptions{}); !errors.Is(err, c.want) {
			t.Errorf("%s: %v; want %v", c.name, err, c.want)
		}
	}
}

func TestGenePairs(t *testing.T) {
	genes := []string{"A", "B", "C"}
	p, dropped, err := GenePairs(genes, []string{"A", "B", "X"}, []string{"B", "C", "A"}, []int8{1, -1, 1}, nil)
	if err != nil || dropped != 1 || len(p) != 2 || p[1] != (RegPair{Regulator: 1, Target: 2, Sign: -1}) {
		t.Errorf("GenePairs: %v, %d dropped, %v", p, dropped, err)
	}
	if _, _, err := GenePairs([]string{"A", "A"}, nil, nil, nil, nil); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("duplicate gene: %v", err)
	}
	if _, _, err := GenePairs(genes, []string{"A"}, nil, nil, nil); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("length mismatch: %v", err)
	}
}

// TestGRNZeroScoresTieWithUnpredicted: BEELINE gives every pair it was not
// given a score of 0, so predictions scored 0 tie with them (unpredicted
// pairs once ranked below every prediction, zeros included). References:
// sklearn 1.2's roc_auc_score and average_precision_score over BEELINE's
// construction (all 20 ordered pairs, missing ones 0), and BEELINE's
// trapezoid AUPRC.
func TestGRNZeroScoresTieWithUnpredicted(t *testing.T) {
	truth := []RegPair{{Regulator: 0, Target: 1}, {Regulator: 1, Target: 2}, {Regulator: 3, Target: 4}}
	pred := []RegPair{{Regulator: 0, Target: 1, Score: 0.9}, {Regulator: 2, Target: 3, Score: 0.8},
		{Regulator: 1, Target: 2}, {Regulator: 0, Target: 2}, {Regulator: 4, Target: 0}}
	s, err := GRN(5, truth, pred, GRNOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"AUROC", s.AUROC, 0.6470588}, {"AUPRC", s.AUPRC, 0.4333333}, {"trapezoid AUPRC", s.AUPRCTrapezoid, 0.55}} {
		if math.Abs(c.got-c.want) > 1e-6 {
			t.Errorf("%s %.7f, reference %.7f", c.name, c.got, c.want)
		}
	}
}
