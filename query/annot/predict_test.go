package annot

import (
	"errors"
	"math"
	"reflect"
	"testing"
)

func TestPredictTerms(t *testing.T) {
	nb := []Neighbor{{"C", 0.5}, {"A", 0.9}, {"D", -0.3}, {"B", 0.6}}
	g2t := map[string][]string{"A": {"T1", "T2"}, "B": {"T1", "T1"}, "D": {"T3"}}
	// total weight 0.9+0.6+0.5 = 2.0; T1 = 1.5/2, T2 = 0.9/2; D is negative
	got := PredictTerms(nb, g2t, 0)
	want := []TermPrediction{
		{Term: "T1", Score: 0.75, Evidence: []string{"A", "B"}},
		{Term: "T2", Score: 0.45, Evidence: []string{"A"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].Term != want[i].Term || math.Abs(float64(got[i].Score-want[i].Score)) > 1e-6 || !reflect.DeepEqual(got[i].Evidence, want[i].Evidence) {
			t.Errorf("%d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if top := PredictTerms(nb, g2t, 1); len(top) != 1 || top[0].Term != "T1" {
		t.Errorf("topN: %+v", top)
	}
	if none := PredictTerms([]Neighbor{{"A", -1}}, g2t, 0); none != nil {
		t.Errorf("no positive weight: %+v", none)
	}
}

func TestTransferLabels(t *testing.T) {
	labels := [][]string{{"x", "x", "y"}, {"y", "x"}, {"x", "y", "z"}, {}, {"x"}}
	sims := [][]float32{{0.9, 0.8, 0.7}, {0.5, 0.5}, {0.4, 0.3, 0.3}, {}, {-1}}
	got, err := TransferLabels(labels, sims, TransferOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Assignment{
		{Label: "x", Confidence: 1.7 / 2.4, Top: "x"},
		{Label: "x", Confidence: 0.5, Top: "x"}, // tie → equal best → smaller label; 0.5 ≥ 0.5
		{Label: "Unassigned", Confidence: 0.4, Top: "x"},
		{Label: "Unassigned"},
		{Label: "Unassigned"},
	}
	for i := range want {
		if got[i].Label != want[i].Label || got[i].Top != want[i].Top || math.Abs(float64(got[i].Confidence-want[i].Confidence)) > 1e-6 {
			t.Errorf("query %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	// custom threshold/label, plain majority without similarities
	got, _ = TransferLabels([][]string{{"a", "b", "b"}}, nil, TransferOptions{MinConfidence: 0.9, Unassigned: "?"})
	if got[0].Label != "?" || math.Abs(float64(got[0].Confidence)-2.0/3) > 1e-6 {
		t.Errorf("majority: %+v", got[0])
	}
	got, _ = TransferLabels([][]string{{"a", "b", "c"}}, nil, TransferOptions{MinConfidence: -1})
	if got[0].Label != "a" {
		t.Errorf("no threshold: %+v", got[0])
	}
	if _, err := TransferLabels(labels, sims[:2], TransferOptions{}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("shape: %v", err)
	}
	if _, err := TransferLabels(labels, nil, TransferOptions{MinConfidence: 2}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("bad option: %v", err)
	}
}
