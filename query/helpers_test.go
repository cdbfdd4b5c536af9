package query_test

import (
	"context"
	"flag"
	"math"
	"path/filepath"
	"sort"
	"testing"

	"genestore/index"
	"genestore/query"
	"genestore/query/backend"
	"genestore/query/querytest"
	"genestore/store"
	"genestore/vocab"
)

var long = flag.Bool("long", false, "run long tests")

type fixture struct {
	db  *store.DB
	b   *backend.Backend
	e   *query.Engine
	tr  *querytest.Truth
	cfg querytest.Config
}

// newFixture builds a simulated store and an engine over it. The index is
// forced onto its graph path (ExactBelow < 0) so tests exercise HNSW search.
func newFixture(t testing.TB, cfg querytest.Config) *fixture {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "q.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tr, err := querytest.Build(context.Background(), db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	io := index.DefaultOptions()
	io.ExactBelow = -1
	io.Seed = 7
	b, err := backend.New(db, backend.Options{Index: io})
	if err != nil {
		t.Fatal(err)
	}
	e, err := query.New(b, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, b: b, e: e, tr: tr, cfg: cfg}
}

// geneIndex maps a symbol to its simulated index.
func (f *fixture) geneIndex(sym string) int {
	for i, s := range f.tr.Symbols {
		if s == sym {
			return i
		}
	}
	return -1
}

// bruteForce returns the keys of the k vectors of set ds in space nearest q
// by exact cosine, skipping skip.
func bruteForce(t *testing.T, db *store.DB, space string, ds uint32, q []float32, k int, skip func(uint64) bool) []uint64 {
	t.Helper()
	var ids []uint32
	var dim int
	var vecs []float32
	err := db.View(func(tx *store.Tx) (err error) { ids, dim, vecs, err = tx.Embeddings(space, ds); return err })
	if err != nil {
		t.Fatal(err)
	}
	type kv struct {
		k uint64
		s float64
	}
	var all []kv
	for i, id := range ids {
		key := vocab.EntityKey(ds, id)
		if skip(key) {
			continue
		}
		v := vecs[i*dim : (i+1)*dim]
		var ab, aa, bb float64
		for j := range v {
			ab += float64(q[j]) * float64(v[j])
			aa += float64(q[j]) * float64(q[j])
			bb += float64(v[j]) * float64(v[j])
		}
		all = append(all, kv{key, ab / math.Sqrt(aa*bb)})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].s > all[j].s })
	out := make([]uint64, 0, k)
	for i := 0; i < k && i < len(all); i++ {
		out = append(out, all[i].k)
	}
	return out
}

// clustering reads a stored clustering through one snapshot.
func (f *fixture) clustering(ctx context.Context, space, name string) (c query.Clustering, err error) {
	err = f.b.View(ctx, func(r query.Reader) (err error) { c, err = r.Clustering(ctx, space, name); return err })
	return c, err
}

// predictions reads stored predictions through one snapshot.
func (f *fixture) predictions(ctx context.Context, kind, name string) (rows []query.Prediction, prov query.Provenance, err error) {
	err = f.b.View(ctx, func(r query.Reader) (err error) { rows, prov, err = r.Predictions(ctx, kind, name); return err })
	return rows, prov, err
}
