package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// These tests check only the wire format: what each call sends (method,
// path, query, headers, JSON body) and how it reads Weaviate's documented
// answers. They do not pretend to be a database; cluster_test.go runs
// against real Weaviate processes.

type recorded struct {
	method, path, query, auth string
	body                      map[string]any
}

// server answers every request with status and body and records it.
func server(t *testing.T, status int, body string) (*httptest.Server, *[]recorded) {
	t.Helper()
	var reqs []recorded
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		rec := recorded{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, auth: r.Header.Get("Authorization")}
		if len(data) > 0 {
			if err := json.Unmarshal(data, &rec.body); err != nil {
				t.Errorf("%s %s: body is not a JSON object: %v", r.Method, r.URL.Path, err)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s %s: Content-Type %q", r.Method, r.URL.Path, ct)
			}
		}
		reqs = append(reqs, rec)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s, &reqs
}

func client(t *testing.T, url, token string) *Client {
	t.Helper()
	c, err := NewClient(url, ClientOptions{Token: token, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCreateCollectionWire(t *testing.T) {
	s, reqs := server(t, 200, `{}`)
	c := client(t, s.URL+"/", "")
	col := newCollection("GenestoreCells_0123456789", SyncOptions{Space: "cells", Shards: 3, Replicas: 2})
	if err := c.CreateCollection(context.Background(), col); err != nil {
		t.Fatal(err)
	}
	r := (*reqs)[0]
	if r.method != "POST" || r.path != "/v1/schema" || r.auth != "" {
		t.Fatalf("request %s %s auth %q", r.method, r.path, r.auth)
	}
	b := r.body
	if b["class"] != "GenestoreCells_0123456789" || b["vectorizer"] != "none" || b["vectorIndexType"] != "hnsw" {
		t.Errorf("class fields: %v", b)
	}
	vic := b["vectorIndexConfig"].(map[string]any)
	if vic["distance"] != "cosine" || vic["maxConnections"] != 16.0 || vic["efConstruction"] != 200.0 {
		t.Errorf("vectorIndexConfig %v", vic)
	}
	if sc := b["shardingConfig"].(map[string]any); sc["desiredCount"] != 3.0 {
		t.Errorf("shardingConfig %v", sc)
	}
	if rc := b["replicationConfig"].(map[string]any); rc["factor"] != 2.0 {
		t.Errorf("replicationConfig %v", rc)
	}
	props := map[string]string{}
	for _, p := range b["properties"].([]any) {
		m := p.(map[string]any)
		props[m["name"].(string)] = m["dataType"].([]any)[0].(string)
	}
	want := map[string]string{PropKey: "text", PropDataset: "int", PropEntity: "int", PropName: "text",
		PropDatasetStr: "text", PropModel: "text", PropGeneration: "int"}
	for k, v := range want {
		if props[k] != v {
			t.Errorf("property %s: dataType %q, want %q", k, props[k], v)
		}
	}
}

func TestPutObjectsWire(t *testing.T) {
	// An answer in the documented shape: one ObjectsGetResponse per object,
	// result.errors set on failures.
	s, reqs := server(t, 200, `[{"id":"a","result":{}},{"id":"b","result":{"errors":{"error":[{"message":"vector lengths don't match"}]}}}]`)
	c := client(t, s.URL, "secret")
	objs := []Object{
		{Class: "C", ID: ObjectID("cells", 1), Vector: []float32{0.5, -1}, Properties: map[string]any{PropKey: "1", PropDataset: int64(0)}},
		{Class: "C", ID: ObjectID("cells", 2), Vector: []float32{1, 2, 3}, Properties: map[string]any{PropKey: "2"}},
	}
	err := c.PutObjects(context.Background(), objs, "ALL")
	if err == nil || !strings.Contains(err.Error(), "object b: vector lengths don't match") {
		t.Fatalf("per-object error not reported: %v", err)
	}
	r := (*reqs)[0]
	if r.method != "POST" || r.path != "/v1/batch/objects" || r.query != "consistency_level=ALL" || r.auth != "Bearer secret" {
		t.Fatalf("request %s %s?%s auth %q", r.method, r.path, r.query, r.auth)
	}
	got := r.body["objects"].([]any)
	o := got[0].(map[string]any)
	if o["class"] != "C" || o["id"] != ObjectID("cells", 1) {
		t.Errorf("object %v", o)
	}
	if v := o["vector"].([]any); len(v) != 2 || v[0] != 0.5 || v[1] != -1.0 {
		t.Errorf("vector %v", v)
	}
	if p := o["properties"].(map[string]any); p[PropKey] != "1" || p[PropDataset] != 0.0 {
		t.Errorf("properties %v", p)
	}
}

func TestObjectIDIsUUIDAndStable(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, k := range []uint64{0, 1, 1<<32 | 7, ^uint64(0)} {
		id := ObjectID("cells", k)
		if !re.MatchString(id) {
			t.Errorf("ObjectID(%d) = %q is not a version-5 UUID", k, id)
		}
		if id != ObjectID("cells", k) || id == ObjectID("genes", k) {
			t.Errorf("ObjectID(%d) not stable or not space-specific", k)
		}
	}
}

func TestNearVectorWire(t *testing.T) {
	s, reqs := server(t, 200, `{"data":{"Get":{"GenestoreCells":[
		{"key":"4294967303","_additional":{"distance":0.125}},
		{"key":"18446744073709551615","_additional":{"distance":0.5}}]}}}`)
	c := client(t, s.URL, "")
	ds := int64(3)
	hits, err := c.NearVector(context.Background(), "GenestoreCells", PropKey, []float32{0.25, -1e-7}, 10,
		&Where{Operator: "Equal", Path: []string{PropDataset}, ValueInt: &ds})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 || hits[0] != (Hit{Key: 1<<32 | 7, Distance: 0.125}) || hits[1].Key != ^uint64(0) {
		t.Fatalf("hits %v", hits)
	}
	r := (*reqs)[0]
	if r.method != "POST" || r.path != "/v1/graphql" {
		t.Fatalf("request %s %s", r.method, r.path)
	}
	want := `{ Get { GenestoreCells(limit: 10, nearVector: {vector: [0.25,-1e-07]}, where: {operator: Equal, path: ["dataset"], valueInt: 3}) { key _additional { distance } } } }`
	if got := r.body["query"]; got != want {
		t.Errorf("query\n got %s\nwant %s", got, want)
	}
}

func TestGraphQLErrorsAndStatuses(t *testing.T) {
	ctx := context.Background()
	s, _ := server(t, 200, `{"data":{"Get":{"X":null}},"errors":[{"message":"Cannot query field \"X\" on type \"GetObjectsObj\"."}]}`)
	if _, err := client(t, s.URL, "").NearVector(ctx, "X", PropKey, []float32{1}, 1, nil); err == nil || !strings.Contains(err.Error(), `Cannot query field`) {
		t.Errorf("graphql error not reported: %v", err)
	}
	s, _ = server(t, 401, `{"code":401,"message":"unauthorized: invalid api key"}`)
	err := client(t, s.URL, "wrong").Ready(ctx)
	if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "401: unauthorized: invalid api key (check the API key") {
		t.Errorf("401 is %v, want ErrAuth with the server's message", err)
	}
	s, _ = server(t, 422, `{"error":[{"message":"class name \"x\" is invalid"}]}`)
	err = client(t, s.URL, "").CreateCollection(ctx, Collection{Class: "x"})
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 422 || se.Messages[0] != `class name "x" is invalid` {
		t.Errorf("422 is %v", err)
	}
	s, _ = server(t, 404, ``)
	if _, err := client(t, s.URL, "").Alias(ctx, "A"); !errors.Is(err, ErrNotFound) {
		t.Errorf("404 is %v, want ErrNotFound", err)
	}
}

func TestRetriesTransientOnly(t *testing.T) {
	var n atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 3 {
			w.WriteHeader(503)
			return
		}
		io.WriteString(w, `{"data":{"Aggregate":{"C":[{"meta":{"count":42}}]}}}`)
	}))
	t.Cleanup(s.Close)
	c, _ := NewClient(s.URL, ClientOptions{Retries: 3, Backoff: time.Millisecond})
	got, err := c.Count(context.Background(), "C", nil)
	if err != nil || got != 42 || n.Load() != 3 {
		t.Fatalf("count %d err %v after %d requests", got, err, n.Load())
	}
	n.Store(0)
	s2, reqs := server(t, 400, `{"error":[{"message":"bad"}]}`)
	c, _ = NewClient(s2.URL, ClientOptions{Retries: 3, Backoff: time.Millisecond})
	if err := c.Ready(context.Background()); err == nil || len(*reqs) != 1 {
		t.Fatalf("400 retried: %d requests, err %v", len(*reqs), err)
	}
}

func TestAliasWire(t *testing.T) {
	// Absent alias: GET answers 404, then POST /v1/aliases creates it.
	var seen []string
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.Path+" "+string(body))
		if r.Method == "GET" {
			w.WriteHeader(404)
			return
		}
		io.WriteString(w, `{"alias":"GenestoreCells","class":"GenestoreCells_aa"}`)
	}))
	t.Cleanup(s.Close)
	if err := client(t, s.URL, "").SetAlias(context.Background(), "GenestoreCells", "GenestoreCells_aa"); err != nil {
		t.Fatal(err)
	}
	want := []string{"GET /v1/aliases/GenestoreCells ", `POST /v1/aliases {"alias":"GenestoreCells","class":"GenestoreCells_aa"}`}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests\n%s\nwant\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

func TestCountByWire(t *testing.T) {
	s, reqs := server(t, 200, `{"data":{"Aggregate":{"C":[{"groupedBy":{"value":"3"},"meta":{"count":10}},{"groupedBy":{"value":"4294967295"},"meta":{"count":2}}]}}}`)
	got, err := client(t, s.URL, "").CountBy(context.Background(), "C", PropDataset)
	if err != nil || got["3"] != 10 || got["4294967295"] != 2 {
		t.Fatalf("counts %v err %v", got, err)
	}
	if q := (*reqs)[0].body["query"]; q != `{ Aggregate { C(groupBy: ["dataset"], limit: 1000000) { groupedBy { value } meta { count } } } }` {
		t.Errorf("query %s", q)
	}
}

func TestDefaultAliasAndValidate(t *testing.T) {
	for in, want := range map[string]string{"cells": "GenestoreCells", "cell-genes": "GenestoreCellGenes", "genes": "GenestoreGenes"} {
		if got := DefaultAlias(in); got != want || !validClass(got) {
			t.Errorf("DefaultAlias(%q) = %q, want %q", in, got, want)
		}
	}
	err := SyncOptions{Shards: -1, Consistency: "SOME", Alias: "lower"}.Validate()
	if err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Errorf("Validate should report three problems: %v", err)
	}
}

// TestDeleteWhereRepeatsPastLimit: one batch delete removes at most the
// server's QUERY_MAXIMUM_RESULTS ("limit" in the answer, below "matches"
// when capped), so DeleteWhere repeats until nothing more matches; it once
// stopped after the first request and said all were gone.
func TestDeleteWhereRepeatsPastLimit(t *testing.T) {
	const limit = 10
	left := 25
	var reqs int
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqs++
		if r.Method != http.MethodDelete || r.URL.Path != "/v1/batch/objects" {
			w.WriteHeader(400)
			return
		}
		n := min(left, limit)
		matches := left
		left -= n
		json.NewEncoder(w).Encode(map[string]any{"results": map[string]any{"matches": matches, "limit": limit, "successful": n, "failed": 0}})
	}))
	t.Cleanup(s.Close)
	c := client(t, s.URL, "")
	n, err := c.DeleteWhere(context.Background(), "C", Where{Operator: "Equal", Path: []string{"dataset"}}, "")
	if err != nil || n != 25 || left != 0 || reqs != 3 {
		t.Fatalf("deleted %d (%v) in %d requests, %d left", n, err, reqs, left)
	}
	// A server that matches but deletes nothing ends the loop with an error.
	s2, _ := server(t, 200, `{"results":{"matches":30,"limit":10,"successful":0,"failed":0}}`)
	if _, err := client(t, s2.URL, "").DeleteWhere(context.Background(), "C", Where{Operator: "Equal"}, ""); err == nil || !strings.Contains(err.Error(), "30 objects match, none was deleted") {
		t.Fatalf("stuck delete: %v", err)
	}
}

// TestClientTimeoutRetried: an http.Client timeout (a slow server; its
// error also wraps context.DeadlineExceeded) is retried like any network
// error, while the caller's own deadline ends the request at once.
func TestClientTimeoutRetried(t *testing.T) {
	var n atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			time.Sleep(300 * time.Millisecond)
		}
		io.WriteString(w, `{"data":{"Aggregate":{"C":[{"meta":{"count":7}}]}}}`)
	}))
	t.Cleanup(s.Close)
	c, _ := NewClient(s.URL, ClientOptions{Retries: 3, Backoff: time.Millisecond, HTTP: &http.Client{Timeout: 100 * time.Millisecond}})
	if got, err := c.Count(context.Background(), "C", nil); err != nil || got != 7 || n.Load() != 2 {
		t.Fatalf("count %d err %v after %d requests", got, err, n.Load())
	}
	n.Store(0)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	c, _ = NewClient(s.URL, ClientOptions{Retries: 3, Backoff: time.Millisecond})
	if _, err := c.Count(ctx, "C", nil); !errors.Is(err, context.DeadlineExceeded) || n.Load() != 1 {
		t.Fatalf("caller's deadline: err %v after %d requests", err, n.Load())
	}
}
