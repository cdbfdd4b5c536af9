package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"genestore/store"
	"genestore/vocab"
)

// fakeWeaviate is the least of Weaviate Sync needs.
type fakeWeaviate struct {
	mu      sync.Mutex
	classes map[string]map[string]map[string]any // class → id → properties
	schemas map[string]map[string]any            // class → its schema as created
	aliases map[string]string
}

func (f *fakeWeaviate) resolve(n string) string {
	if c, ok := f.aliases[n]; ok {
		return c
	}
	return n
}

func (f *fakeWeaviate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(data, &body)
	p := strings.TrimPrefix(r.URL.Path, "/v1")
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	notFound := func() { reply(404, map[string]any{"error": []map[string]string{{"message": "not found"}}}) }
	switch {
	case r.Method == "GET" && strings.HasPrefix(p, "/schema/"):
		if _, ok := f.classes[strings.TrimPrefix(p, "/schema/")]; !ok {
			notFound()
			return
		}
		reply(200, f.schemas[strings.TrimPrefix(p, "/schema/")])
	case r.Method == "POST" && p == "/schema":
		f.classes[body["class"].(string)] = map[string]map[string]any{}
		f.schemas[body["class"].(string)] = body
		reply(200, body)
	case r.Method == "DELETE" && strings.HasPrefix(p, "/schema/"):
		delete(f.classes, strings.TrimPrefix(p, "/schema/"))
		reply(200, nil)
	case r.Method == "POST" && p == "/batch/objects":
		var out []map[string]any
		for _, o := range body["objects"].([]any) {
			m := o.(map[string]any)
			f.classes[m["class"].(string)][m["id"].(string)] = m["properties"].(map[string]any)
			out = append(out, map[string]any{"id": m["id"], "result": map[string]any{}})
		}
		reply(200, out)
	case r.Method == "DELETE" && p == "/batch/objects":
		match := body["match"].(map[string]any)
		cl := f.classes[match["class"].(string)]
		ds := match["where"].(map[string]any)["valueInt"].(float64)
		n := 0
		for id, props := range cl {
			if props[PropDataset].(float64) == ds {
				delete(cl, id)
				n++
			}
		}
		reply(200, map[string]any{"results": map[string]any{"matches": n, "limit": 10000, "successful": n, "failed": 0}})
	case r.Method == "GET" && strings.HasPrefix(p, "/aliases/"):
		c, ok := f.aliases[strings.TrimPrefix(p, "/aliases/")]
		if !ok {
			notFound()
			return
		}
		reply(200, map[string]string{"alias": strings.TrimPrefix(p, "/aliases/"), "class": c})
	case r.Method == "POST" && p == "/aliases":
		f.aliases[body["alias"].(string)] = body["class"].(string)
		reply(200, nil)
	case r.Method == "PUT" && strings.HasPrefix(p, "/aliases/"):
		f.aliases[strings.TrimPrefix(p, "/aliases/")] = body["class"].(string)
		reply(200, nil)
	case r.Method == "POST" && p == "/graphql":
		q := body["query"].(string)
		name := regexp.MustCompile(`Aggregate \{ (\w+)`).FindStringSubmatch(q)[1]
		cl, ok := f.classes[f.resolve(name)]
		if !ok {
			reply(200, map[string]any{"errors": []map[string]string{{"message": "no class " + name}}})
			return
		}
		var rows []any
		if strings.Contains(q, "groupBy") {
			by := map[float64]int{}
			for _, props := range cl {
				by[props[PropDataset].(float64)]++
			}
			for v, n := range by {
				rows = append(rows, map[string]any{"groupedBy": map[string]any{"value": v}, "meta": map[string]any{"count": n}})
			}
		} else {
			rows = []any{map[string]any{"meta": map[string]any{"count": len(cl)}}}
		}
		reply(200, map[string]any{"data": map[string]any{"Aggregate": map[string]any{name: rows}}})
	default:
		t := r.Method + " " + p
		reply(500, map[string]any{"error": []map[string]string{{"message": "fake: unhandled " + t}}})
	}
}

func put(t *testing.T, db *store.DB, space string, n, dim int, model string) {
	ids := make([]uint32, n)
	vecs := make([]float32, n*dim)
	for i := range ids {
		ids[i] = uint32(i)
		vecs[i*dim] = 1 + float32(i)
	}
	if err := db.Update(func(tx *store.Tx) error {
		return tx.PutEmbeddings(space, vocab.Consensus, ids, dim, vecs, store.Provenance{Kind: "t", ModelVersion: model})
	}); err != nil {
		t.Fatal(err)
	}
}

// TestAliasOfAnotherSpaceRefused: two spaces whose names differ only in
// punctuation share DefaultAlias; syncing the second once moved the alias
// and deleted the first's collection, whose sync state still claimed it.
// It is refused now, and the first space's copy stays whole.
func TestAliasOfAnotherSpaceRefused(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, b := "pbmc-v1", "pbmc_v1"
	put(t, db, a, 30, 4, "m1")
	put(t, db, b, 20, 8, "m2")
	fw := &fakeWeaviate{classes: map[string]map[string]map[string]any{}, schemas: map[string]map[string]any{}, aliases: map[string]string{}}
	srv := httptest.NewServer(fw)
	defer srv.Close()
	c, _ := NewClient(srv.URL, ClientOptions{Retries: -1})
	ra, err := Sync(ctx, db, c, SyncOptions{Space: a})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Sync(ctx, db, c, SyncOptions{Space: b})
	if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), `of space "pbmc-v1"`) {
		t.Fatalf("sync of %q through %q's alias: %v", b, a, err)
	}
	if _, ok := fw.classes[ra.Collection]; !ok || fw.aliases[ra.Alias] != ra.Collection {
		t.Fatalf("%q's collection or alias was touched", a)
	}
	// with an alias of its own it syncs
	if _, err := Sync(ctx, db, c, SyncOptions{Space: b, Alias: "GenestorePbmcUnderscoreV1"}); err != nil {
		t.Fatal(err)
	}
}
