package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"genestore/cmd/genestore/server"
	"genestore/query"
	"genestore/query/backend"
	"genestore/query/querytest"
	"genestore/store"
)

var long = flag.Bool("long", false, "run long tests")

type fixture struct {
	e  *query.Engine
	tr *querytest.Truth
	db *store.DB
}

// newFixture builds a simulated store with a gene and a cell clustering,
// then reopens it read-only as `genestore serve` does.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tr, err := querytest.Build(ctx, db, querytest.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := backend.New(db, backend.DefaultOptions())
	e, _ := query.New(b, query.Options{})
	for _, sp := range []string{"genes", "cells"} {
		if _, err := e.Clusters(ctx, query.ClusterRequest{Space: sp, Compute: true}); err != nil {
			t.Fatal(err)
		}
	}
	putModuleNetwork(t, db, tr)
	db.Close()
	opts := store.DefaultOptions()
	opts.ReadOnly = true
	if db, err = store.Open(path, opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b, _ = backend.New(db, backend.DefaultOptions())
	if e, err = query.New(b, query.Options{}); err != nil {
		t.Fatal(err)
	}
	return &fixture{e: e, tr: tr, db: db}
}

func newServer(t testing.TB, f *fixture, mod func(*server.Options)) *server.Server {
	t.Helper()
	o := server.DefaultOptions()
	if mod != nil {
		mod(&o)
	}
	s, err := server.New(f.e, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(t testing.TB, h http.Handler, method, target string, hdr ...string) (int, map[string]any, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	req.Host = "127.0.0.1:8080" // the listener's own address (a tokenless server refuses others)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var m map[string]any
	body := rec.Body.Bytes()
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && len(body) > 0 && body[0] == '{' {
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("%s %s: bad JSON %q", method, target, body)
		}
	}
	return rec.Code, m, body
}

func TestOptions(t *testing.T) {
	tests := []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8080", "", true},
		{"localhost:0", "", true},
		{"[::1]:8080", "", true},
		{"0.0.0.0:8080", "", false},
		{":8080", "", false},
		{"10.1.2.3:80", "", false},
		{"10.1.2.3:80", "s3cret-s3cret-16", true},
		{"10.1.2.3:80", "s3cret", false},               // < 16 characters
		{"127.0.0.1:80", "s3cret", false},              // short tokens are refused on loopback too
		{"10.1.2.3:80", "                    ", false}, // whitespace only
		{"10.1.2.3:80", " s3cret-s3cret-16 ", false},   // padded
		{"10.1.2.3:80", "ääääääääääääääää", true},      // 16 characters, 32 bytes
		{"10.1.2.3:80", "äääääääääääääää", false},      // 15 characters, 30 bytes
		{"no-port", "", false},
	}
	for _, tc := range tests {
		o := server.DefaultOptions()
		o.Addr, o.Token = tc.addr, tc.token
		if err := o.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s token %q: %v", tc.addr, tc.token, err)
		}
	}
	// a request allowed longer than the connection may write would answer
	// with a cut connection
	slow := server.DefaultOptions()
	slow.RequestTimeout = slow.WriteTimeout
	if err := slow.Validate(); err == nil || !strings.Contains(err.Error(), "below the write timeout") {
		t.Errorf("request timeout = write timeout: %v", err)
	}
	o := server.Options{Addr: "0.0.0.0:1"}
	err := o.Validate()
	for _, want := range []string{"token", "size limits", "request timeout"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("zero options: %v lacks %q", err, want)
		}
	}
}

func TestRoutes(t *testing.T) {
	f := newFixture(t)
	s := newServer(t, f, nil)
	bc := f.tr.Barcodes[1][3]
	typ := f.tr.Types[1][3]
	tests := []struct {
		target string
		code   int
		check  func(t *testing.T, m map[string]any)
	}{
		{"/healthz", 200, nil},
		{"/v1/datasets", 200, nil},
		{"/v1/genes/G00002/neighbors?k=5", 200, func(t *testing.T, m map[string]any) {
			nb := m["neighbors"].([]any)
			if len(nb) != 5 || m["model_version"] != querytest.GeneModel {
				t.Errorf("%v", m)
			}
			for _, h := range nb {
				sym := h.(map[string]any)["symbol"].(string)
				var i int
				fmt.Sscanf(sym, "G%d", &i)
				if i%8 != 2 {
					t.Errorf("neighbour %s not in module 2", sym)
				}
			}
		}},
		{"/v1/genes/oldg00002/neighbors?restrict=ds1,ds2&exclude=consensus", 200, func(t *testing.T, m map[string]any) {
			if m["gene"].(map[string]any)["alias"] != true {
				t.Errorf("alias not reported: %v", m["gene"])
			}
		}},
		{"/v1/genes/G00002/neighbors?k=abc", 400, nil},
		{"/v1/genes/G00002/neighbors?k=0", 400, nil},
		{"/v1/genes/G00002/coexpr?k=0", 400, nil},
		{"/v1/cells/ds2/" + bc + "/genes?k=0", 400, nil},
		{"/v1/genes/G00002/annotations?collection=modules&top=0", 400, nil},
		{"/v1/clusters/genes?resolution=0", 400, nil},
		{"/v1/genes/G00002/cluster?resolution=0.0", 400, nil},
		{"/v1/genes/G00002/neighbors?k=-3", 400, nil},
		{"/v1/genes/NOPE/neighbors", 404, nil},
		{"/v1/genes/G00002/cells?k=3", 200, func(t *testing.T, m map[string]any) {
			if len(m["cells"].([]any)) != 3 {
				t.Errorf("%v", m)
			}
		}},
		{"/v1/genes/G00000/coexpr", 200, func(t *testing.T, m map[string]any) {
			p := m["partners"].([]any)
			if len(p) != 4 || p[0].(map[string]any)["conserved"] != 2.0 {
				t.Errorf("%v", p)
			}
		}},
		{"/v1/genes/G00000/coexpr?dataset=nope", 404, nil},
		{"/v1/genes/G00002/cluster?enrich=modules", 200, func(t *testing.T, m map[string]any) {
			en := m["enrichment"].([]any)
			if len(en) == 0 || en[0].(map[string]any)["set_id"] != "MOD:2" {
				t.Errorf("%v", en)
			}
		}},
		{"/v1/genes/G00002/cluster?resolution=2.5", 404, nil},
		{"/v1/genes/G00002/cluster?resolution=NaN", 400, nil},
		{"/v1/genes/G00002/annotations?collection=modules&top=1", 200, func(t *testing.T, m map[string]any) {
			g := m["genes"].([]any)[0].(map[string]any)
			if g["terms"].([]any)[0].(map[string]any)["term"] != "MOD:2" || m["written"] != false {
				t.Errorf("%v", m)
			}
		}},
		{"/v1/genes/G00002/annotations", 400, nil},
		{"/v1/cells/ds2/" + bc + "/neighbors?k=4", 200, func(t *testing.T, m map[string]any) {
			if len(m["neighbors"].([]any)) != 4 {
				t.Errorf("%v", m)
			}
		}},
		{"/v1/cells/ds2/" + bc + "/neighbors?k=4&where=cell_type=T1&where=bucket%3Db02", 200, func(t *testing.T, m map[string]any) {
			for _, n := range m["neighbors"].([]any) {
				h := n.(map[string]any)
				d := map[string]int{"ds1": 0, "ds2": 1}[h["dataset"].(string)]
				if c := int(h["cell"].(float64)); f.tr.Types[d][c] != 1 || c%100 != 2 {
					t.Errorf("where=cell_type=T1&where=bucket=b02 answered %v", h)
				}
			}
		}},
		{"/v1/cells/ds2/" + bc + "/neighbors?where=cluster:leiden_r1.0%3D0", 200, nil},
		{"/v1/cells/ds2/" + bc + "/neighbors?space=cells", 200, func(t *testing.T, m map[string]any) {
			if m["space"] != "cells" {
				t.Errorf("space %v", m["space"])
			}
		}},
		{"/v1/cells/ds2/" + bc + "/neighbors?space=genes", 400, nil},
		{"/v1/cells/ds2/" + bc + "/neighbors?space=cells-from-genes", 404, nil}, // not written in this store
		{"/v1/cells/ds2/" + bc + "/neighbors?where=tissue%3Dlung", 400, func(t *testing.T, m map[string]any) {
			if !strings.Contains(m["error"].(string), `obs column "tissue"`) {
				t.Errorf("error %v", m)
			}
		}},
		{"/v1/cells/ds2/" + bc + "/neighbors?where=cell_type%3DB", 400, nil},
		{"/v1/cells/ds2/" + bc + "/neighbors?where=cluster:nope%3D1", 400, nil},
		{"/v1/genes/G00001/cells?k=3&where=bucket%3Db05", 200, func(t *testing.T, m map[string]any) {
			for _, n := range m["cells"].([]any) {
				if c := int(n.(map[string]any)["cell"].(float64)); c%100 != 5 {
					t.Errorf("where=bucket=b05 answered cell %d", c)
				}
			}
		}},
		{"/v1/cells/ds2/nope/neighbors", 404, nil},
		{"/v1/cells/ds2/" + bc + "/genes?k=3", 200, func(t *testing.T, m map[string]any) {
			for _, g := range m["genes"].([]any) {
				var i int
				fmt.Sscanf(g.(map[string]any)["symbol"].(string), "G%d", &i)
				if i%8 != typ {
					t.Errorf("gene %v for a type-%d cell", g, typ)
				}
			}
		}},
		{"/v1/cells/ds2/" + bc + "/cluster?max=2", 200, func(t *testing.T, m map[string]any) {
			if len(m["members"].([]any)) != 2 || m["truncated"] != true {
				t.Errorf("%v", m)
			}
		}},
		{"/v1/clusters/genes", 200, func(t *testing.T, m map[string]any) {
			if m["name"] != "leiden_r1.0" || len(m["clusters"].([]any)) < 6 {
				t.Errorf("%v", m)
			}
		}},
		{"/v1/clusters/proteins", 400, nil},
		{"/v1/clusters/genes/0?max=5&enrich=modules", 200, nil},
		{"/v1/clusters/genes/0?max=0", 400, nil},
		{"/v1/genes/G00002/cluster?terms=1001", 400, nil},
		{"/v1/clusters/genes/x", 400, nil},
		{"/v1/clusters/genes/9999", 404, nil},
		{"/v1/clusters/cells/0/markers?k=3", 200, nil},
		{"/v1/clusters/genes/0/markers", 400, nil},
		{"/v1/nothing", 404, nil},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			code, m, body := get(t, s, "GET", tc.target)
			if code != tc.code {
				t.Fatalf("status %d, want %d: %s", code, tc.code, body)
			}
			if code != 200 {
				if m == nil || m["error"] == "" {
					t.Fatalf("error body %q", body)
				}
				return
			}
			if tc.check != nil {
				tc.check(t, m)
			}
		})
	}
	if code, _, body := get(t, s, "GET", "/v1/openapi.yaml"); code != 200 || !bytes.HasPrefix(body, []byte("openapi: 3")) {
		t.Errorf("openapi: %d", code)
	}
}

func TestWritesAndAuth(t *testing.T) {
	f := newFixture(t)
	ro := newServer(t, f, nil)
	for _, target := range []string{"/v1/clusters/genes?resolution=2", "/v1/datasets", "/v1/genes/G00001/neighbors"} {
		req := httptest.NewRequest("POST", target, nil)
		req.Host = "127.0.0.1:8080"
		rec := httptest.NewRecorder()
		ro.ServeHTTP(rec, req)
		if rec.Code != 405 || rec.Header().Get("Allow") != "GET, HEAD" || !strings.Contains(rec.Body.String(), "read-only") {
			t.Errorf("POST %s on a read-only server: %d, Allow %q, %s", target, rec.Code, rec.Header().Get("Allow"), rec.Body)
		}
	}
	if code, _, _ := get(t, ro, "POST", "/v1/nope"); code != 404 {
		t.Errorf("POST to no route: %d", code)
	}
	rw := newServer(t, f, func(o *server.Options) { o.AllowWrites = true })
	if code, _, body := get(t, rw, "POST", "/v1/clusters/genes?resolution=2"); code != 403 {
		t.Errorf("write on a read-only store: %d %s", code, body)
	}
	// recompute=yes was read as false; it is now a 400 naming the parameter.
	if code, _, body := get(t, rw, "POST", "/v1/clusters/genes?resolution=2&recompute=yes"); code != 400 || !strings.Contains(string(body), "recompute") {
		t.Errorf("recompute=yes: %d %s", code, body)
	}
	const secret = "s3cret-s3cret-16"
	tok := newServer(t, f, func(o *server.Options) { o.Addr, o.Token = "0.0.0.0:8080", secret })
	for _, tc := range []struct {
		target, auth string
		code         int
	}{
		{"/v1/datasets", "", 401},
		{"/v1/datasets", "Bearer nope", 401},
		{"/v1/datasets", secret, 401},
		{"/v1/datasets", "Bearer " + secret, 200},
		{"/v1/datasets", "bearer " + secret, 200}, // RFC 7235: the scheme is case-insensitive
		{"/v1/datasets", "BEARER  " + secret, 200},
		{"/v1/datasets", "Basic " + secret, 401},
		{"/v1/datasets", "Bearer", 401},
		{"/v1/datasets", "Bearer " + secret + "x", 401},
		{"/healthz", "", 200},
	} {
		if code, _, _ := get(t, tok, "GET", tc.target, "Authorization", tc.auth); code != tc.code {
			t.Errorf("%s with %q: %d, want %d", tc.target, tc.auth, code, tc.code)
		}
	}
}

func TestLimits(t *testing.T) {
	f := newFixture(t)
	s := newServer(t, f, func(o *server.Options) { o.MaxHeaderBytes = 4 << 10; o.RequestTimeout = time.Nanosecond })
	ts := httptest.NewUnstartedServer(s)
	hs := s.HTTPServer()
	ts.Config.MaxHeaderBytes, ts.Config.ReadHeaderTimeout = hs.MaxHeaderBytes, hs.ReadHeaderTimeout
	ts.Start()
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/v1/genes/" + strings.Repeat("A", 8<<10) + "/neighbors")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("8 KiB request line: %d", resp.StatusCode)
	}
	// a 1 ns request timeout ends queries with 504 (or succeeds when no
	// context check happened to run; never 500)
	resp, err = http.Get(ts.URL + "/v1/clusters/cells/0?max=100000")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 504 && resp.StatusCode != 200 {
		t.Errorf("timed-out request: %d", resp.StatusCode)
	}
}

// routeRE matches a path line of openapi.yaml and methodRE a method line.
var (
	routeRE  = regexp.MustCompile(`^  (/\S*):\s*$`)
	methodRE = regexp.MustCompile(`^    (get|post|put|delete|patch):`)
)

// apiOp is one operation of openapi.yaml: its method, path and lines.
type apiOp struct {
	method, path string
	lines        []string
}

// openAPIOps lists the operations under openapi.yaml's paths, in order.
func openAPIOps() []apiOp {
	var ops []apiOp
	inPaths, path := false, ""
	sc := bufio.NewScanner(bytes.NewReader(server.OpenAPI))
	for sc.Scan() {
		line := sc.Text()
		if line == "paths:" {
			inPaths = true
			continue
		}
		if !inPaths {
			continue
		}
		if m := routeRE.FindStringSubmatch(line); m != nil {
			path = m[1]
			continue
		}
		if m := methodRE.FindStringSubmatch(line); m != nil {
			ops = append(ops, apiOp{method: strings.ToUpper(m[1]), path: path})
		}
		if len(ops) > 0 && ops[len(ops)-1].path == path {
			ops[len(ops)-1].lines = append(ops[len(ops)-1].lines, line)
		}
	}
	return ops
}

func TestOpenAPIListsEveryRoute(t *testing.T) {
	f := newFixture(t)
	s := newServer(t, f, func(o *server.Options) { o.AllowWrites = true })
	var doc []string
	for _, op := range openAPIOps() {
		doc = append(doc, op.method+" "+op.path)
	}
	routes := s.Routes()
	sort.Strings(doc)
	sort.Strings(routes)
	if strings.Join(doc, "\n") != strings.Join(routes, "\n") {
		t.Errorf("openapi.yaml lists\n%s\nserver registers\n%s", strings.Join(doc, "\n"), strings.Join(routes, "\n"))
	}
}

func FuzzHandler(f *testing.F) {
	fx := newFixture(f)
	s := newServer(f, fx, nil)
	for _, seed := range []string{"/v1/genes/G00001/neighbors?k=3", "/v1/cells/ds1/D1C0000001/neighbors",
		"/v1/clusters/genes/0?enrich=modules", "/v1/genes/%00/coexpr", "/v1/clusters/cells/1/markers?k=99999",
		"/v1/genes/G00001/cluster?resolution=-1", "/v1/cells/ds1//genes", "/v1/genes/G1/cells?datasets=,,,",
		"/ui/app.js", "/ui/../server.go", "/v1/maps/cells/markers?polygon=1,2,3,4,5,6", "/v1/genes?prefix=G0"} {
		f.Add("GET", seed)
	}
	f.Fuzz(func(t *testing.T, method, target string) {
		if method != "GET" && method != "POST" && method != "HEAD" {
			method = "GET"
		}
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(u.Path, "/") {
			return
		}
		req := &http.Request{Method: method, URL: u, Header: http.Header{}, Body: http.NoBody, Host: "x"}
		req = req.WithContext(context.Background())
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != 504 {
			t.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
		}
		// every answer is JSON but the successful ones that say otherwise:
		// the UI's page and files, map coordinates, the OpenAPI YAML
		ct := rec.Header().Get("Content-Type")
		other := rec.Code == 200 && (strings.HasPrefix(ct, "text/") || ct == "application/octet-stream" || ct == "application/yaml")
		if method != "HEAD" && (rec.Code < 300 || rec.Code >= 400) && !other && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: body is not JSON: %q", method, target, rec.Body)
		}
		if other && strings.HasPrefix(u.Path, "/v1/") && ct != "application/octet-stream" && ct != "application/yaml" {
			t.Fatalf("%s %s: a /v1/ answer as %s", method, target, ct)
		}
	})
}

// TestLoad runs a bounded loopback load: N requests over C goroutines, zero
// errors allowed; it logs requests/s and p99.
func TestLoad(t *testing.T) {
	n, c := 3000, 8
	if *long {
		n, c = 100000, 32
	}
	f := newFixture(t)
	ts := httptest.NewServer(newServer(t, f, nil))
	defer ts.Close()
	targets := []string{"/v1/genes/G00003/neighbors?k=10", "/v1/cells/ds1/" + f.tr.Barcodes[0][7] + "/neighbors?k=10",
		"/v1/genes/G00000/coexpr", "/v1/datasets", "/v1/genes/g00011/cells?k=5"}
	lat, errs, rps := load(t, ts.URL, targets, n, c)
	if errs != 0 {
		t.Fatalf("%d of %d requests failed", errs, n)
	}
	t.Logf("loopback load: %d requests, %d goroutines: %.0f req/s, p50 %v, p99 %v, errors 0", n, c, rps, lat[len(lat)/2], lat[len(lat)*99/100])
}

func load(t testing.TB, base string, targets []string, n, c int) ([]time.Duration, int, float64) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c}, Timeout: 30 * time.Second}
	lat := make([]time.Duration, n)
	var (
		mu   sync.Mutex
		errs int
		wg   sync.WaitGroup
	)
	next := make(chan int)
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t0 := time.Now()
				resp, err := client.Get(base + targets[i%len(targets)])
				ok := err == nil && resp.StatusCode == 200
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				lat[i] = time.Since(t0)
				if !ok {
					mu.Lock()
					errs++
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	rps := float64(n) / time.Since(start).Seconds()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat, errs, rps
}

// TestOpenAPIDocuments400: every operation that takes a count, a resolution,
// an integer path element or a gene symbol answers 400 for a bad one (k=0,
// an ambiguous symbol), so openapi.yaml must list a 400 response for it.
// A few of them are asked for real.
func TestOpenAPIDocuments400(t *testing.T) {
	takesBad := regexp.MustCompile(`parameters/(k|resolution|max|terms|symbol|id)"|\{name: (k|top|top_fraction|limit|i),`)
	for _, op := range openAPIOps() {
		block := strings.Join(op.lines, "\n")
		if takesBad.MatchString(block) && !strings.Contains(block, `"400":`) {
			t.Errorf("openapi.yaml: %s %s takes parameters a client can get wrong but lists no 400 response", op.method, op.path)
		}
	}
	f := newFixture(t)
	s := newServer(t, f, nil)
	for _, target := range []string{
		"/v1/genes/G00001/coexpr?k=0", "/v1/genes/G00001/cluster?max=0", "/v1/genes/G00001/annotations?collection=modules&k=0",
		"/v1/genes/G00001/regulators?k=0", "/v1/genes/G00001/targets?k=0", "/v1/clusters/cells/0/markers?k=0",
	} {
		if code, _, body := get(t, s, http.MethodGet, target); code != 400 {
			t.Errorf("%s: %d %s, want 400", target, code, body)
		}
	}
}

// TestTokenlessRefusesOtherSites: a tokenless (loopback) server answers
// requests made to a loopback host from its own page or a tool, and
// refuses a DNS name rebound to 127.0.0.1 (421) and another site's page
// (403), which could otherwise read the store or trigger writes.
func TestTokenlessRefusesOtherSites(t *testing.T) {
	f := newFixture(t)
	s := newServer(t, f, func(o *server.Options) { o.AllowWrites = true })
	do := func(method, host, origin string) (int, string) {
		req := httptest.NewRequest(method, "/v1/datasets", nil)
		if method == "POST" {
			req = httptest.NewRequest(method, "/v1/clusters/genes?resolution=0.5", nil)
		}
		req.Host = host
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	for _, tc := range []struct {
		method, host, origin string
		want                 int
	}{
		{"GET", "127.0.0.1:8080", "", 200},
		{"GET", "localhost:8080", "http://localhost:8080", 200},
		{"GET", "[::1]:8080", "", 200},
		{"GET", "rebind.attacker.example:8080", "", 421},
		{"GET", "127.0.0.1:8080", "http://attacker.example", 403},
		{"POST", "127.0.0.1:8080", "http://attacker.example", 403},
		{"POST", "127.0.0.1:8080", "null", 403},
		{"POST", "127.0.0.1:8080", "http://127.0.0.1:8080", 0}, // let through (the route decides)
	} {
		got, body := do(tc.method, tc.host, tc.origin)
		refused := strings.Contains(body, "cross-origin") || strings.Contains(body, "not a loopback name")
		if tc.want == 0 && refused || tc.want != 0 && got != tc.want {
			t.Errorf("%s Host %q Origin %q: %d %s, want %d", tc.method, tc.host, tc.origin, got, body, tc.want)
		}
	}
	// with a token the token decides (a proxy may rewrite Host)
	tok := newServer(t, f, func(o *server.Options) { o.Token = "0123456789abcdef" })
	req := httptest.NewRequest("GET", "/v1/datasets", nil)
	req.Header.Set("Authorization", "Bearer 0123456789abcdef")
	rec := httptest.NewRecorder()
	tok.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("token server, Host %q: %d", req.Host, rec.Code)
	}
}
