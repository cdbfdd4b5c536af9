package server_test

import (
	"context"
	"encoding/json"
	"testing"

	"genestore/cmd/genestore/server"
	"genestore/store"
)

// TestInfoRoute: GET /v1/info answers the store's description when the
// server has one, and is a 404 otherwise.
func TestInfoRoute(t *testing.T) {
	f := newFixture(t)
	if code, _, _ := get(t, newServer(t, f, nil), "GET", "/v1/info"); code != 404 {
		t.Errorf("without Info: %d, want 404", code)
	}
	s := newServer(t, f, func(o *server.Options) {
		o.Info = func(context.Context) (*store.Info, error) { return f.db.Info() }
	})
	code, _, body := get(t, s, "GET", "/v1/info")
	var info store.Info
	if err := json.Unmarshal(body, &info); err != nil || code != 200 {
		t.Fatalf("GET /v1/info: %d %v\n%s", code, err, body)
	}
	if info.Sum() != info.FileBytes || len(info.Datasets) == 0 || len(info.Spaces) == 0 {
		t.Errorf("info: sum %d of %d bytes, %d datasets, %d spaces", info.Sum(), info.FileBytes, len(info.Datasets), len(info.Spaces))
	}
}
