package query_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"genestore/internal/sparse"
	"genestore/query"
	"genestore/query/eval"
	"genestore/query/querytest"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/vocab"
)

func TestGeneNeighbors(t *testing.T) {
	cfg := querytest.DefaultConfig()
	cfg.OldModel = true
	f := newFixture(t, cfg)
	ctx := context.Background()
	t.Run("share module and equal brute force", func(t *testing.T) {
		var same, total, found, want int
		for i := 0; i < cfg.Genes; i += 7 {
			ans, err := f.e.GeneNeighbors(ctx, query.GeneNeighborsRequest{Symbol: f.tr.Symbols[i], K: 10})
			if err != nil {
				t.Fatal(err)
			}
			if ans.ModelVersion != querytest.GeneModel || ans.From != vocab.ConsensusName || len(ans.Neighbors) != 10 {
				t.Fatalf("answer header %+v", ans)
			}
			got := map[uint64]bool{}
			for r, h := range ans.Neighbors {
				if h.Rank != r+1 || h.Dataset != vocab.ConsensusName || h.Symbol == f.tr.Symbols[i] {
					t.Fatalf("hit %+v", h)
				}
				if r > 0 && h.Score > ans.Neighbors[r-1].Score {
					t.Fatalf("hits not sorted: %v", ans.Neighbors)
				}
				if f.tr.Module[f.geneIndex(h.Symbol)] == f.tr.Module[i] {
					same++
				}
				total++
				got[vocab.EntityKey(vocab.Consensus, h.GeneID)] = true
			}
			var q []float32
			f.db.View(func(tx *store.Tx) (err error) {
				q, err = tx.Embedding("genes", vocab.Consensus, f.tr.GeneIDs[i])
				return err
			})
			self := vocab.EntityKey(vocab.Consensus, f.tr.GeneIDs[i])
			for _, k := range bruteForce(t, f.db, "genes", vocab.Consensus, q, 10, func(k uint64) bool { return k == self }) {
				want++
				if got[k] {
					found++
				}
			}
		}
		if frac := float64(same) / float64(total); frac < 0.95 {
			t.Errorf("neighbours in the same module: %.3f, want ≥ 0.95", frac)
		}
		if recall := float64(found) / float64(want); recall < 0.98 {
			t.Errorf("recall@10 against exact search: %.3f, want ≥ 0.98", recall)
		}
	})
	tests := []struct {
		name    string
		req     query.GeneNeighborsRequest
		wantErr error
		check   func(t *testing.T, a *query.GeneNeighbors)
	}{
		{"lower case", query.GeneNeighborsRequest{Symbol: "g00003"}, nil, func(t *testing.T, a *query.GeneNeighbors) {
			if a.Gene.Symbol != "G00003" || a.Gene.Alias || a.K != 10 {
				t.Errorf("gene %+v k %d", a.Gene, a.K)
			}
		}},
		{"alias", query.GeneNeighborsRequest{Symbol: "OldG00003"}, nil, func(t *testing.T, a *query.GeneNeighbors) {
			if a.Gene.Symbol != "G00003" || !a.Gene.Alias {
				t.Errorf("gene %+v", a.Gene)
			}
		}},
		{"dataset vector searches its own set", query.GeneNeighborsRequest{Symbol: "G00004", Dataset: "ds2", K: 5}, nil, func(t *testing.T, a *query.GeneNeighbors) {
			for _, h := range a.Neighbors {
				if h.Dataset != "ds2" {
					t.Errorf("hit %+v outside ds2", h)
				}
			}
		}},
		{"restrict and exclude", query.GeneNeighborsRequest{Symbol: "G00004", Restrict: []string{"ds2", "consensus"}, Exclude: []string{"old"}, K: 30}, nil, func(t *testing.T, a *query.GeneNeighbors) {
			seen := map[string]bool{}
			for _, h := range a.Neighbors {
				seen[h.Dataset] = true
				if h.GeneID == a.Gene.ID {
					t.Errorf("query gene returned: %+v", h)
				}
			}
			if seen["ds1"] || !seen["ds2"] || !seen["consensus"] {
				t.Errorf("datasets seen %v", seen)
			}
		}},
		{"old model refused when named", query.GeneNeighborsRequest{Symbol: "G00004", Restrict: []string{"old", "ds1"}}, query.ErrModelMismatch, nil},
		{"old model vector searches only its version", query.GeneNeighborsRequest{Symbol: "G00004", Dataset: "old"}, nil, func(t *testing.T, a *query.GeneNeighbors) {
			if a.ModelVersion != querytest.OldGeneModel {
				t.Errorf("model %q", a.ModelVersion)
			}
		}},
		{"unknown gene", query.GeneNeighborsRequest{Symbol: "NOPE"}, query.ErrNotFound, nil},
		{"unknown dataset", query.GeneNeighborsRequest{Symbol: "G00001", Dataset: "nope"}, query.ErrNotFound, nil},
		{"bad k", query.GeneNeighborsRequest{Symbol: "G00001", K: -1}, query.ErrInvalid, nil},
		{"huge k", query.GeneNeighborsRequest{Symbol: "G00001", K: 1 << 30}, query.ErrInvalid, nil},
		{"empty symbol", query.GeneNeighborsRequest{Symbol: " "}, query.ErrInvalid, nil},
		{"both restricted and excluded", query.GeneNeighborsRequest{Symbol: "G00001", Restrict: []string{"ds1"}, Exclude: []string{"ds1"}}, query.ErrInvalid, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := f.e.GeneNeighbors(ctx, tc.req)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, a)
		})
	}
}

func TestCellQueries(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	var same, total int
	datasets := map[string]bool{}
	for d := range f.tr.Datasets {
		for r := 0; r < len(f.tr.Types[d]); r += 23 {
			a, err := f.e.CellNeighbors(ctx, query.CellNeighborsRequest{Dataset: f.tr.Datasets[d], Barcode: f.tr.Barcodes[d][r], K: 10})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range a.Neighbors {
				dd := map[string]int{"ds1": 0, "ds2": 1}[h.Dataset]
				if h.Dataset == f.tr.Datasets[d] && h.Cell == uint32(r) {
					t.Fatalf("query cell returned")
				}
				if h.Barcode != f.tr.Barcodes[dd][h.Cell] {
					t.Fatalf("barcode %q for cell %d of %s", h.Barcode, h.Cell, h.Dataset)
				}
				datasets[h.Dataset] = true
				if f.tr.Types[dd][h.Cell] == f.tr.Types[d][r] {
					same++
				}
				total++
			}
			// top genes of the cell are its type's module
			tg, err := f.e.CellTopGenes(ctx, f.tr.Datasets[d], f.tr.Barcodes[d][r], 5)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range tg.Genes {
				if f.tr.Module[f.geneIndex(g.Symbol)] != f.tr.Types[d][r] {
					t.Errorf("top gene %s (module %d) for a type-%d cell", g.Symbol, f.tr.Module[f.geneIndex(g.Symbol)], f.tr.Types[d][r])
				}
			}
		}
	}
	if frac := float64(same) / float64(total); frac < 0.95 {
		t.Errorf("cell neighbours of the same type: %.3f", frac)
	}
	if !datasets["ds1"] || !datasets["ds2"] {
		t.Errorf("neighbours come from %v, want both datasets", datasets)
	}
	for i := 0; i < 16; i++ {
		a, err := f.e.GeneCells(ctx, query.GeneCellsRequest{Symbol: f.tr.Symbols[i], K: 10})
		if err != nil {
			t.Fatal(err)
		}
		for j, c := range a.Cells {
			dd := map[string]int{"ds1": 0, "ds2": 1}[c.Dataset]
			if f.tr.Types[dd][c.Cell] != f.tr.Module[i] {
				t.Errorf("gene %s (module %d): cell %d of %s has type %d", f.tr.Symbols[i], f.tr.Module[i], c.Cell, c.Dataset, f.tr.Types[dd][c.Cell])
			}
			if j > 0 && c.Score > a.Cells[j-1].Score {
				t.Errorf("cells not sorted by inner product")
			}
		}
	}
	// Exclude leaves a dataset out of gene → cells (it was ignored).
	ex, err := f.e.GeneCells(ctx, query.GeneCellsRequest{Symbol: f.tr.Symbols[0], K: 10, Exclude: []string{"ds1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Cells) != 10 {
		t.Errorf("gene cells excluding ds1: %d cells", len(ex.Cells))
	}
	for _, c := range ex.Cells {
		if c.Dataset != "ds2" {
			t.Errorf("gene cells excluding ds1 answered a cell of %s", c.Dataset)
		}
	}
	if _, err := f.e.CellNeighbors(ctx, query.CellNeighborsRequest{Dataset: "ds1", Barcode: "nope"}); !errors.Is(err, query.ErrNotFound) {
		t.Errorf("unknown barcode: %v", err)
	}
	if _, err := f.e.CellNeighbors(ctx, query.CellNeighborsRequest{Dataset: "consensus", Barcode: "x"}); !errors.Is(err, query.ErrInvalid) {
		t.Errorf("consensus cell: %v", err)
	}
}

// TestCoexprNoEdges: a dataset without a co-expression graph is named in
// the error, not given by its internal id.
func TestCoexprNoEdges(t *testing.T) {
	cfg := querytest.DefaultConfig()
	cfg.Edges = false
	f := newFixture(t, cfg)
	_, err := f.e.Coexpr(context.Background(), query.CoexprRequest{Symbol: "G00000", Dataset: "ds2"})
	if !errors.Is(err, query.ErrNotFound) || !strings.Contains(err.Error(), `dataset "ds2" has no co-expression edges`) {
		t.Errorf("coexpr in a dataset without edges: %v", err)
	}
}

func TestCoexpr(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	// G00000 is in module 0 (edges in both datasets); G00001 in module 1
	// (edges only in ds1), both joined by a negative edge in both.
	a, err := f.e.Coexpr(ctx, query.CoexprRequest{Symbol: "G00000"})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Datasets) != 2 || len(a.Partners) == 0 {
		t.Fatalf("answer %+v", a)
	}
	var posCos, negCos []float32
	for _, p := range a.Partners {
		m := f.tr.Module[f.geneIndex(p.Symbol)]
		if p.Conserved != 2 || len(p.Edges) != 2 {
			t.Errorf("partner %+v: conserved %d, want 2", p.Symbol, p.Conserved)
		}
		switch {
		case m == 0 && p.Sign == "+":
			posCos = append(posCos, *p.Cosine)
		case m == 1 && p.Sign == "-":
			negCos = append(negCos, *p.Cosine)
		default:
			t.Errorf("partner %s (module %d) sign %s", p.Symbol, m, p.Sign)
		}
	}
	if len(negCos) != 1 || len(posCos) != 3 {
		t.Fatalf("partners: %d positive, %d negative", len(posCos), len(negCos))
	}
	for _, c := range posCos {
		if c <= negCos[0] {
			t.Errorf("module partner cosine %.3f ≤ cross-module %.3f", c, negCos[0])
		}
	}
	b, err := f.e.Coexpr(ctx, query.CoexprRequest{Symbol: "G00001"})
	if err != nil {
		t.Fatal(err)
	}
	if b.Partners[0].Conserved != 2 || b.Partners[0].Sign != "-" || b.Partners[1].Conserved != 1 {
		t.Errorf("ranking by conservation: %+v", b.Partners[:2])
	}
	c, err := f.e.Coexpr(ctx, query.CoexprRequest{Symbol: "G00001", Dataset: "ds2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Partners) != 1 || c.Partners[0].Symbol != "G00000" || c.Partners[0].MeanWeight != -0.4 {
		t.Errorf("ds2 partners of G00001: %+v", c.Partners)
	}
}

func TestClusters(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	req := query.ClusterRequest{Space: "genes", Resolution: 1}
	if _, err := f.e.Clusters(ctx, req); !errors.Is(err, query.ErrNotComputed) {
		t.Fatalf("absent clustering without Compute: %v", err)
	}
	req.Compute = true
	sum, err := f.e.Clusters(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Computed || sum.Name != "leiden_r1.0" || sum.Entities != f.cfg.Genes || sum.Provenance.ModelVersion != querytest.GeneModel {
		t.Errorf("summary %+v", sum)
	}
	var c query.Clustering
	c, err = f.clustering(ctx, "genes", "leiden_r1.0")
	if err != nil {
		t.Fatal(err)
	}
	pred := make([]int, len(c.Keys))
	truth := make([]int, len(c.Keys))
	for i, k := range c.Keys {
		_, id := vocab.SplitEntityKey(k)
		for g, gid := range f.tr.GeneIDs {
			if gid == id {
				truth[i] = f.tr.Module[g]
			}
		}
		pred[i] = int(c.Labels[i])
	}
	if ari, _ := eval.ARI(truth, pred); ari < 0.9 {
		t.Errorf("gene modules ARI %.3f", ari)
	}
	again, err := f.e.Clusters(ctx, req)
	if err != nil || again.Computed {
		t.Errorf("second call recomputed (%v)", err)
	}
	m, err := f.e.GeneCluster(ctx, req, "g00002", query.MemberOptions{Enrich: querytest.Collection})
	if err != nil {
		t.Fatal(err)
	}
	if m.Gene == nil || m.Gene.Symbol != "G00002" || len(m.Enrichment) == 0 || m.Enrichment[0].SetID != "MOD:2" || m.Enrichment[0].FDR > 1e-6 {
		t.Errorf("cluster of G00002: %+v", m)
	}
	for _, mem := range m.Members {
		if f.tr.Module[f.geneIndex(mem.Symbol)] != 2 {
			t.Errorf("member %s not in module 2", mem.Symbol)
		}
	}
	byID, err := f.e.ClusterMembers(ctx, req, m.Cluster, query.MemberOptions{MaxMembers: 3})
	if err != nil || byID.Size != m.Size || len(byID.Members) != 3 || !byID.Truncated {
		t.Errorf("cluster %d by id: %+v %v", m.Cluster, byID, err)
	}
	if _, err := f.e.ClusterMembers(ctx, req, 999, query.MemberOptions{}); !errors.Is(err, query.ErrNotFound) {
		t.Errorf("unknown cluster: %v", err)
	}

	// cells
	creq := query.ClusterRequest{Space: "cells", Resolution: 0.5, Compute: true}
	if _, err := f.e.Clusters(ctx, creq); err != nil {
		t.Fatal(err)
	}
	cc, err := f.clustering(ctx, "cells", "leiden_r0.5")
	if err != nil {
		t.Fatal(err)
	}
	truth, pred = truth[:0], pred[:0]
	for i, k := range cc.Keys {
		d, r := vocab.SplitEntityKey(k)
		truth = append(truth, f.tr.Types[d-f.tr.DatasetIDs[0]][r])
		pred = append(pred, int(cc.Labels[i]))
	}
	if ari, _ := eval.ARI(truth, pred); ari < 0.9 {
		t.Errorf("cell types ARI %.3f", ari)
	}
	cm, err := f.e.CellCluster(ctx, creq, "ds2", f.tr.Barcodes[1][5], query.MemberOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mk, err := f.e.ClusterMarkers(ctx, creq, cm.Cluster, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range mk.Genes {
		if f.tr.Module[f.geneIndex(g.Symbol)] != f.tr.Types[1][5] {
			t.Errorf("marker %s of the cluster of a type-%d cell", g.Symbol, f.tr.Types[1][5])
		}
	}
	// the same cells as a selection (the browser's lasso) give the same genes
	var sel []uint64
	for i, k := range cc.Keys {
		if int(cc.Labels[i]) == cm.Cluster {
			sel = append(sel, k)
		}
	}
	// (a cell lassoed twice counts once)
	sm, err := f.e.SelectionMarkers(ctx, append(slices.Clone(sel), sel[0], sel[0], sel[0]), 5)
	if err != nil {
		t.Fatal(err)
	}
	if sm.Cells != mk.Cells || len(sm.Genes) != len(mk.Genes) {
		t.Fatalf("selection markers %+v, cluster markers %+v", sm, mk)
	}
	for i := range sm.Genes {
		if sm.Genes[i].Symbol != mk.Genes[i].Symbol {
			t.Errorf("selection marker %d: %s, cluster marker %s", i, sm.Genes[i].Symbol, mk.Genes[i].Symbol)
		}
	}
	if _, err := f.e.SelectionMarkers(ctx, nil, 5); !errors.Is(err, query.ErrInvalid) {
		t.Errorf("empty selection: %v", err)
	}
}

func TestAnnotate(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	a, err := f.e.AnnotateGenes(ctx, query.AnnotateGenesRequest{Collection: querytest.Collection, Write: true})
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for _, g := range a.Genes {
		if len(g.Terms) > 0 && g.Terms[0].Term == fmt.Sprintf("MOD:%d", f.tr.Module[f.geneIndex(g.Gene.Symbol)]) && g.Terms[0].Known {
			right++
		}
	}
	if frac := float64(right) / float64(len(a.Genes)); len(a.Genes) != f.cfg.Genes || frac < 0.95 {
		t.Errorf("%d genes annotated, %.3f with their module's set first", len(a.Genes), frac)
	}
	rows, prov, err := f.predictions(ctx, vocab.KindGoTerms, querytest.Collection)
	if err != nil || len(rows) == 0 || prov.ModelVersion != querytest.GeneModel || len(rows[0].Evidence) == 0 {
		t.Fatalf("stored predictions: %d rows, %+v, %v", len(rows), prov, err)
	}
	// one gene again, with the same vote: its rows are replaced, the
	// others kept (TestAnnotateGenesMergeOtherVote: another vote is refused)
	one, err := f.e.AnnotateGenes(ctx, query.AnnotateGenesRequest{Collection: querytest.Collection, Genes: []string{"G00005"}, Write: true})
	if err != nil || len(one.Genes) != 1 {
		t.Fatal(err)
	}
	rows2, _, _ := f.predictions(ctx, vocab.KindGoTerms, querytest.Collection)
	if len(rows2) != len(rows) {
		t.Errorf("merge of one gene: %d rows before, %d after", len(rows), len(rows2))
	}

	c, err := f.e.AnnotateCells(ctx, query.AnnotateCellsRequest{References: []string{"ds1"}, Label: "cell_type", Query: "ds2", Write: true, Rows: true})
	if err != nil {
		t.Fatal(err)
	}
	truth := make([]string, len(c.Rows))
	pred := make([]string, len(c.Rows))
	for i, r := range c.Rows {
		truth[i] = fmt.Sprintf("T%d", f.tr.Types[1][r.Cell])
		pred[i] = r.Label
	}
	if f1, _ := eval.MacroF1(truth, pred); f1 < 0.95 {
		t.Errorf("label transfer macro-F1 %.3f", f1)
	}
	p, _, err := f.predictions(ctx, vocab.KindCellLabels, "ds2:cell_type")
	if err != nil || len(p) != c.Cells || !c.Written {
		t.Errorf("stored cell labels: %d, %v", len(p), err)
	}
	if _, err := f.e.AnnotateCells(ctx, query.AnnotateCellsRequest{References: []string{"ds1"}, Label: "nope", Query: "ds2"}); !errors.Is(err, query.ErrNotFound) ||
		!strings.Contains(err.Error(), `reference dataset "ds1" has no obs column "nope"`) {
		t.Errorf("unknown label column: %v, want an error naming the dataset", err)
	}
	// a threshold above 1 is refused (this once read "if err == nil && …",
	// so the refusal made it check nothing); a negative one is no threshold
	if _, err := f.e.AnnotateCells(ctx, query.AnnotateCellsRequest{References: []string{"ds1"}, Label: "cell_type", Query: "ds2", MinConfidence: 1.5}); !errors.Is(err, query.ErrInvalid) {
		t.Errorf("min confidence 1.5: %v, want ErrInvalid", err)
	}
	u, err := f.e.AnnotateCells(ctx, query.AnnotateCellsRequest{References: []string{"ds1"}, Label: "cell_type", Query: "ds2", MinConfidence: -1, Rows: true})
	if err != nil || u.Unassigned != 0 {
		t.Errorf("no threshold: %v, %d unassigned", err, u.Unassigned)
	}
	strict, err := f.e.AnnotateCells(ctx, query.AnnotateCellsRequest{References: []string{"ds1"}, Label: "cell_type", Query: "ds2", MinConfidence: 1, Rows: true})
	if err != nil {
		t.Fatal(err)
	}
	below := 0
	for _, r := range u.Rows {
		if r.Confidence < 1 {
			below++
		}
	}
	if strict.Unassigned != below {
		t.Errorf("min confidence 1: %d unassigned, %d cells below a unanimous vote", strict.Unassigned, below)
	}
	// QueryVectors stand in for the stored ones: every query cell at one
	// module's direction gets one label; a wrong length is refused.
	dim := querytest.DefaultConfig().Dim
	qv := make([]float32, c.Cells*dim)
	for i := 0; i < len(qv); i += dim {
		qv[i+2] = 1
	}
	same, err := f.e.AnnotateCells(ctx, query.AnnotateCellsRequest{References: []string{"ds1"}, Label: "cell_type", Query: "ds2", QueryVectors: qv})
	if err != nil || len(same.Labels) != 1 || same.Labels[0].Count != c.Cells {
		t.Errorf("query vectors all alike: labels %+v, %v", same, err)
	}
	if _, err := f.e.AnnotateCells(ctx, query.AnnotateCellsRequest{References: []string{"ds1"}, Label: "cell_type", Query: "ds2", QueryVectors: qv[1:]}); !errors.Is(err, query.ErrInvalid) {
		t.Errorf("query vectors of a wrong length: %v", err)
	}
}

// TestAppendSeenAndConcurrent: queries running while a writer adds a dataset
// see it once committed, and concurrent queries agree.
func TestAppendSeenAndConcurrent(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	q := query.CellNeighborsRequest{Dataset: "ds1", Barcode: f.tr.Barcodes[0][0], K: 5}
	first, err := f.e.CellNeighbors(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, err := f.e.CellNeighbors(ctx, q); err != nil {
					errs <- err
					return
				}
				if _, err := f.e.GeneNeighbors(ctx, query.GeneNeighborsRequest{Symbol: "G00001"}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	// append dataset ds3: 3 cells placed exactly on the query cell's vector
	var vec []float32
	f.db.View(func(tx *store.Tx) (err error) { vec, err = tx.Embedding("cells", f.tr.DatasetIDs[0], 0); return err })
	ds := &ingest.Dataset{Format: "sim", Values: vocab.Counts, X: &sparse.CSR{Rows: 3, Cols: 1, Indptr: make([]int64, 4)},
		Genes: []ingest.Gene{{ID: "X", Symbol: "X"}}, Barcodes: []string{"a", "b", "c"}}
	info, err := f.db.AddDataset(ctx, "ds3", ds, store.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = f.db.Update(func(tx *store.Tx) error {
		v3 := append(append(append([]float32{}, vec...), vec...), vec...)
		return tx.PutEmbeddings("cells", info.ID, []uint32{0, 1, 2}, len(vec), v3, store.Provenance{Kind: "cell-model", ModelVersion: querytest.CellModel})
	})
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	after, err := f.e.CellNeighbors(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if after.Neighbors[i].Dataset != "ds3" {
			t.Errorf("after append, neighbour %d is %+v (before: %+v)", i, after.Neighbors[i], first.Neighbors[i])
		}
	}
}

// TestCellModelVersions: cells of another model version are skipped and
// reported, and refused when named.
func TestCellModelVersions(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	ds := &ingest.Dataset{Format: "sim", Values: vocab.Counts, X: &sparse.CSR{Rows: 2, Cols: 1, Indptr: make([]int64, 3)},
		Genes: []ingest.Gene{{ID: "X", Symbol: "X"}}, Barcodes: []string{"a", "b"}}
	info, err := f.db.AddDataset(ctx, "oldcells", ds, store.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var vec []float32
	f.db.View(func(tx *store.Tx) (err error) { vec, err = tx.Embedding("cells", f.tr.DatasetIDs[0], 0); return err })
	err = f.db.Update(func(tx *store.Tx) error {
		return tx.PutEmbeddings("cells", info.ID, []uint32{0, 1}, len(vec), append(append([]float32{}, vec...), vec...),
			store.Provenance{Kind: "cell-model", ModelVersion: "cell-model-0"})
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.e.CellNeighbors(ctx, query.CellNeighborsRequest{Dataset: "ds1", Barcode: f.tr.Barcodes[0][0], K: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Skipped) != 1 || a.Skipped[0].Dataset != "oldcells" || a.Skipped[0].ModelVersion != "cell-model-0" {
		t.Errorf("skipped %+v", a.Skipped)
	}
	for _, h := range a.Neighbors {
		if h.Dataset == "oldcells" {
			t.Errorf("a cell of another model version was compared: %+v", h)
		}
	}
	gc, err := f.e.GeneCells(ctx, query.GeneCellsRequest{Symbol: "G00001"})
	if err != nil || len(gc.Skipped) != 1 {
		t.Errorf("gene cells skipped %+v, %v", gc, err)
	}
	if _, err := f.e.CellNeighbors(ctx, query.CellNeighborsRequest{Dataset: "ds1", Barcode: f.tr.Barcodes[0][0], Restrict: []string{"oldcells"}}); !errors.Is(err, query.ErrModelMismatch) {
		t.Errorf("named old set: %v", err)
	}
	if _, err := f.e.CellNeighbors(ctx, query.CellNeighborsRequest{Dataset: "oldcells", Barcode: "a"}); err != nil {
		t.Errorf("query from the old set: %v", err)
	}
	if _, err := f.e.AnnotateCells(ctx, query.AnnotateCellsRequest{References: []string{"oldcells"}, Label: "cell_type", Query: "ds1"}); !errors.Is(err, query.ErrModelMismatch) {
		t.Errorf("label transfer across model versions: %v", err)
	}
	if _, err := f.e.Clusters(ctx, query.ClusterRequest{Space: "cells", Compute: true}); !errors.Is(err, query.ErrModelMismatch) {
		t.Errorf("clustering across model versions: %v", err)
	}
}
