package weaviate_test

import (
	"context"
	"path/filepath"
	"testing"

	"genestore/query"
	"genestore/query/backend"
	"genestore/store"
	"genestore/weaviate"
)

// TestBackendKeepsLayers: the Weaviate backend replaces Search but keeps
// the store reader's derived layers (predicted expression); embedding the
// Reader interface once hid them, and every predicted-expression request
// of serve --backend weaviate failed.
func TestBackendKeepsLayers(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	local, err := backend.New(db, backend.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	c, err := weaviate.NewClient("http://127.0.0.1:1", weaviate.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]query.Backend{"store": local, "weaviate": weaviate.NewBackend(local, c, nil)} {
		err := b.View(context.Background(), func(r query.Reader) error {
			if _, ok := r.(query.Layers); !ok {
				t.Errorf("%s backend's reader has no layers", name)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
