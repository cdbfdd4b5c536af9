package query_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"genestore/internal/cputime"
	"genestore/query"
	"genestore/query/querytest"
	"genestore/store"
	"genestore/vocab"
)

func TestParseWhere(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want query.Where
		bad  bool
	}{
		{in: nil, want: nil},
		{in: []string{"cell_type=T1", "cell_type=T2", "bucket=b00"},
			want: query.Where{{Column: "cell_type", Values: []string{"T1", "T2"}}, {Column: "bucket", Values: []string{"b00"}}}},
		{in: []string{"a=x=y", "a="}, want: query.Where{{Column: "a", Values: []string{"x=y", ""}}}},
		{in: []string{"cluster:leiden_r1.0=3", "cluster:leiden_r1.0=4"},
			want: query.Where{{Clustering: "leiden_r1.0", Values: []string{"3", "4"}}}},
		{in: []string{"cluster:leiden_r1.0=03", "cluster:leiden_r1.0=3", "cluster:leiden_r1.0=+4"},
			want: query.Where{{Clustering: "leiden_r1.0", Values: []string{"3", "4"}}}},
		{in: []string{"novalue"}, bad: true},
		{in: []string{"=x"}, bad: true},
		{in: []string{"cluster:=3"}, bad: true},
		{in: []string{"cluster:leiden_r1.0=three"}, bad: true},
	} {
		got, err := query.ParseWhere(c.in)
		if c.bad {
			if !errors.Is(err, query.ErrInvalid) {
				t.Errorf("ParseWhere(%q) = %v, %v; want ErrInvalid", c.in, got, err)
			}
			continue
		}
		// Compared whole: Sprint would print only the selectors (String).
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseWhere(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

// allCells reads every cell vector of the store with its key.
func allCells(t testing.TB, db *store.DB, tr *querytest.Truth) ([]uint64, []float32, int) {
	t.Helper()
	var keys []uint64
	var vecs []float32
	var dim int
	err := db.View(func(tx *store.Tx) error {
		for _, ds := range tr.DatasetIDs {
			ids, d, v, err := tx.Embeddings(vocab.SpaceCells, ds)
			if err != nil {
				return err
			}
			for _, id := range ids {
				keys = append(keys, vocab.EntityKey(ds, id))
			}
			vecs, dim = append(vecs, v...), d
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys, vecs, dim
}

// exactFiltered is the brute-force answer: the k admitted keys nearest
// cell q by cosine.
func exactFiltered(keys []uint64, vecs []float32, dim, q, k int, admit func(uint64) bool) []uint64 {
	type kv struct {
		k uint64
		s float64
	}
	cos := func(a, b []float32) float64 {
		var ab, aa, bb float64
		for j := range a {
			ab += float64(a[j]) * float64(b[j])
			aa += float64(a[j]) * float64(a[j])
			bb += float64(b[j]) * float64(b[j])
		}
		return ab / math.Sqrt(aa*bb)
	}
	var all []kv
	for i, key := range keys {
		if i != q && admit(key) {
			all = append(all, kv{key, cos(vecs[q*dim:(q+1)*dim], vecs[i*dim:(i+1)*dim])})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].s > all[j].s })
	out := []uint64{}
	for i := 0; i < k && i < len(all); i++ {
		out = append(out, all[i].k)
	}
	return out
}

// whereRecall runs nq filtered cell-neighbour queries and returns the
// recall@k against exact filtered search, the queries per CPU-second (the
// queries alone, one at a time), and whether every answer passed the filter.
func whereRecall(tb testing.TB, f *fixture, where []string, admit func(d, r int) bool, nq, k int) (recall, qps float64, ok bool) {
	tb.Helper()
	ctx := context.Background()
	keys, vecs, dim := allCells(tb, f.db, f.tr)
	dsIndex := map[uint32]int{}
	for i, id := range f.tr.DatasetIDs {
		dsIndex[id] = i
	}
	admitKey := func(key uint64) bool {
		d, r := vocab.SplitEntityKey(key)
		return admit(dsIndex[d], int(r))
	}
	ok = true
	var hit, total int
	var took float64
	step := max(1, len(keys)/nq)
	for q := 0; q < len(keys) && q/step < nq; q += step {
		d, r := vocab.SplitEntityKey(keys[q])
		di := dsIndex[d]
		start := cputime.Seconds()
		a, err := f.e.CellNeighbors(ctx, query.CellNeighborsRequest{Dataset: f.tr.Datasets[di], Barcode: f.tr.Barcodes[di][r], K: k, Where: where})
		took += cputime.Seconds() - start
		if err != nil {
			tb.Fatal(err)
		}
		want := exactFiltered(keys, vecs, dim, q, k, admitKey)
		for _, h := range a.Neighbors {
			hd := slices.Index(f.tr.Datasets, h.Dataset)
			if !admit(hd, int(h.Cell)) {
				ok = false
			}
			if slices.Contains(want, vocab.EntityKey(f.tr.DatasetIDs[hd], h.Cell)) {
				hit++
			}
		}
		total += len(want)
	}
	return float64(hit) / float64(total), float64(nq) / took, ok
}

func TestCellNeighborsWhere(t *testing.T) {
	cfg := querytest.DefaultConfig()
	cfg.Cells = []int{1500, 1500}
	f := newFixture(t, cfg)
	for _, c := range []struct {
		name  string
		where []string
		admit func(d, r int) bool
	}{
		{"1%", querytest.BucketWhere(1), func(d, r int) bool { return r%100 < 1 }},
		{"10%", querytest.BucketWhere(10), func(d, r int) bool { return r%100 < 10 }},
		{"50%", querytest.BucketWhere(50), func(d, r int) bool { return r%100 < 50 }},
		{"type T3", []string{"cell_type=T3"}, func(d, r int) bool { return f.tr.Types[d][r] == 3 }},
		{"type T3 or T5, bucket < 20", append([]string{"cell_type=T3", "cell_type=T5"}, querytest.BucketWhere(20)...),
			func(d, r int) bool { return (f.tr.Types[d][r] == 3 || f.tr.Types[d][r] == 5) && r%100 < 20 }},
	} {
		recall, _, ok := whereRecall(t, f, c.where, c.admit, 60, 10)
		t.Logf("%-28s recall@10 %.4f", c.name, recall)
		if !ok {
			t.Errorf("%s: an answer fails the filter", c.name)
		}
		if recall < 0.95 {
			t.Errorf("%s: recall@10 %.4f < 0.95 against exact filtered search", c.name, recall)
		}
	}
}

func TestCellNeighborsWhereCluster(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	sum, err := f.e.Clusters(ctx, query.ClusterRequest{Space: vocab.SpaceCells, Compute: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.clustering(ctx, vocab.SpaceCells, sum.Name)
	if err != nil {
		t.Fatal(err)
	}
	label := map[uint64]int32{}
	for i, k := range c.Keys {
		label[k] = c.Labels[i]
	}
	where := []string{"cluster:" + sum.Name + "=1", "cell_type=" + "T" + fmt.Sprint(f.tr.Types[0][0])}
	a, err := f.e.CellNeighbors(ctx, query.CellNeighborsRequest{Dataset: "ds1", Barcode: f.tr.Barcodes[0][0], K: 20, Where: where})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range a.Neighbors {
		d := slices.Index(f.tr.Datasets, h.Dataset)
		if l := label[vocab.EntityKey(f.tr.DatasetIDs[d], h.Cell)]; l != 1 || f.tr.Types[d][h.Cell] != f.tr.Types[0][0] {
			t.Errorf("%s/%d: cluster %d, type %d passes %q", h.Dataset, h.Cell, l, f.tr.Types[d][h.Cell], where)
		}
	}
	gc, err := f.e.GeneCells(ctx, query.GeneCellsRequest{Symbol: f.tr.Symbols[0], K: 10, Where: []string{"bucket=b07"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range gc.Cells {
		if h.Cell%100 != 7 {
			t.Errorf("gene cells with bucket=b07: cell %d", h.Cell)
		}
	}
	for _, c := range []struct {
		where []string
		says  string
	}{
		{[]string{"tissue=lung"}, `obs column "tissue"`},
		{[]string{"cell_type=T99"}, `cell_type has no value "T99"`},
		{[]string{"cluster:louvain_r9.0=1"}, `no stored clustering "louvain_r9.0"`},
		{[]string{"cluster:" + sum.Name + "=999"}, `has no value "999"`},
		{[]string{"cell_type"}, `want COLUMN=VALUE`},
	} {
		_, err := f.e.CellNeighbors(ctx, query.CellNeighborsRequest{Dataset: "ds1", Barcode: f.tr.Barcodes[0][0], Where: c.where})
		if !errors.Is(err, query.ErrInvalid) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("where %q: %v; want ErrInvalid saying %s", c.where, err, c.says)
		}
	}
}

// BenchmarkCellNeighborsWhere reports the query-level recall@10 (against
// exact filtered search) and queries per CPU-second of CellNeighbors with
// --where filters admitting 1%, 10% and 50% of 100k simulated cells (-long;
// 20k cells without it).
func BenchmarkCellNeighborsWhere(b *testing.B) {
	n := 20_000
	if *long {
		n = 100_000
	}
	cfg := querytest.BenchConfig(n)
	f := newFixture(b, cfg)
	// the first query loads (here: builds) the index; keep it out of the figures
	if _, err := f.e.CellNeighbors(context.Background(), query.CellNeighborsRequest{Dataset: f.tr.Datasets[0], Barcode: f.tr.Barcodes[0][0]}); err != nil {
		b.Fatal(err)
	}
	for _, pct := range []int{1, 10, 50, 100} {
		b.Run(fmt.Sprintf("sel=%d%%", pct), func(b *testing.B) {
			var where []string
			if pct < 100 {
				where = querytest.BucketWhere(pct)
			}
			var recall, qps float64
			for i := 0; i < b.N; i++ {
				recall, qps, _ = whereRecall(b, f, where, func(d, r int) bool { return r%100 < pct }, 200, 10)
			}
			b.ReportMetric(recall, "recall@10")
			b.ReportMetric(qps, "queries/cpu-s")
		})
	}
}
