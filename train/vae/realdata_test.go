package vae

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"genestore/internal/sparse"
	"genestore/store/ingest"
	"genestore/vocab"
)

// TestRealPBMC trains on the two real PBMC samples in ../shared/data
// (pbmc3k_sct283 and pbmc_small, raw UMI counts) as two batches, on the
// genes they share, with the linear decoder, and checks that nothing is
// NaN and that the held-out loss fell. It logs the top genes of the
// loadings for the first cell, as the demo does.
func TestRealPBMC(t *testing.T) {
	root := sharedData(t)
	ctx := context.Background()
	var dss []*ingest.Dataset
	for _, name := range []string{"pbmc3k_sct283", "pbmc_small"} {
		opts := ingest.DefaultOptions()
		// pbmc3k_sct283's obs.csv holds only the barcode column, which the
		// reader refuses; give it an obs file with one constant column.
		if obs := filepath.Join(root, name, "obs.csv"); onlyBarcodes(t, obs) {
			opts.Obs = withSampleColumn(t, obs, name)
		}
		ds, err := ingest.Read(ctx, filepath.Join(root, name), opts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ds.Values != vocab.Counts {
			t.Fatalf("%s: values %q, want counts", name, ds.Values)
		}
		dss = append(dss, ds)
	}
	pos := map[string]int{}
	for j, g := range dss[1].Genes {
		pos[g.ID] = j
	}
	var colsA, colsB []int
	var symbols []string
	for j, g := range dss[0].Genes {
		if k, ok := pos[g.ID]; ok {
			colsA, colsB = append(colsA, j), append(colsB, k)
			symbols = append(symbols, g.Symbol)
		}
	}
	if len(colsA) < 50 {
		t.Fatalf("only %d shared genes", len(colsA))
	}
	a, b := dss[0].X.SelectCols(colsA), dss[1].X.SelectCols(colsB)
	X := &sparse.CSR{Rows: a.Rows + b.Rows, Cols: a.Cols,
		Indptr:  append(append([]int64(nil), a.Indptr...), make([]int64, b.Rows)...),
		Indices: append(append([]int32(nil), a.Indices...), b.Indices...),
		Data:    append(append([]float32(nil), a.Data...), b.Data...)}
	for r := 1; r <= b.Rows; r++ {
		X.Indptr[a.Rows+r] = int64(a.NNZ()) + b.Indptr[r]
	}
	batch := make([]int, X.Rows)
	for i := a.Rows; i < X.Rows; i++ {
		batch[i] = 1
	}
	o := DefaultOptions()
	o.LinearDecoder, o.Latent, o.Epochs, o.Seed = true, 10, 150, 1
	m, rep, err := Train(ctx, Input{X: X, Batch: batch, BatchNames: []string{"pbmc3k_sct283", "pbmc_small"}, Values: vocab.Counts}, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, last := rep.HeldOutLoss[0], rep.HeldOutLoss[rep.BestEpoch-1]
	t.Logf("%d cells × %d shared genes: %d epochs (best %d, early stop %v), held-out −ELBO %.1f → %.1f per cell",
		X.Rows, X.Cols, rep.Epochs, rep.BestEpoch, rep.StoppedEarly, first, last)
	if !(last < first) {
		t.Errorf("held-out loss did not fall: %.2f → %.2f", first, last)
	}
	emb, err := m.Embed(ctx, X, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range emb {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("embedding value %d is %v", i, v)
		}
	}
	dim, vecs, ok := m.GeneLoadings()
	if !ok {
		t.Fatal("no gene loadings from a linear decoder")
	}
	type gs struct {
		g string
		s float64
	}
	var top []gs
	for g := range X.Cols {
		s := 0.0
		for k := range dim {
			s += float64(emb[k]) * float64(vecs[g*dim+k])
		}
		if math.IsNaN(s) {
			t.Fatalf("gene %s score NaN", symbols[g])
		}
		top = append(top, gs{symbols[g], s})
	}
	sort.Slice(top, func(i, j int) bool { return top[i].s > top[j].s })
	t.Logf("top genes of cell 0 by z·w_g: %v", top[:8])
}

// onlyBarcodes reports whether the CSV at path has a single header column.
func onlyBarcodes(t *testing.T, path string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	header, _, _ := strings.Cut(string(b), "\n")
	return !strings.Contains(header, ",")
}

// withSampleColumn writes a copy of the one-column obs CSV at path with a
// "sample" column added and returns the copy's path.
func withSampleColumn(t *testing.T, path, sample string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	for i, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if i == 0 {
			out.WriteString(line + ",sample\n")
			continue
		}
		out.WriteString(line + "," + sample + "\n")
	}
	p := filepath.Join(t.TempDir(), "obs.csv")
	if err := os.WriteFile(p, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
