package command

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"genestore/cmd/genestore/server"
	"genestore/query"
	"genestore/store"
)

// TestUIData: the browser UI's data over the quick demo store and its cell
// map, directly and through the server (the lasso's markers).
func TestUIData(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	t.Chdir(dir)
	mustRun(t, "demo", "--quick", "--out", db)
	var s layoutSummary
	if err := json.Unmarshal([]byte(mustRun(t, "--store", db, "layout", "--space", "cells", "--json")), &s); err != nil {
		t.Fatal(err)
	}
	e, b, sdb, err := openEngine(&globalOptions{store: db, quiet: true}, true, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	u := &uiData{db: sdb, b: b, e: e}
	ctx := context.Background()

	o, err := u.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Maps) != 1 || o.Maps[0].Space != "cells" || o.Maps[0].Points != s.Points || !slices.Contains(o.Maps[0].Colours, "cluster") ||
		!slices.Contains(o.Maps[0].Colours, "RNA_snn_res.1") || !slices.Contains(o.Collections, "go_bp") || len(o.Datasets) != 5 {
		t.Errorf("overview %+v", o)
	}
	cs, err := u.Complete(ctx, "cd79", 10)
	if err != nil || len(cs) < 2 || cs[0].Symbol != "CD79A" || cs[1].Symbol != "CD79B" {
		t.Errorf("complete cd79: %+v %v", cs, err)
	}
	m, err := u.Map(ctx, "cells")
	if err != nil || m.Points != s.Points || len(m.X) != s.Points || len(m.Keys) != s.Points || m.Stale {
		t.Fatalf("map: %+v %v", m, err)
	}
	c, err := u.Colour(ctx, "cells", "dataset")
	if err != nil || c.Kind != "category" || !slices.Contains(c.Categories, "pbmc_small") || len(c.Codes) != s.Points {
		t.Fatalf("colour by dataset: %+v %v", c, err)
	}
	sum := 0
	for _, n := range c.Counts {
		sum += n
	}
	if sum != s.Points {
		t.Errorf("category counts sum to %d of %d points", sum, s.Points)
	}
	if c, err := u.Colour(ctx, "cells", "gene:CD79A"); err != nil || c.Kind != "value" || c.Max <= c.Min {
		t.Errorf("colour by CD79A: %+v %v", c, err)
	}
	for by, want := range map[string]error{"no_such_column": query.ErrInvalid, "gene:NOTAGENE": query.ErrInvalid} {
		if _, err := u.Colour(ctx, "cells", by); !errors.Is(err, want) {
			t.Errorf("colour by %s: %v, want %v", by, err, want)
		}
	}
	// Over HTTP the colour comes from the by parameter, not plot's --color.
	if _, err := u.Colour(ctx, "cells", "nope"); err == nil || strings.Contains(err.Error(), "--color") || !strings.Contains(err.Error(), `by "nope"`) {
		t.Errorf("colour by nope: %v, want an error naming by", err)
	}
	p, err := u.Point(ctx, "cells", 0)
	if err != nil || p.Dataset == "" || p.Name == "" || len(p.Fields) == 0 {
		t.Errorf("point 0: %+v %v", p, err)
	}
	if _, err := u.Point(ctx, "cells", s.Points); !errors.Is(err, query.ErrNotFound) {
		t.Errorf("point past the end: %v", err)
	}
	if _, err := u.Map(ctx, "genes"); !errors.Is(err, query.ErrNotFound) {
		t.Errorf("genes map never laid out: %v", err)
	}
	if _, err := u.Map(ctx, "nope"); !errors.Is(err, query.ErrInvalid) {
		t.Errorf("space nope: %v", err)
	}

	qc, err := u.QC(ctx, "pbmc3k_sct283")
	if err != nil || len(qc.Panels) < 2 {
		t.Fatalf("qc: %+v %v", qc, err)
	}
	for _, p := range qc.Panels {
		sum := 0
		for _, n := range p.Counts {
			sum += n
		}
		if sum != 283 || p.Max < p.Median || p.Median < p.Min {
			t.Errorf("qc panel %q: %d cells, min %g median %g max %g", p.Title, sum, p.Min, p.Median, p.Max)
		}
	}
	if _, err := u.QC(ctx, "nope"); !errors.Is(err, query.ErrNotFound) {
		t.Errorf("qc of an unknown dataset: %v", err)
	}

	// the lasso round the whole map selects every cell
	opts := server.DefaultOptions()
	opts.UI = u
	srv, err := server.New(e, opts)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/v1/maps/cells/markers?k=5&polygon=-1e6,-1e6,1e6,-1e6,1e6,1e6,-1e6,1e6", nil)
	req.Host = "127.0.0.1:8080"
	srv.ServeHTTP(rec, req)
	var sel server.Selection
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &sel) != nil || sel.Selected != s.Points || len(sel.Markers.Genes) != 5 {
		t.Fatalf("lasso round the map: %d %s", rec.Code, rec.Body)
	}
}

// TestUIOverviewEmptyStore: a store with no dataset yet lists its datasets
// as [], not null, which the browser UI would call .map and .find on.
func TestUIOverviewEmptyStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "empty.db")
	s, err := store.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	e, b, sdb, err := openEngine(&globalOptions{store: db, quiet: true}, true, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	o, err := (&uiData{db: sdb, b: b, e: e}).Overview(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(j), `"datasets":[]`) || strings.Contains(string(j), "null") {
		t.Errorf("overview of an empty store: %s", j)
	}
}
