package command

import (
	"bytes"
	"strings"
	"testing"

	"genestore/pipeline"
)

// TestPrintEvaluationEveryBaseline: the table has a column for every
// baseline the evaluation scored, the named ones first, so eval cells shows
// the cells-from-genes space its help promises (it was only in --json).
func TestPrintEvaluationEveryBaseline(t *testing.T) {
	ev := &pipeline.Evaluation{
		Model: pipeline.Metrics{"nmi": 0.5},
		Baselines: map[string]pipeline.Metrics{
			"pca": {"nmi": 0.6}, "pca50": {"nmi": 0.7}, "cells-from-genes": {"nmi": 0.8},
		},
	}
	var b bytes.Buffer
	if err := printEvaluation(&b, ev, []string{"pca", "pca50"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if h := strings.Fields(lines[0]); strings.Join(h, " ") != "metric model pca pca50 cells-from-genes" {
		t.Errorf("header %q", lines[0])
	}
	if r := strings.Fields(lines[1]); strings.Join(r, " ") != "nmi 0.5000 0.6000 0.7000 0.8000" {
		t.Errorf("row %q", lines[1])
	}
}
