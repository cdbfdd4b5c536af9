package realbench

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"genestore/internal/sparse"
	"genestore/internal/testutil/shareddata"
	"genestore/pipeline"
	"genestore/store/ingest"
	"genestore/vocab"
)

var long = flag.Bool("long", false, "run the pbmc and genes suites too (minutes)")

func TestMarkerLabels(t *testing.T) {
	var genes []ingest.Gene
	for _, m := range pbmcMarkers {
		for _, g := range m.genes {
			genes = append(genes, ingest.Gene{ID: g, Symbol: strings.ToLower(g)}) // symbols match in any case
		}
	}
	col := func(sym string) int32 {
		for j, g := range genes {
			if g.ID == sym {
				return int32(j)
			}
		}
		t.Fatalf("no %s", sym)
		return 0
	}
	// cell 0: B markers; cell 1: NK; cell 2: nothing
	x := &sparse.CSR{Rows: 3, Cols: len(genes), Indptr: []int64{0, 3, 5, 5},
		Indices: []int32{col("MS4A1"), col("CD79A"), col("CD3E"), col("NKG7"), col("GNLY")},
		Data:    []float32{5, 4, 1, 6, 6}}
	ds := &ingest.Dataset{Values: vocab.Counts, X: x, Genes: genes, Barcodes: []string{"a", "b", "c"}}
	if err := MarkerLabels(ds); err != nil {
		t.Fatal(err)
	}
	got := ds.Column(MarkerColumn)
	if got == nil || strings.Join(got.Values, ",") != "B,NK,none" {
		t.Fatalf("labels %+v", got)
	}
	ds.Genes = ds.Genes[:2]
	ds.X = &sparse.CSR{Rows: 1, Cols: 2, Indptr: []int64{0, 0}}
	if err := MarkerLabels(ds); err == nil {
		t.Error("a dataset without the markers was labelled")
	}
}

func TestRunRefuses(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	if err := Run(ctx, Options{Data: t.TempDir(), Suites: []string{"nope"}}, &out, nil); err == nil || !strings.Contains(err.Error(), "unknown suite") {
		t.Errorf("unknown suite: %v", err)
	}
	if err := Run(ctx, Options{Data: t.TempDir(), Suites: []string{"cellbench"}}, &out, nil); err == nil || !strings.Contains(err.Error(), "cellbench_3cl_celseq2") {
		t.Errorf("missing dataset: %v", err)
	}
}

// TestCellBench is issue 21's CellBench bar on the real data: the cell
// model transfers cell lines from CEL-seq2 to Drop-seq with macro-F1 ≥ 0.95
// and mixes the technologies at least as well as PCA (batch ASW). With
// -long the PBMC chemistries run too (logged). Skips without
// ../shared/data.
func TestCellBench(t *testing.T) {
	data := shareddata.Dir(t)
	o := DefaultOptions()
	o.Data, o.Suites = data, []string{"cellbench"}
	if *long {
		o.Suites = append(o.Suites, "pbmc")
	}
	var out bytes.Buffer
	if err := Run(context.Background(), o, &out, nil); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]Line{}
	for _, b := range bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n")) {
		var l Line
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatal(err)
		}
		if got[l.Suite] == nil {
			got[l.Suite] = map[string]Line{}
		}
		got[l.Suite][l.Method] = l
		t.Logf("%s %s: %v", l.Suite, l.Method, l.Metrics)
	}
	m, p := got["cellbench"]["model"].Metrics, got["cellbench"]["pca"].Metrics
	if m["transfer_macro_f1"] < 0.95 {
		t.Errorf("CEL-seq2 → Drop-seq macro-F1 %.3f < 0.95", m["transfer_macro_f1"])
	}
	if m["batch_asw"] < p["batch_asw"] {
		t.Errorf("batch ASW %.3f below PCA's %.3f", m["batch_asw"], p["batch_asw"])
	}
}

// TestFillCellBench is issue 19's label-transfer bar on real data:
// CEL-seq2 → Drop-seq with half the Drop-seq genes removed, predicted
// fill scores at least zero fill. Small models, one draw (under a minute
// on two cores); skips without ../shared/data.
func TestFillCellBench(t *testing.T) {
	data := shareddata.Dir(t)
	o := DefaultOptions()
	o.Data, o.Suites, o.FillDraws = data, []string{"fill"}, 1
	co := pipeline.DefaultCellOptions()
	co.HVG, co.Model.Epochs = 1000, 60
	eo := FillExprOptions()
	eo.AutoLandmarks, eo.MaxTargets, eo.Model.Hidden, eo.Model.Epochs = 200, 1000, []int{128}, 30
	o.Cells, o.Expr = &co, &eo
	var out bytes.Buffer
	if err := Run(context.Background(), o, &out, nil); err != nil {
		t.Fatal(err)
	}
	f1 := map[string]float64{}
	for _, b := range bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n")) {
		var l Line
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatal(err)
		}
		f1[l.Method] = l.Metrics["transfer_macro_f1"]
	}
	t.Logf("CEL-seq2 → Drop-seq macro-F1: every gene %.3f (never-measured genes predicted %.3f); half the genes removed: zero-fill %.3f, predicted %.3f",
		f1["full"], f1["full_predict"], f1["zero"], f1["predict"])
	if f1["predict"] < f1["zero"] {
		t.Errorf("predicted fill %.3f < zero fill %.3f", f1["predict"], f1["zero"])
	}
}
