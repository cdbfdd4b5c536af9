package weaviate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client speaks Weaviate's REST and GraphQL API (/v1/...) over net/http.
// It is safe for concurrent use.
type Client struct {
	base    *url.URL
	token   string
	hc      *http.Client
	retries int
	backoff time.Duration
}

// ClientOptions configure a Client. The zero value is valid.
type ClientOptions struct {
	// Token is sent as "Authorization: Bearer TOKEN" when not empty (an API
	// key of a Weaviate with API-key authentication).
	Token string
	// HTTP is the client used; nil means one with a 60 s timeout.
	HTTP *http.Client
	// Retries is how many times a request that failed with a network error,
	// 429 or a 5xx status is retried; 0 means 4, negative means none.
	Retries int
	// Backoff is the first wait between retries (doubled each time);
	// 0 means 200 ms.
	Backoff time.Duration
}

// NewClient returns a client of the Weaviate at rawURL
// ("http://127.0.0.1:8080"; a path is kept as a prefix before /v1).
func NewClient(rawURL string, opts ClientOptions) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: url %q: %v", ErrInvalid, rawURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%w: url %q: want http(s)://host:port", ErrInvalid, rawURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	c := &Client{base: u, token: opts.Token, hc: opts.HTTP, retries: opts.Retries, backoff: opts.Backoff}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 60 * time.Second}
	}
	if c.retries == 0 {
		c.retries = 4
	} else if c.retries < 0 {
		c.retries = 0
	}
	if c.backoff == 0 {
		c.backoff = 200 * time.Millisecond
	}
	return c, nil
}

// URL returns the base URL the client talks to.
func (c *Client) URL() string { return c.base.String() }

// StatusError is a non-2xx answer of the server, with its error messages.
type StatusError struct {
	Method, Path string
	Status       int
	Messages     []string
}

func (e *StatusError) Error() string {
	msg := strings.Join(e.Messages, "; ")
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden {
		msg += " (check the API key: --token or $GENESTORE_WEAVIATE_TOKEN)"
	}
	return fmt.Sprintf("weaviate: %s %s: %d: %s", e.Method, e.Path, e.Status, msg)
}

// Unwrap maps 401/403 to ErrAuth and 404 to ErrNotFound.
func (e *StatusError) Unwrap() error {
	switch e.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return ErrAuth
	case http.StatusNotFound:
		return ErrNotFound
	}
	return nil
}

// do sends one request with a JSON body (nil: none) and decodes a JSON
// answer into out (nil: discarded), retrying transient failures.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("weaviate: encode %s %s: %w", method, path, err)
		}
	}
	u := *c.base
	u.Path += "/v1" + path
	u.RawQuery = query.Encode()
	wait := c.backoff
	for attempt := 0; ; attempt++ {
		err := c.once(ctx, method, u.String(), path, payload, out)
		if err == nil || attempt >= c.retries || !transient(err) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// transient reports whether err is worth a retry: a network error, 429 or
// a 5xx status.
func transient(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status == http.StatusTooManyRequests || se.Status >= 500
	}
	// The caller's own deadline or cancellation ends the retries (do checks
	// ctx); an http.Client timeout also wraps context.DeadlineExceeded but
	// is a slow server, worth another try.
	return !errors.Is(err, context.Canceled) && !errors.Is(err, errDecode)
}

var errDecode = errors.New("weaviate: undecodable answer")

func (c *Client) once(ctx context.Context, method, rawURL, path string, payload []byte, out any) error {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return err
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("weaviate: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("weaviate: %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		se := &StatusError{Method: method, Path: path, Status: resp.StatusCode}
		var er errorResponse
		if json.Unmarshal(data, &er) == nil {
			for _, m := range er.Error {
				se.Messages = append(se.Messages, m.Message)
			}
			if len(se.Messages) == 0 && er.Message != "" {
				se.Messages = []string{er.Message}
			}
		}
		if len(se.Messages) == 0 && len(bytes.TrimSpace(data)) > 0 {
			se.Messages = []string{string(bytes.TrimSpace(data[:min(len(data), 300)]))}
		}
		return se
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%w: %s %s: %v", errDecode, method, path, err)
	}
	return nil
}

// errorResponse is Weaviate's ErrorResponse, {"error":[{"message":"..."}]},
// or the {"code":401,"message":"..."} its authentication layer answers.
type errorResponse struct {
	Error []struct {
		Message string `json:"message"`
	} `json:"error"`
	Message string `json:"message"`
}

// Ready asks GET /v1/.well-known/ready (200 when the node serves).
func (c *Client) Ready(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/.well-known/ready", nil, nil, nil)
}

// Property is one property of a collection.
type Property struct {
	Name            string   `json:"name"`
	DataType        []string `json:"dataType"`
	IndexFilterable *bool    `json:"indexFilterable,omitempty"`
	IndexSearchable *bool    `json:"indexSearchable,omitempty"`
}

// Collection is the part of Weaviate's class definition genestore sets.
type Collection struct {
	Class             string             `json:"class"`
	Description       string             `json:"description,omitempty"`
	Vectorizer        string             `json:"vectorizer"`
	VectorIndexType   string             `json:"vectorIndexType"`
	VectorIndexConfig *VectorIndexConfig `json:"vectorIndexConfig,omitempty"`
	ShardingConfig    *ShardingConfig    `json:"shardingConfig,omitempty"`
	ReplicationConfig *ReplicationConfig `json:"replicationConfig,omitempty"`
	Properties        []Property         `json:"properties"`
}

// VectorIndexConfig is the HNSW configuration of a collection.
type VectorIndexConfig struct {
	Distance       string `json:"distance"`
	MaxConnections int    `json:"maxConnections,omitempty"`
	EfConstruction int    `json:"efConstruction,omitempty"`
	Ef             int    `json:"ef,omitempty"`
}

// ShardingConfig sets how many shards a collection has.
type ShardingConfig struct {
	DesiredCount int `json:"desiredCount,omitempty"`
}

// ReplicationConfig sets how many copies of each shard are kept.
type ReplicationConfig struct {
	Factor       int  `json:"factor,omitempty"`
	AsyncEnabled bool `json:"asyncEnabled"`
}

// CreateCollection creates a collection (POST /v1/schema).
func (c *Client) CreateCollection(ctx context.Context, col Collection) error {
	return c.do(ctx, http.MethodPost, "/schema", nil, col, nil)
}

// GetCollection reads a collection's definition (ErrNotFound when absent).
func (c *Client) GetCollection(ctx context.Context, class string) (Collection, error) {
	var col Collection
	err := c.do(ctx, http.MethodGet, "/schema/"+url.PathEscape(class), nil, nil, &col)
	return col, err
}

// DeleteCollection deletes a collection and its objects; deleting an absent
// one is not an error.
func (c *Client) DeleteCollection(ctx context.Context, class string) error {
	err := c.do(ctx, http.MethodDelete, "/schema/"+url.PathEscape(class), nil, nil, nil)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Alias returns the collection an alias points at (ErrNotFound when the
// alias does not exist).
func (c *Client) Alias(ctx context.Context, alias string) (string, error) {
	var a struct {
		Alias string `json:"alias"`
		Class string `json:"class"`
	}
	if err := c.do(ctx, http.MethodGet, "/aliases/"+url.PathEscape(alias), nil, nil, &a); err != nil {
		return "", err
	}
	return a.Class, nil
}

// SetAlias points alias at class, creating it (POST /v1/aliases) or moving
// it (PUT /v1/aliases/{alias}) in one step: readers see the old class or
// the new one, never a mix.
func (c *Client) SetAlias(ctx context.Context, alias, class string) error {
	cur, err := c.Alias(ctx, alias)
	switch {
	case errors.Is(err, ErrNotFound):
		return c.do(ctx, http.MethodPost, "/aliases", nil, map[string]string{"alias": alias, "class": class}, nil)
	case err != nil:
		return err
	case cur == class:
		return nil
	}
	return c.do(ctx, http.MethodPut, "/aliases/"+url.PathEscape(alias), nil, map[string]string{"class": class}, nil)
}

// Object is one object to write: a UUID, its vector and its properties.
type Object struct {
	Class      string         `json:"class"`
	ID         string         `json:"id"`
	Vector     []float32      `json:"vector"`
	Properties map[string]any `json:"properties"`
}

// PutObjects writes objects with one POST /v1/batch/objects at the given
// consistency level ("ONE", "QUORUM", "ALL"; "" = server default).
// Objects with an existing UUID are replaced, so writing the same batch
// twice leaves one copy of each. Per-object failures are joined into the
// returned error.
func (c *Client) PutObjects(ctx context.Context, objs []Object, consistency string) error {
	var q url.Values
	if consistency != "" {
		q = url.Values{"consistency_level": {consistency}}
	}
	body := struct {
		Fields  []string `json:"fields"`
		Objects []Object `json:"objects"`
	}{Fields: []string{"id"}, Objects: objs}
	var res []struct {
		ID     string `json:"id"`
		Result struct {
			Errors *errorResponse `json:"errors"`
		} `json:"result"`
	}
	if err := c.do(ctx, http.MethodPost, "/batch/objects", q, body, &res); err != nil {
		return err
	}
	var errs []error
	for _, r := range res {
		if r.Result.Errors == nil {
			continue
		}
		for _, m := range r.Result.Errors.Error {
			errs = append(errs, fmt.Errorf("object %s: %s", r.ID, m.Message))
			if len(errs) == 5 {
				break
			}
		}
		if len(errs) == 5 {
			break
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("weaviate: batch of %d: %w", len(objs), errors.Join(errs...))
	}
	return nil
}

// Where is a filter in Weaviate's where syntax, e.g.
// {Path: ["dataset"], Operator: "Equal", ValueInt: ptr(3)}.
type Where struct {
	Operator  string   `json:"operator"`
	Path      []string `json:"path,omitempty"`
	ValueInt  *int64   `json:"valueInt,omitempty"`
	ValueText *string  `json:"valueText,omitempty"`
	Operands  []Where  `json:"operands,omitempty"`
}

// DeleteWhere deletes every object of class matching where
// (DELETE /v1/batch/objects) and returns how many were deleted. One
// request deletes at most the server's QUERY_MAXIMUM_RESULTS objects (its
// answer's "limit", below its "matches" when capped), so requests repeat
// until one matches no more than it may delete.
func (c *Client) DeleteWhere(ctx context.Context, class string, where Where, consistency string) (int, error) {
	var q url.Values
	if consistency != "" {
		q = url.Values{"consistency_level": {consistency}}
	}
	body := map[string]any{"match": map[string]any{"class": class, "where": where}, "output": "minimal"}
	total := 0
	for {
		var res struct {
			Results struct {
				Matches    json.Number `json:"matches"`
				Limit      json.Number `json:"limit"`
				Successful json.Number `json:"successful"`
				Failed     json.Number `json:"failed"`
			} `json:"results"`
		}
		if err := c.do(ctx, http.MethodDelete, "/batch/objects", q, body, &res); err != nil {
			return total, err
		}
		n, _ := res.Results.Successful.Int64()
		total += int(n)
		if f, _ := res.Results.Failed.Int64(); f > 0 {
			return total, fmt.Errorf("weaviate: delete from %s: %d objects failed", class, f)
		}
		matches, errM := res.Results.Matches.Int64()
		limit, errL := res.Results.Limit.Int64()
		if errM != nil || errL != nil || limit <= 0 || matches <= limit {
			return total, nil // all matched objects were in this request
		}
		if n == 0 {
			return total, fmt.Errorf("weaviate: delete from %s: %d objects match, none was deleted", class, matches)
		}
	}
}

// graphql posts one GraphQL query and decodes its data into out.
func (c *Client) graphql(ctx context.Context, q string, out any) error {
	var res struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := c.do(ctx, http.MethodPost, "/graphql", nil, map[string]string{"query": q}, &res); err != nil {
		return err
	}
	if len(res.Errors) > 0 {
		msgs := make([]string, len(res.Errors))
		for i, e := range res.Errors {
			msgs[i] = e.Message
		}
		return fmt.Errorf("weaviate: graphql: %s", strings.Join(msgs, "; "))
	}
	dec := json.NewDecoder(bytes.NewReader(res.Data))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%w: graphql data: %v", errDecode, err)
	}
	return nil
}

// Count returns how many objects of class match where (nil: all), through
// GraphQL Aggregate.
func (c *Client) Count(ctx context.Context, class string, where *Where) (int, error) {
	args := ""
	if where != nil {
		args = "(where: " + where.graphql() + ")"
	}
	q := fmt.Sprintf("{ Aggregate { %s%s { meta { count } } } }", class, args)
	var data struct {
		Aggregate map[string][]struct {
			Meta struct {
				Count json.Number `json:"count"`
			} `json:"meta"`
		} `json:"Aggregate"`
	}
	if err := c.graphql(ctx, q, &data); err != nil {
		return 0, err
	}
	rows := data.Aggregate[class]
	if len(rows) != 1 {
		return 0, fmt.Errorf("%w: aggregate of %s: %d rows", errDecode, class, len(rows))
	}
	n, err := rows[0].Meta.Count.Int64()
	return int(n), err
}

// Hit is one search answer: the object's key property (an unsigned
// integer, stored as text or int) and its cosine distance.
type Hit struct {
	Key      uint64
	Distance float32
}

// NearVector returns the k objects of class nearest vec, best first, each
// with the value of its integer property keyProp. where (nil: none) filters
// before the search. The search beam is the collection's ef.
func (c *Client) NearVector(ctx context.Context, class, keyProp string, vec []float32, k int, where *Where) ([]Hit, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "{ Get { %s(limit: %d, nearVector: {vector: [", class, k)
	for i, v := range vec {
		if i > 0 {
			b.WriteByte(',')
		}
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%w: query vector has %v", ErrInvalid, v)
		}
		b.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32))
	}
	b.WriteString("]}")
	if where != nil {
		b.WriteString(", where: ")
		b.WriteString(where.graphql())
	}
	fmt.Fprintf(&b, ") { %s _additional { distance } } } }", keyProp)
	var data struct {
		Get map[string][]map[string]any `json:"Get"`
	}
	if err := c.graphql(ctx, b.String(), &data); err != nil {
		return nil, err
	}
	rows := data.Get[class]
	out := make([]Hit, 0, len(rows))
	for _, r := range rows {
		var ks string
		switch v := r[keyProp].(type) {
		case json.Number:
			ks = v.String()
		case string:
			ks = v
		default:
			return nil, fmt.Errorf("%w: hit without %s: %v", errDecode, keyProp, r)
		}
		key, err := strconv.ParseUint(ks, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: %s %q: %v", errDecode, keyProp, ks, err)
		}
		add, _ := r["_additional"].(map[string]any)
		dn, ok := add["distance"].(json.Number)
		if !ok {
			return nil, fmt.Errorf("%w: hit without distance: %v", errDecode, r)
		}
		d, err := dn.Float64()
		if err != nil {
			return nil, fmt.Errorf("%w: distance %q: %v", errDecode, dn, err)
		}
		out = append(out, Hit{Key: key, Distance: float32(d)})
	}
	return out, nil
}

// graphql writes w in GraphQL argument syntax (enum operator, unquoted
// field names).
func (w Where) graphql() string {
	var b strings.Builder
	w.writeGraphQL(&b)
	return b.String()
}

func (w Where) writeGraphQL(b *strings.Builder) {
	fmt.Fprintf(b, "{operator: %s", w.Operator)
	if len(w.Path) > 0 {
		b.WriteString(", path: [")
		for i, p := range w.Path {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(gqlString(p))
		}
		b.WriteByte(']')
	}
	if w.ValueInt != nil {
		fmt.Fprintf(b, ", valueInt: %d", *w.ValueInt)
	}
	if w.ValueText != nil {
		fmt.Fprintf(b, ", valueText: %s", gqlString(*w.ValueText))
	}
	if len(w.Operands) > 0 {
		b.WriteString(", operands: [")
		for i, o := range w.Operands {
			if i > 0 {
				b.WriteByte(',')
			}
			o.writeGraphQL(b)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
}

// gqlString quotes s as a GraphQL string literal (JSON's escapes are a
// subset of GraphQL's).
func gqlString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// CountBy returns the number of objects of class per value of property
// prop (values as text, as Weaviate reports them), through GraphQL
// Aggregate with groupBy.
func (c *Client) CountBy(ctx context.Context, class, prop string) (map[string]int, error) {
	q := fmt.Sprintf("{ Aggregate { %s(groupBy: [%s], limit: 1000000) { groupedBy { value } meta { count } } } }", class, gqlString(prop))
	var data struct {
		Aggregate map[string][]struct {
			GroupedBy struct {
				Value any `json:"value"`
			} `json:"groupedBy"`
			Meta struct {
				Count json.Number `json:"count"`
			} `json:"meta"`
		} `json:"Aggregate"`
	}
	if err := c.graphql(ctx, q, &data); err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, r := range data.Aggregate[class] {
		n, err := r.Meta.Count.Int64()
		if err != nil {
			return nil, fmt.Errorf("%w: count %q: %v", errDecode, r.Meta.Count, err)
		}
		out[fmt.Sprint(r.GroupedBy.Value)] += int(n)
	}
	return out, nil
}
