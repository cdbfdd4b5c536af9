package server_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"genestore/cmd/genestore/server"
	"genestore/query"
	"genestore/vocab"
)

// fakeUI serves a map of the fixture's clustered cells laid out on a line.
type fakeUI struct {
	keys []uint64
}

func (u *fakeUI) Overview(ctx context.Context) (*server.Overview, error) {
	return &server.Overview{Maps: []server.MapRef{{Space: "cells", Points: len(u.keys), Colours: []string{"dataset"}}}}, nil
}

func (u *fakeUI) Complete(ctx context.Context, prefix string, n int) ([]server.Completion, error) {
	return []server.Completion{{Symbol: strings.ToUpper(prefix) + "1"}}, nil
}

func (u *fakeUI) Map(ctx context.Context, space string) (*server.Map, error) {
	if space != vocab.SpaceCells {
		return nil, fmt.Errorf("%w: no map of %s", query.ErrNotFound, space)
	}
	m := &server.Map{Space: space, Points: len(u.keys), Keys: u.keys}
	for i := range u.keys {
		m.X, m.Y = append(m.X, float32(i)), append(m.Y, float32(i%2))
	}
	return m, nil
}

func (u *fakeUI) Colour(ctx context.Context, space, by string) (*server.Colouring, error) {
	return nil, fmt.Errorf("%w: by %q", query.ErrInvalid, by)
}

func (u *fakeUI) Point(ctx context.Context, space string, i int) (*server.Point, error) {
	return &server.Point{Index: i, Name: "bc"}, nil
}

func (u *fakeUI) QC(ctx context.Context, dataset string) (*server.QC, error) {
	return nil, fmt.Errorf("%w: dataset %q", query.ErrNotFound, dataset)
}

// TestUIPageAndAssets: / serves the page, every asset it loads (and those
// load) is served with its content type and the CSP that keeps requests on
// this server, and no asset names another host.
func TestUIPageAndAssets(t *testing.T) {
	f := newFixture(t)
	s := newServer(t, f, nil)
	code, _, body := get(t, s, "GET", "/")
	if code != 200 || !strings.Contains(string(body), `<script type="module" src="/ui/app.js">`) {
		t.Fatalf("/: %d %.200s", code, body)
	}
	rec := serveRec(s, "/")
	if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("/ content type %q", ct)
	}
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "connect-src 'self'", "script-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	want := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	ref := regexp.MustCompile(`(?:src|href)="(/ui/[^"]+)"|from '\./([^']+)'`)
	queue, seen := []string{"/"}, map[string]bool{"/": true}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		rec := serveRec(s, p)
		if rec.Code != 200 {
			t.Errorf("%s: %d", p, rec.Code)
			continue
		}
		if ct, ok := want[filepath.Ext(p)]; ok && rec.Header().Get("Content-Type") != ct {
			t.Errorf("%s: content type %q, want %q", p, rec.Header().Get("Content-Type"), ct)
		}
		for _, m := range ref.FindAllStringSubmatch(rec.Body.String(), -1) {
			next := m[1]
			if next == "" {
				next = "/ui/" + m[2]
			}
			if !seen[next] {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	for _, p := range []string{"/ui/app.js", "/ui/api.js", "/ui/map.js", "/ui/style.css"} {
		if !seen[p] {
			t.Errorf("%s is not loaded from the page", p)
		}
	}
	// every embedded file is reachable, and none names another host
	external := regexp.MustCompile(`(?i)(?:src|href)\s*=\s*["']?(?:https?:)?//|fetch\(\s*["'` + "`" + `]https?:|import[^;]*from\s*["']https?:|url\(\s*["']?https?:`)
	err := fs.WalkDir(os.DirFS("ui/static"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(filepath.Join("ui/static", p))
		if err != nil {
			return err
		}
		if loc := external.FindIndex(b); loc != nil {
			t.Errorf("%s names another host: %q", p, b[loc[0]:loc[1]])
		}
		if u := "/ui/" + p; p != "index.html" && !seen[u] {
			t.Errorf("%s is embedded but not loaded", u)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/ui/nope.js", "/ui/", "/index.html"} {
		if rec := serveRec(s, p); rec.Code != 404 {
			t.Errorf("%s: %d, want 404", p, rec.Code)
		}
	}
}

// TestUIRoutes: the data routes need UIData; the page needs no token, the
// data routes do; the lasso selects the cells inside its polygon.
func TestUIRoutes(t *testing.T) {
	f := newFixture(t)
	plain := newServer(t, f, nil)
	if code, _, _ := get(t, plain, "GET", "/v1/ui/overview"); code != 404 {
		t.Errorf("overview without UIData: %d", code)
	}
	var keys []uint64 // the fixture's cells
	for d, id := range f.tr.DatasetIDs {
		for r := range f.tr.Barcodes[d] {
			keys = append(keys, vocab.EntityKey(id, uint32(r)))
		}
	}
	c := struct{ Keys []uint64 }{keys}
	ui := &fakeUI{keys: keys}
	tok := "s3cret-s3cret-16"
	s := newServer(t, f, func(o *server.Options) { o.UI = ui; o.Token = tok })
	for _, p := range []string{"/", "/ui/app.js"} {
		if code, _, _ := get(t, s, "GET", p); code != 200 {
			t.Errorf("%s without token: %d", p, code)
		}
	}
	if code, _, _ := get(t, s, "GET", "/v1/maps/cells"); code != 401 {
		t.Errorf("map without token: %d", code)
	}
	auth := []string{"Authorization", "Bearer " + tok}
	code, _, body := get(t, s, "GET", "/v1/maps/cells", auth...)
	var m server.Map
	if code != 200 || json.Unmarshal(body, &m) != nil || m.Points != len(c.Keys) || len(m.X) != len(c.Keys) {
		t.Fatalf("map: %d %.200s", code, body)
	}
	rec := serveRec(s, "/v1/maps/cells/coords", auth...)
	b := rec.Body.Bytes()
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/octet-stream" || len(b) != 8*len(c.Keys) {
		t.Fatalf("coords: %d %q %d bytes", rec.Code, rec.Header().Get("Content-Type"), len(b))
	}
	if x := math.Float32frombits(binary.LittleEndian.Uint32(b[8*3:])); x != 3 {
		t.Errorf("coords: x of point 3 = %v", x)
	}
	for target, want := range map[string]int{
		"/v1/maps/genes":                                    404,
		"/v1/maps/cells/colour?by=x":                        400,
		"/v1/maps/cells/colour":                             400,
		"/v1/maps/cells/points/x":                           400,
		"/v1/maps/cells/points/2":                           200,
		"/v1/genes?prefix=cd":                               200,
		"/v1/genes?prefix=cd&limit=0":                       400,
		"/v1/maps/cells/markers":                            400,
		"/v1/maps/cells/markers?polygon=1,2,3,4":            400,
		"/v1/maps/cells/markers?polygon=1,2,3,4,5,NaN":      400,
		"/v1/maps/cells/markers?polygon=-1,5,-1,6,-0.5,5.5": 400, // holds no cells
	} {
		if code, _, body := get(t, s, "GET", target, auth...); code != want {
			t.Errorf("%s: %d, want %d (%s)", target, code, want, body)
		}
	}
	// a triangle round points 0..9 (x = i, y = i mod 2)
	code, _, body = get(t, s, "GET", "/v1/maps/cells/markers?k=4&polygon=-0.5,-0.5,9.5,-0.5,9.5,1.5,-0.5,1.5", auth...)
	var sel server.Selection
	if code != 200 || json.Unmarshal(body, &sel) != nil {
		t.Fatalf("markers: %d %s", code, body)
	}
	want, err := f.e.SelectionMarkers(context.Background(), c.Keys[:10], 4)
	if err != nil {
		t.Fatal(err)
	}
	if sel.Selected != 10 || sel.Markers.Cells != 10 || len(sel.Markers.Genes) != 4 || sel.Markers.Genes[0].Symbol != want.Genes[0].Symbol {
		t.Errorf("markers of 10 cells: %+v, want %+v", sel, want)
	}
	n := 0
	for _, v := range sel.Datasets {
		n += v
	}
	if n != 10 {
		t.Errorf("selection per dataset %v", sel.Datasets)
	}
}

func serveRec(h http.Handler, target string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", target, nil)
	req.Host = "127.0.0.1:8080"
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
