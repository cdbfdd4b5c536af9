package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"genestore/cmd/genestore/server"
	"genestore/query"
	"genestore/store"
	"genestore/vocab"
)

// spec is openapi.yaml parsed.
type spec map[string]any

func loadSpec(t *testing.T) spec {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(server.OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return doc
}

// ref follows a local $ref ("#/components/parameters/k"); nil when it
// names nothing.
func (s spec) ref(ref string) any {
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	var cur any = map[string]any(s)
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[strings.NewReplacer("~1", "/", "~0", "~").Replace(part)]; !ok {
			return nil
		}
	}
	return cur
}

// deref returns n, or what its $ref names.
func (s spec) deref(n any) map[string]any {
	m, _ := n.(map[string]any)
	if r, ok := m["$ref"].(string); ok {
		m, _ = s.ref(r).(map[string]any)
	}
	return m
}

// specOp is one operation of the document.
type specOp struct {
	method, path string
	op           map[string]any
	params       []map[string]any // dereferenced
}

var specMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func (s spec) ops() []specOp {
	paths, _ := s["paths"].(map[string]any)
	var out []specOp
	for p, item := range paths {
		im, _ := item.(map[string]any)
		for _, m := range specMethods {
			op, ok := im[m].(map[string]any)
			if !ok {
				continue
			}
			o := specOp{method: strings.ToUpper(m), path: p, op: op}
			ps, _ := op["parameters"].([]any)
			for _, pp := range ps {
				o.params = append(o.params, s.deref(pp))
			}
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path+out[i].method < out[j].path+out[j].method })
	return out
}

// TestOpenAPIValid checks the document's structure as OpenAPI 3.0 needs
// it: every $ref resolves, every {name} of a path is a required path
// parameter of each of its operations and no other path parameter is
// declared, parameters are unique by name and location, and every operation
// has responses with a success.
func TestOpenAPIValid(t *testing.T) {
	s := loadSpec(t)
	if v, _ := s["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		t.Errorf("openapi: %q", v)
	}
	for _, k := range []string{"info", "paths"} {
		if _, ok := s[k].(map[string]any); !ok {
			t.Errorf("no %s object", k)
		}
	}
	var walk func(path string, n any)
	walk = func(path string, n any) {
		switch v := n.(type) {
		case map[string]any:
			if r, ok := v["$ref"]; ok {
				rs, _ := r.(string)
				if s.ref(rs) == nil {
					t.Errorf("%s: $ref %q names nothing", path, r)
				}
			}
			for k, c := range v {
				walk(path+"/"+k, c)
			}
		case []any:
			for i, c := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), c)
			}
		}
	}
	walk("#", map[string]any(s))
	vars := regexp.MustCompile(`\{([^}]+)\}`)
	for _, o := range s.ops() {
		name := o.method + " " + o.path
		want := map[string]bool{}
		for _, m := range vars.FindAllStringSubmatch(o.path, -1) {
			want[m[1]] = true
		}
		seen := map[string]bool{}
		for i, p := range o.params {
			if p == nil {
				t.Errorf("%s: parameter %d does not resolve", name, i)
				continue
			}
			n, _ := p["name"].(string)
			in, _ := p["in"].(string)
			if n == "" || !map[string]bool{"path": true, "query": true, "header": true, "cookie": true}[in] {
				t.Errorf("%s: parameter %v has no name or a bad location", name, p)
			}
			if seen[in+" "+n] {
				t.Errorf("%s: parameter %s in %s twice", name, n, in)
			}
			seen[in+" "+n] = true
			if _, ok := p["schema"].(map[string]any); !ok {
				t.Errorf("%s: parameter %s has no schema", name, n)
			}
			if in == "path" {
				if req, _ := p["required"].(bool); !req {
					t.Errorf("%s: path parameter %s is not required", name, n)
				}
				if !want[n] {
					t.Errorf("%s: path parameter %s is not in the path", name, n)
				}
				delete(want, n)
			}
		}
		for n := range want {
			t.Errorf("%s: {%s} is not declared as a path parameter", name, n)
		}
		rs, _ := o.op["responses"].(map[string]any)
		ok := false
		for code, r := range rs {
			ok = ok || strings.HasPrefix(code, "2")
			if rm := s.deref(r); rm == nil || rm["description"] == nil {
				t.Errorf("%s: response %s has no description", name, code)
			}
		}
		if !ok {
			t.Errorf("%s: no success response", name)
		}
	}
}

// specNum reads a number of the document (YAML ints and floats).
func specNum(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// specUI is fakeUI with the serve command's checks of the space (a 400
// for anything but cells or genes) and a colouring for any by=.
type specUI struct{ *fakeUI }

func specSpace(space string) error {
	if space != vocab.SpaceCells && space != vocab.SpaceGenes {
		return fmt.Errorf("%w: space %q", query.ErrInvalid, space)
	}
	return nil
}

func (u specUI) Map(ctx context.Context, space string) (*server.Map, error) {
	if err := specSpace(space); err != nil {
		return nil, err
	}
	return u.fakeUI.Map(ctx, space)
}

func (u specUI) Colour(ctx context.Context, space, by string) (*server.Colouring, error) {
	if err := specSpace(space); err != nil {
		return nil, err
	}
	return &server.Colouring{By: by, Kind: "value", Codes: []int16{}}, nil
}

func (u specUI) Point(ctx context.Context, space string, i int) (*server.Point, error) {
	if err := specSpace(space); err != nil {
		return nil, err
	}
	return u.fakeUI.Point(ctx, space, i)
}

// TestOpenAPIParameters asks every operation of openapi.yaml for the
// values its parameters' schemas allow and refuse, and checks the server
// agrees: a value below a minimum, above a maximum, outside an enum or not
// a number is a 400; the bounds and enum values are not; an integer without
// a documented maximum accepts a large one (else the limit is missing from
// the document); leaving out a required parameter is a 400; leaving out a
// parameter with a default answers as sending the default. Every status
// seen must be one the operation documents.
func TestOpenAPIParameters(t *testing.T) {
	doc := loadSpec(t)
	f := newFixture(t)
	var keys []uint64
	for d, id := range f.tr.DatasetIDs {
		for r := range f.tr.Barcodes[d] {
			keys = append(keys, vocab.EntityKey(id, uint32(r)))
		}
	}
	s := newServer(t, f, func(o *server.Options) {
		o.AllowWrites = true
		o.UI = specUI{&fakeUI{keys: keys}}
		o.Info = func(context.Context) (*store.Info, error) { return f.db.Info() }
	})
	pathVal := map[string]string{"symbol": "G00002", "dataset": "ds2", "barcode": f.tr.Barcodes[1][3], "id": "0",
		"name": "ds1", "i": "0", "file": "app.js"}
	queryVal := map[string]string{"collection": "modules", "dataset": "ds1", "by": "dataset",
		"polygon": "-1,-1,10000,-1,10000,2,-1,2"}
	do := func(method, target string) (int, []byte) {
		req := httptest.NewRequest(method, target, nil)
		req.Host = "127.0.0.1:8080"
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code, rec.Body.Bytes()
	}
	for _, o := range doc.ops() {
		name := o.method + " " + o.path
		rs, _ := o.op["responses"].(map[string]any)
		documented := func(code int) bool {
			_, ok := rs[strconv.Itoa(code)]
			_, def := rs["default"]
			return ok || def
		}
		// the base request: path values, required query parameters
		path := o.path
		base := url.Values{}
		for _, p := range o.params {
			n, in := p["name"].(string), p["in"].(string)
			sc, _ := p["schema"].(map[string]any)
			switch in {
			case "path":
				v := pathVal[n]
				if en, ok := sc["enum"].([]any); ok {
					v = fmt.Sprint(en[0])
				}
				path = strings.ReplaceAll(path, "{"+n+"}", url.PathEscape(v))
			case "query":
				if req, _ := p["required"].(bool); req {
					base.Set(n, queryVal[n])
				}
			}
		}
		if o.method == "POST" {
			// a resolution with no stored clustering: any graph k is then
			// allowed (a stored one's must match)
			base.Set("resolution", "0.5")
		}
		ask := func(what string, pathNow string, q url.Values, want func(int) bool, wantS string) (int, []byte) {
			target := pathNow
			if len(q) > 0 {
				target += "?" + q.Encode()
			}
			code, body := do(o.method, target)
			if !documented(code) {
				t.Errorf("%s: %s (%s) answered %d, not documented: %s", name, what, target, code, body)
			}
			for _, e := range doc.checkAnswer(o.op, code, body) {
				t.Errorf("%s: %s (%s) answered %d: the body does not match its schema: %s", name, what, target, code, e)
			}
			if want != nil && !want(code) {
				t.Errorf("%s: %s (%s) answered %d, want %s: %s", name, what, target, code, wantS, body)
			}
			return code, body
		}
		is400 := func(c int) bool { return c == 400 }
		not400 := func(c int) bool { return c != 400 && c < 500 }
		ask("the base request", path, base, not400, "not 400")
		for _, p := range o.params {
			n, in := p["name"].(string), p["in"].(string)
			sc, _ := p["schema"].(map[string]any)
			typ, _ := sc["type"].(string)
			// with sets the parameter to v (in the path or the query)
			with := func(v string) (string, url.Values) {
				q := url.Values{}
				for k, vs := range base {
					q[k] = vs
				}
				if in == "path" {
					return strings.Replace(o.path, "{"+n+"}", url.PathEscape(v), 1), q
				}
				q.Set(n, v)
				return path, q
			}
			try := func(v string, want func(int) bool, wantS string) (int, []byte) {
				pt, q := with(v)
				if in == "path" { // the other path parameters
					for _, p2 := range o.params {
						if n2 := p2["name"].(string); p2["in"] == "path" && n2 != n {
							v2 := pathVal[n2]
							if en, ok := p2["schema"].(map[string]any)["enum"].([]any); ok {
								v2 = fmt.Sprint(en[0])
							}
							pt = strings.ReplaceAll(pt, "{"+n2+"}", url.PathEscape(v2))
						}
					}
				}
				return ask(fmt.Sprintf("%s=%s", n, v), pt, q, want, wantS)
			}
			without := url.Values{}
			for k, vs := range base {
				if k != n {
					without[k] = vs
				}
			}
			if req, _ := p["required"].(bool); req && in == "query" {
				ask("without "+n, path, without, is400, "400")
			}
			if en, ok := sc["enum"].([]any); ok {
				for _, v := range en {
					try(fmt.Sprint(v), not400, "not 400")
				}
				try("bogus", is400, "400")
			}
			if typ == "integer" || typ == "number" {
				try("abc", is400, "400")
				fmtv := func(x float64) string {
					if typ == "integer" {
						return strconv.Itoa(int(x))
					}
					return strconv.FormatFloat(x, 'g', -1, 64)
				}
				step := 1.0
				if typ == "number" {
					step = 1e-3
				}
				if lo, ok := specNum(sc["minimum"]); ok {
					if ex, _ := sc["exclusiveMinimum"].(bool); ex {
						try(fmtv(lo), is400, "400 (exclusive minimum)")
						try(fmtv(lo+step), not400, "not 400")
					} else {
						try(fmtv(lo-step), is400, "400 (below the minimum)")
						try(fmtv(lo), not400, "not 400 (the minimum)")
					}
				}
				hi, ok := specNum(sc["maximum"])
				switch ex, _ := sc["exclusiveMaximum"].(bool); {
				case ok && ex:
					try(fmtv(hi), is400, "400 (exclusive maximum)")
				case ok:
					try(fmtv(hi+step), is400, "400 (above the maximum)")
					try(fmtv(hi), not400, "not 400 (the maximum)")
				case typ == "integer":
					try("1000000", not400, "not 400: no maximum is documented")
				default:
					try("1e9", not400, "not 400: no maximum is documented")
				}
			}
			if def, ok := sc["default"]; ok && in == "query" {
				c0, b0 := ask("without "+n, path, without, nil, "")
				c1, b1 := try(fmt.Sprint(def), nil, "")
				if c0 != c1 || !bytes.Equal(b0, b1) {
					t.Errorf("%s: without %s: %d %.300s\nwith its default %s=%v: %d %.300s", name, n, c0, b0, n, def, c1, b1)
				}
			}
		}
	}
	// a path element outside a path parameter's enum
	for _, target := range []string{"/v1/clusters/proteins", "/v1/clusters/genes/0/markers", "/v1/clusters/cells/0/regulators", "/v1/maps/proteins"} {
		if code, body := do("GET", target); code != 400 {
			t.Errorf("%s: %d %s, want 400", target, code, body)
		}
	}
}
