package server_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"genestore/cmd/genestore/server"
	"genestore/query"
	"genestore/store"
)

// answers maps each JSON operation of openapi.yaml to the Go value its
// 200 answer encodes.
var answers = map[string]reflect.Type{
	"GET /v1/datasets":                            reflect.TypeFor[[]query.Dataset](),
	"GET /v1/info":                                reflect.TypeFor[*store.Info](),
	"GET /v1/genes/{symbol}/neighbors":            reflect.TypeFor[*query.GeneNeighbors](),
	"GET /v1/genes/{symbol}/cells":                reflect.TypeFor[*query.GeneCells](),
	"GET /v1/genes/{symbol}/coexpr":               reflect.TypeFor[*query.Coexpr](),
	"GET /v1/genes/{symbol}/cluster":              reflect.TypeFor[*query.ClusterMembers](),
	"GET /v1/genes/{symbol}/annotations":          reflect.TypeFor[*query.GeneAnnotations](),
	"GET /v1/genes/{symbol}/predicted":            reflect.TypeFor[*query.PredictedExpr](),
	"GET /v1/cells/{dataset}/{barcode}/neighbors": reflect.TypeFor[*query.CellNeighbors](),
	"GET /v1/cells/{dataset}/{barcode}/genes":     reflect.TypeFor[*query.TopGenes](),
	"GET /v1/cells/{dataset}/{barcode}/cluster":   reflect.TypeFor[*query.ClusterMembers](),
	"GET /v1/clusters/{space}":                    reflect.TypeFor[*query.ClusterSummary](),
	"POST /v1/clusters/{space}":                   reflect.TypeFor[*query.ClusterSummary](),
	"GET /v1/clusters/{space}/{id}":               reflect.TypeFor[*query.ClusterMembers](),
	"GET /v1/clusters/{space}/{id}/markers":       reflect.TypeFor[*query.TopGenes](),
	"GET /v1/clusters/{space}/{id}/regulators":    reflect.TypeFor[*query.Upstream](),
	"GET /v1/networks":                            reflect.TypeFor[[]query.Network](),
	"GET /v1/genes/{symbol}/regulators":           reflect.TypeFor[*query.RegulationAnswer](),
	"GET /v1/genes/{symbol}/targets":              reflect.TypeFor[*query.RegulationAnswer](),
	"GET /v1/ui/overview":                         reflect.TypeFor[*server.Overview](),
	"GET /v1/genes":                               reflect.TypeFor[[]server.Completion](),
	"GET /v1/datasets/{name}/qc":                  reflect.TypeFor[*server.QC](),
	"GET /v1/maps/{space}":                        reflect.TypeFor[*server.Map](),
	"GET /v1/maps/{space}/colour":                 reflect.TypeFor[*server.Colouring](),
	"GET /v1/maps/{space}/points/{i}":             reflect.TypeFor[*server.Point](),
	"GET /v1/maps/cells/markers":                  reflect.TypeFor[*server.Selection](),
}

// neverNull lists the fields a custom MarshalJSON writes as [] for nil.
var neverNull = map[string]bool{"DatasetInfo.obs_columns": true}

// schemas builds OpenAPI 3.0 schemas from Go types as encoding/json
// writes them: named structs become components (by type name), pointers
// and nil-able slices and maps not marked omitempty are nullable, fields
// marked omitempty are not required.
type schemas struct {
	defs  map[string]any
	owner map[string]reflect.Type
	err   []string
}

func (s *schemas) of(t reflect.Type, nullable bool) map[string]any {
	var out map[string]any
	switch {
	case t == reflect.TypeFor[time.Time]():
		out = map[string]any{"type": "string", "format": "date-time"}
	case t == reflect.TypeFor[json.RawMessage]():
		out = map[string]any{"description": "any JSON value"}
		nullable = false
	default:
		switch t.Kind() {
		case reflect.Pointer:
			return s.of(t.Elem(), nullable)
		case reflect.Bool:
			out = map[string]any{"type": "boolean"}
		case reflect.String:
			out = map[string]any{"type": "string"}
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			out = map[string]any{"type": "integer"}
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			out = map[string]any{"type": "integer", "minimum": 0}
		case reflect.Float32, reflect.Float64:
			out = map[string]any{"type": "number"}
		case reflect.Slice, reflect.Array:
			if t.Elem().Kind() == reflect.Uint8 {
				out = map[string]any{"type": "string", "format": "byte"}
			} else {
				out = map[string]any{"type": "array", "items": s.of(t.Elem(), false)}
			}
		case reflect.Map:
			out = map[string]any{"type": "object", "additionalProperties": s.of(t.Elem(), false)}
		case reflect.Struct:
			name := t.Name()
			if o, ok := s.owner[name]; ok && o != t {
				s.err = append(s.err, fmt.Sprintf("two types named %s: %v and %v", name, o, t))
			}
			if _, ok := s.owner[name]; !ok {
				s.owner[name] = t
				s.defs[name] = nil // placeholder against recursion
				s.defs[name] = s.object(t)
			}
			ref := map[string]any{"$ref": "#/components/schemas/" + name}
			if nullable {
				return map[string]any{"nullable": true, "allOf": []any{ref}}
			}
			return ref
		default:
			s.err = append(s.err, fmt.Sprintf("no schema for %v", t))
			return map[string]any{}
		}
	}
	if nullable {
		out["nullable"] = true
	}
	return out
}

// object is the schema of struct type t (embedded structs flattened).
func (s *schemas) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var req []any
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" || (!f.IsExported() && !f.Anonymous) {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if name == "" {
				name = f.Name
			}
			omit := strings.Contains(","+opts+",", ",omitempty,")
			k := f.Type.Kind()
			nilable := k == reflect.Pointer || k == reflect.Slice || k == reflect.Map || k == reflect.Interface
			if neverNull[t.Name()+"."+name] {
				nilable = false
			}
			sc := s.of(f.Type, nilable && !omit)
			if strings.Contains(","+opts+",", ",string,") {
				sc = map[string]any{"type": "string"}
			}
			props[name] = sc
			if !omit {
				req = append(req, name)
			}
		}
	}
	walk(t)
	out := map[string]any{"type": "object", "properties": props}
	if len(req) > 0 {
		sort.Slice(req, func(i, j int) bool { return req[i].(string) < req[j].(string) })
		out["required"] = req
	}
	return out
}

// answerSchema is the schema of an operation's 200 answer of type t.
func (s *schemas) answerSchema(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer {
		return s.of(t.Elem(), false)
	}
	return s.of(t, false) // a slice the engine answers as [] when empty
}

// normal strips descriptions and examples, and sorts required lists, so
// that the document's schemas compare with the generated ones.
func normal(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, c := range x {
			if k == "description" || k == "example" {
				continue
			}
			out[k] = normal(c)
		}
		if r, ok := out["required"].([]any); ok {
			sort.Slice(r, func(i, j int) bool { return fmt.Sprint(r[i]) < fmt.Sprint(r[j]) })
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, c := range x {
			out[i] = normal(c)
		}
		return out
	}
	return v
}

// TestOpenAPIAnswerSchemas: the 200 answer of every JSON operation has
// the schema of the Go type the server encodes, field by field (names,
// types, nullable, required unless omitempty), and every component schema
// matches its type: a client generated from openapi.yaml reads every
// field the server sends and expects none it does not.
func TestOpenAPIAnswerSchemas(t *testing.T) {
	doc := loadSpec(t)
	gen := &schemas{defs: map[string]any{}, owner: map[string]reflect.Type{}}
	seen := map[string]bool{}
	for _, o := range doc.ops() {
		name := o.method + " " + o.path
		rs, _ := o.op["responses"].(map[string]any)
		ok200 := doc.deref(rs["200"])
		content, _ := ok200["content"].(map[string]any)
		js, isJSON := content["application/json"].(map[string]any)
		typ, want := answers[name]
		if !want {
			if isJSON && name != "GET /healthz" {
				t.Errorf("%s: a JSON answer the test does not know: add it to answers", name)
			}
			continue
		}
		seen[name] = true
		if !isJSON {
			t.Errorf("%s: the 200 answer has no application/json content", name)
			continue
		}
		got, wantS := normal(js["schema"]), normal(gen.answerSchema(typ))
		if !reflect.DeepEqual(got, wantS) {
			t.Errorf("%s: 200 schema %v, want %v", name, got, wantS)
		}
	}
	for name := range answers {
		if !seen[name] {
			t.Errorf("answers names %s, which openapi.yaml does not list", name)
		}
	}
	for _, e := range gen.err {
		t.Error(e)
	}
	comps, _ := doc.ref("#/components/schemas").(map[string]any)
	var names []string
	for n := range gen.defs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		got, ok := comps[n]
		want := normal(gen.defs[n])
		if !ok {
			b, _ := yaml.Marshal(map[string]any{n: gen.defs[n]})
			t.Errorf("components/schemas lacks %s:\n%s", n, b)
			continue
		}
		if !reflect.DeepEqual(normal(got), want) {
			b, _ := yaml.Marshal(map[string]any{n: gen.defs[n]})
			t.Errorf("components/schemas/%s differs from the Go type %v; it should read\n%s", n, gen.owner[n], b)
		}
	}
}

// check reports where JSON value v (as encoding/json decodes into any)
// does not match schema sc of doc: a wrong type, a null where the schema
// is not nullable, a required property missing, or a property the schema
// does not list.
func (doc spec) check(sc map[string]any, v any, at string) []string {
	if r, ok := sc["$ref"].(string); ok {
		sc, _ = doc.ref(r).(map[string]any)
	}
	if v == nil {
		if n, _ := sc["nullable"].(bool); n || len(sc) == 0 {
			return nil
		}
		return []string{at + ": null, not nullable"}
	}
	var out []string
	if all, ok := sc["allOf"].([]any); ok {
		for _, a := range all {
			out = append(out, doc.check(a.(map[string]any), v, at)...)
		}
	}
	if en, ok := sc["enum"].([]any); ok {
		found := false
		for _, e := range en {
			found = found || fmt.Sprint(e) == fmt.Sprint(v)
		}
		if !found {
			out = append(out, fmt.Sprintf("%s: %v not in %v", at, v, en))
		}
	}
	bad := func(want string) []string { return append(out, fmt.Sprintf("%s: %T, want %s", at, v, want)) }
	switch sc["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return bad("object")
		}
		props, _ := sc["properties"].(map[string]any)
		add, _ := sc["additionalProperties"].(map[string]any)
		for k, c := range m {
			switch p, ok := props[k].(map[string]any); {
			case ok:
				out = append(out, doc.check(p, c, at+"."+k)...)
			case add != nil:
				out = append(out, doc.check(add, c, at+"."+k)...)
			default:
				out = append(out, at+"."+k+": not in the schema")
			}
		}
		req, _ := sc["required"].([]any)
		for _, r := range req {
			if _, ok := m[r.(string)]; !ok {
				out = append(out, fmt.Sprintf("%s.%s: required, missing", at, r))
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return bad("array")
		}
		items, _ := sc["items"].(map[string]any)
		for i, c := range a {
			out = append(out, doc.check(items, c, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case "string":
		if _, ok := v.(string); !ok {
			return bad("string")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return bad("boolean")
		}
	case "number", "integer":
		x, ok := v.(float64)
		if !ok {
			return bad("number")
		}
		if sc["type"] == "integer" && x != float64(int64(x)) && x < 1<<53 {
			out = append(out, fmt.Sprintf("%s: %v is not an integer", at, x))
		}
	}
	return out
}

// checkAnswer checks a JSON answer against the schema openapi.yaml gives
// for code of op.
func (doc spec) checkAnswer(op map[string]any, code int, body []byte) []string {
	rs, _ := op["responses"].(map[string]any)
	r := doc.deref(rs[fmt.Sprint(code)])
	content, _ := r["content"].(map[string]any)
	js, ok := content["application/json"].(map[string]any)
	if !ok {
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return []string{fmt.Sprintf("not JSON: %v", err)}
	}
	sc, _ := js["schema"].(map[string]any)
	return doc.check(sc, v, "$")
}
