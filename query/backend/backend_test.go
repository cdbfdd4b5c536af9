package backend_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"genestore/index"
	"genestore/query"
	"genestore/query/backend"
	"genestore/query/querytest"
	"genestore/store"
	"genestore/vecindex"
	"genestore/vocab"
)

func newBackend(t *testing.T) (*backend.Backend, *store.DB, *querytest.Truth) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "b.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tr, err := querytest.Build(context.Background(), db, querytest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	b, err := backend.New(db, backend.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return b, db, tr
}

// TestConventions pins the persisted conventions the backend relies on:
// index snapshots and stores hold entity keys (dataset << 32 | id) and the
// Consensus dataset id, so changing either would silently misread every
// saved store.
func TestConventions(t *testing.T) {
	if vocab.Consensus != 0xFFFFFFFF {
		t.Fatalf("vocab.Consensus = %#x, stores hold 0xFFFFFFFF", vocab.Consensus)
	}
	for _, c := range []struct {
		ds, id uint32
		key    uint64
	}{{0, 0, 0}, {1, 2, 1<<32 | 2}, {vocab.Consensus, 7, 0xFFFFFFFF<<32 | 7}, {5, 0xFFFFFFFF, 5<<32 | 0xFFFFFFFF}} {
		if k := vocab.EntityKey(c.ds, c.id); k != c.key {
			t.Errorf("EntityKey(%d, %d) = %#x, want %#x", c.ds, c.id, k, c.key)
		}
		d, id := vocab.SplitEntityKey(c.key)
		if d != c.ds || id != c.id {
			t.Errorf("SplitEntityKey(%#x) = %d, %d", c.key, d, id)
		}
	}
}

func TestTopInnerIsExact(t *testing.T) {
	b, db, _ := newBackend(t)
	ctx := context.Background()
	q := make([]float32, 16)
	for i := range q {
		q[i] = float32(i%5) - 2
	}
	var got []query.Hit
	err := b.View(ctx, func(r query.Reader) (err error) { got, err = r.TopInner(ctx, "cells", q, 25, nil); return err })
	if err != nil {
		t.Fatal(err)
	}
	var keys []uint64
	var scores []float32
	db.View(func(tx *store.Tx) error {
		ds, _ := tx.Datasets()
		for _, d := range ds {
			ids, dim, vecs, err := tx.Embeddings("cells", d.ID)
			if err != nil {
				continue
			}
			for i, id := range ids {
				keys = append(keys, vocab.EntityKey(d.ID, id))
				scores = append(scores, index.Dot(q, vecs[i*dim:(i+1)*dim]))
			}
		}
		return nil
	})
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool {
		if scores[idx[a]] != scores[idx[b]] {
			return scores[idx[a]] > scores[idx[b]]
		}
		return keys[idx[a]] < keys[idx[b]]
	})
	for i, h := range got {
		if h.Key != keys[idx[i]] || h.Score != scores[idx[i]] {
			t.Fatalf("rank %d: %+v, want key %x score %v", i, h, keys[idx[i]], scores[idx[i]])
		}
	}
	b.View(ctx, func(r query.Reader) error {
		if _, err := r.TopInner(ctx, "cells", q[:3], 5, nil); !errors.Is(err, query.ErrInvalid) {
			t.Errorf("short query: %v", err)
		}
		if _, err := r.Search(ctx, "nope", q, 5, nil); !errors.Is(err, query.ErrNotFound) {
			t.Errorf("unknown space: %v", err)
		}
		return nil
	})
}

func TestNotFoundMapping(t *testing.T) {
	b, _, tr := newBackend(t)
	ctx := context.Background()
	var r query.Reader
	var ended error
	b.View(ctx, func(rr query.Reader) error { r = rr; return nil })
	_, ended = r.Datasets(ctx)
	if ended == nil {
		t.Errorf("a Reader used after its View ended answered")
	}
	b.View(ctx, func(rr query.Reader) error { r = rr; notFoundCases(t, ctx, r, tr); return nil })
}

func notFoundCases(t *testing.T, ctx context.Context, b query.Reader, tr *querytest.Truth) {
	tests := []struct {
		name string
		err  error
	}{
		{"gene", func() error { _, err := b.Genes(ctx, []uint32{1 << 30}); return err }()},
		{"cell", func() error { _, err := b.CellByBarcode(ctx, tr.DatasetIDs[0], "zz"); return err }()},
		{"obs", func() error { _, err := b.ObsColumn(ctx, tr.DatasetIDs[0], "zz"); return err }()},
		{"vector", func() error { _, err := b.Vectors(ctx, "genes", []uint64{vocab.EntityKey(77, 1)}); return err }()},
		{"collection", func() error { _, err := b.Collection(ctx, "zz"); return err }()},
		{"clustering", func() error { _, err := b.Clustering(ctx, "genes", "zz"); return err }()},
		{"barcode row", func() error { _, err := b.Barcodes(ctx, tr.DatasetIDs[0], []uint32{1 << 20}); return err }()},
	}
	for _, tc := range tests {
		if !errors.Is(tc.err, query.ErrNotFound) || !errors.Is(tc.err, store.ErrNotFound) {
			t.Errorf("%s: %v is not both query and store ErrNotFound", tc.name, tc.err)
		}
	}
}

func TestAliases(t *testing.T) {
	in := "alias_symbol\tsymbol\tentrez_id\nA1\tGENE1\t1\nb2\tGENE2\t2\n# c\n\nA1\tGENE1\t1\nAMB\tX\t3\namb\tY\t4\n"
	m, amb, err := backend.ParseAliases(strings.NewReader(in), "t.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if amb != 1 || len(m) != 2 || m["a1"] != "GENE1" || m["b2"] != "GENE2" {
		t.Fatalf("map %v, ambiguous %d", m, amb)
	}
	// A byte-order mark before the header leaves it a header, not an alias.
	if bm, _, err := backend.ParseAliases(strings.NewReader("\ufeff"+in), "bom.tsv"); err != nil || len(bm) != 2 {
		t.Errorf("with a byte-order mark: %v %v", bm, err)
	}
	for _, bad := range []string{"onlyone\n", "\tX\n", "A\t\n"} {
		if _, _, err := backend.ParseAliases(strings.NewReader("x\ty\n"+bad), "bad.tsv"); !errors.Is(err, backend.ErrAliases) || !strings.Contains(err.Error(), "bad.tsv:2") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	b, db, _ := newBackend(t)
	if err := db.Update(func(tx *store.Tx) error { return backend.PutAliases(tx, m) }); err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	err = b.View(context.Background(), func(r query.Reader) (err error) { got, err = r.Aliases(context.Background()); return err })
	if err != nil || len(got) != 2 || got["a1"] != "GENE1" {
		t.Errorf("stored aliases %v, %v", got, err)
	}
	if err := db.Update(func(tx *store.Tx) error { return backend.PutAliases(tx, map[string]string{"a\tb": "x"}) }); !errors.Is(err, backend.ErrAliases) {
		t.Errorf("tab in alias: %v", err)
	}
}

func TestSampleAliasFile(t *testing.T) {
	f, err := openRepoFile("testdata/sample/go/human_gene_aliases.demo.tsv")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	m, _, err := backend.ParseAliases(f, "demo")
	if err != nil || len(m) < 10 || m["1-8d"] != "IFITM2" {
		t.Errorf("demo aliases: %d, 1-8D → %q, %v", len(m), m["1-8d"], err)
	}
}

func FuzzParseAliases(f *testing.F) {
	f.Add("alias_symbol\tsymbol\nA\tB\n")
	f.Add("A\tB\tC\r\n#x\n\nA\tC\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, _, err := backend.ParseAliases(strings.NewReader(s), "fuzz")
		if err != nil {
			return
		}
		for a, sym := range m {
			if a != strings.ToLower(a) || sym == "" {
				t.Fatalf("entry %q → %q", a, sym)
			}
		}
	})
}

// TestObsColumnCached checks that obs columns are decoded once per Backend
// and shared by later snapshots, that concurrent readers (run it with -race)
// get the stored values, and that a missing column stays an error.
func TestObsColumnCached(t *testing.T) {
	b, db, tr := newBackend(t)
	ctx := context.Background()
	ds := tr.DatasetIDs[0]
	var want []string
	if err := db.View(func(tx *store.Tx) (err error) { want, err = tx.ObsColumn(ds, "cell_type"); return err }); err != nil {
		t.Fatal(err)
	}
	cols := make([][]string, 8)
	errs := make(chan error, len(cols))
	for i := range cols {
		go func() {
			errs <- b.View(ctx, func(r query.Reader) (err error) {
				if _, err := r.ObsColumn(ctx, ds, "zz"); !errors.Is(err, query.ErrNotFound) {
					return errors.Join(errors.New("missing column"), err)
				}
				cols[i], err = r.ObsColumn(ctx, ds, "cell_type")
				return err
			})
		}()
	}
	for range cols {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cols {
		if strings.Join(c, ",") != strings.Join(want, ",") {
			t.Fatalf("reader %d: column differs from the store's", i)
		}
		if &c[0] != &cols[0][0] {
			t.Errorf("reader %d decoded the column again", i)
		}
	}
	other := tr.DatasetIDs[1]
	b.View(ctx, func(r query.Reader) error {
		c, err := r.ObsColumn(ctx, other, "bucket")
		if err != nil || len(c) == 0 || &c[0] == &cols[0][0] {
			t.Errorf("dataset %d bucket: %d values, %v (or the other dataset's column)", other, len(c), err)
		}
		return nil
	})
}

// TestInt8SpaceRerankedFromStore turns the cells space's index to int8
// (vecindex.Reindex) and checks that searches re-rank with the floats in the
// store: the hits and their cosines are those of the float32 index.
func TestInt8SpaceRerankedFromStore(t *testing.T) {
	b, db, _ := newBackend(t)
	ctx := context.Background()
	var qs [][]float32
	db.View(func(tx *store.Tx) error {
		ds, _ := tx.Datasets()
		for _, d := range ds {
			_, dim, vecs, err := tx.Embeddings("cells", d.ID)
			if err != nil || len(vecs) < 10*dim {
				continue
			}
			for i := 0; i < 5; i++ {
				qs = append(qs, vecs[i*dim:(i+1)*dim])
			}
		}
		return nil
	})
	if len(qs) == 0 {
		t.Fatal("no cell vectors")
	}
	search := func(b *backend.Backend) [][]query.Hit {
		var out [][]query.Hit
		err := b.View(ctx, func(r query.Reader) error {
			for _, q := range qs {
				hits, err := r.Search(ctx, "cells", q, 10, nil)
				if err != nil {
					return err
				}
				out = append(out, hits)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := search(b)
	if _, err := vecindex.Reindex(ctx, db, "cells", vecindex.Settings{Quantize: index.Int8}, index.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	b8, err := backend.New(db, backend.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	got := search(b8)
	for i := range want {
		for j := range want[i] {
			g, w := got[i][j], want[i][j]
			if g.Key != w.Key || math.Abs(float64(g.Score-w.Score)) > 1e-5 {
				t.Fatalf("query %d rank %d: int8 %+v, float32 %+v", i, j, g, w)
			}
		}
	}
}
