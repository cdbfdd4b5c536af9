package server

import (
	"context"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"genestore/query"
	"genestore/store"
	"genestore/vocab"
)

// OpenAPI is the API description served at /v1/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte

// Sentinel errors.
var (
	// ErrOptions: the server options are invalid (e.g. a non-loopback
	// address without a token).
	ErrOptions = errors.New("server: invalid options")
)

// Options configure the server. The zero value is not valid (no address):
// start from DefaultOptions.
type Options struct {
	// Addr is the listen address; a non-loopback host needs Token.
	Addr string
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// every route but /healthz and the UI's page and assets (/ and /ui/,
	// which hold no store data; the page asks for the token and sends it
	// on its API requests). The scheme is matched in any case. It must have at
	// least MinTokenLen characters and no leading or trailing whitespace.
	Token string
	// AllowWrites registers the write routes (POST /v1/clusters/{space}
	// computes and stores a clustering). Off by default.
	AllowWrites bool
	// MaxBodyBytes bounds request bodies; MaxHeaderBytes the request line
	// and headers.
	MaxBodyBytes   int64
	MaxHeaderBytes int
	// Timeouts of the http.Server, and of each request's context.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout, RequestTimeout time.Duration
	// Log receives one line per failed request (5xx) and per recovered
	// panic; nil is silent.
	Log io.Writer
	// Info answers GET /v1/info (store.Info: schema, sizes, datasets,
	// models); nil makes that route a 404.
	Info func(context.Context) (*store.Info, error)
	// UI answers the browser UI's map, completion and overview routes; nil
	// makes them 404. The page itself (/ and /ui/) is always served.
	UI UIData
}

// DefaultOptions: 127.0.0.1:8080, read-only, 1 MiB bodies, 64 KiB headers,
// 5 s to read headers, 30 s to read, 60 s to write, 120 s idle, 30 s per
// request.
func DefaultOptions() Options {
	return Options{Addr: "127.0.0.1:8080", MaxBodyBytes: 1 << 20, MaxHeaderBytes: 64 << 10,
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second,
		IdleTimeout: 120 * time.Second, RequestTimeout: 30 * time.Second}
}

// Validate reports every problem with o at once.
func (o Options) Validate() error {
	var errs []error
	loop, err := IsLoopback(o.Addr)
	if err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrOptions, err))
	} else if !loop && o.Token == "" {
		errs = append(errs, fmt.Errorf("%w: address %q is not loopback: a token is required", ErrOptions, o.Addr))
	}
	switch n := utf8.RuneCountInString(o.Token); {
	case o.Token == "":
	case strings.TrimSpace(o.Token) == "":
		errs = append(errs, fmt.Errorf("%w: the token is only whitespace", ErrOptions))
	case strings.TrimSpace(o.Token) != o.Token:
		errs = append(errs, fmt.Errorf("%w: the token begins or ends with whitespace", ErrOptions))
	case n < MinTokenLen:
		errs = append(errs, fmt.Errorf("%w: the token has %d characters (want at least %d)", ErrOptions, n, MinTokenLen))
	}
	if o.MaxBodyBytes <= 0 || o.MaxHeaderBytes <= 0 {
		errs = append(errs, fmt.Errorf("%w: size limits must be positive", ErrOptions))
	}
	for name, d := range map[string]time.Duration{"read header": o.ReadHeaderTimeout, "read": o.ReadTimeout,
		"write": o.WriteTimeout, "idle": o.IdleTimeout, "request": o.RequestTimeout} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%w: %s timeout must be positive", ErrOptions, name))
		}
	}
	if o.RequestTimeout > 0 && o.WriteTimeout > 0 && o.RequestTimeout >= o.WriteTimeout {
		// the connection would be cut before the answer (or the 504) is written
		errs = append(errs, fmt.Errorf("%w: request timeout %v must be below the write timeout %v", ErrOptions, o.RequestTimeout, o.WriteTimeout))
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

// IsLoopback reports whether addr ("host:port") listens only on loopback:
// a loopback IP or "localhost". An empty host (all interfaces) is not.
func IsLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("address %q: %w", addr, err)
	}
	return loopbackName(host), nil
}

// loopbackName reports whether host (no port) is localhost or a loopback
// address.
func loopbackName(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackHost reports whether a Host header ("name[:port]") names
// localhost or a loopback address.
func loopbackHost(h string) bool {
	host, _, err := net.SplitHostPort(h)
	if err != nil {
		host = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]") // no port
	}
	return loopbackName(host)
}

// loopbackOrigin reports whether an Origin header is an http(s) origin on
// a loopback host (the UI's own page); "null" and other sites are not.
func loopbackOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && loopbackHost(u.Host)
}

// Server is the JSON HTTP API over a query engine.
type Server struct {
	e      *query.Engine
	opts   Options
	mux    *http.ServeMux
	routes []string
}

// New returns the API handler for e. It validates opts (and so refuses a
// non-loopback address without a token).
func New(e *query.Engine, opts Options) (*Server, error) {
	if e == nil {
		return nil, fmt.Errorf("%w: nil engine", ErrOptions)
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	s := &Server{e: e, opts: opts, mux: http.NewServeMux()}
	s.handle("GET /healthz", s.healthz)
	s.handle("GET /v1/openapi.yaml", s.openapi)
	s.handle("GET /v1/datasets", s.datasets)
	s.handle("GET /v1/info", s.info)
	s.handle("GET /v1/genes/{symbol}/neighbors", s.geneNeighbors)
	s.handle("GET /v1/genes/{symbol}/cells", s.geneCells)
	s.handle("GET /v1/genes/{symbol}/coexpr", s.coexpr)
	s.handle("GET /v1/genes/{symbol}/cluster", s.geneCluster)
	s.handle("GET /v1/genes/{symbol}/annotations", s.geneAnnotations)
	s.handle("GET /v1/genes/{symbol}/predicted", s.predicted)
	s.handle("GET /v1/cells/{dataset}/{barcode}/neighbors", s.cellNeighbors)
	s.handle("GET /v1/cells/{dataset}/{barcode}/genes", s.cellGenes)
	s.handle("GET /v1/cells/{dataset}/{barcode}/cluster", s.cellCluster)
	s.handle("GET /v1/clusters/{space}", s.clusters)
	s.handle("GET /v1/clusters/{space}/{id}", s.clusterMembers)
	s.handle("GET /v1/clusters/{space}/{id}/markers", s.clusterMarkers)
	s.handle("GET /v1/clusters/{space}/{id}/regulators", s.upstream)
	s.handle("GET /v1/networks", s.networks)
	s.handle("GET /v1/genes/{symbol}/regulators", s.regulators)
	s.handle("GET /v1/genes/{symbol}/targets", s.targets)
	s.registerUI()
	if opts.AllowWrites {
		s.handle("POST /v1/clusters/{space}", s.computeClusters)
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s.notAllowed(w, r) {
			return
		}
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
	})
	return s, nil
}

// Routes lists the registered patterns ("GET /v1/datasets", ...).
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

// HTTPServer returns an http.Server for s with the options' address,
// timeouts and header limit.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{Addr: s.opts.Addr, Handler: s, ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout: s.opts.ReadTimeout, WriteTimeout: s.opts.WriteTimeout, IdleTimeout: s.opts.IdleTimeout,
		MaxHeaderBytes: s.opts.MaxHeaderBytes}
}

// ServeHTTP implements http.Handler: authentication, limits, the per-request
// timeout and panic recovery around the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if s.opts.Log != nil {
				fmt.Fprintf(s.opts.Log, "server: panic on %s %s: %v\n%s", r.Method, r.URL, p, debug.Stack())
			}
			writeError(w, http.StatusInternalServerError, "internal error")
		}
	}()
	if s.opts.Token == "" {
		// Only loopback listens without a token, but a web page the user
		// opens can still reach it: through a DNS name rebound to
		// 127.0.0.1 (a foreign Host) or a cross-site request (a foreign
		// Origin; a bodiless POST needs no CORS preflight).
		if !loopbackHost(r.Host) {
			writeError(w, http.StatusMisdirectedRequest, fmt.Sprintf("host %q is not a loopback name or address: this server answers only requests made to the loopback address it listens on", r.Host))
			return
		}
		if o := r.Header.Get("Origin"); o != "" && !loopbackOrigin(o) {
			writeError(w, http.StatusForbidden, fmt.Sprintf("cross-origin request from %q refused", o))
			return
		}
	}
	if s.opts.Token != "" && r.URL.Path != "/healthz" && !isStatic(r.URL.Path) {
		got, ok := bearer(r.Header.Get("Authorization"))
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.Token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="genestore"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
	defer cancel()
	s.mux.ServeHTTP(w, r.WithContext(ctx))
}

// bearer returns the credentials of an "Authorization: Bearer <token>"
// header. The scheme is matched without regard to case (RFC 7235 §2.1) and
// may be followed by several spaces.
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimLeft(tok, " ")
	return tok, tok != ""
}

// MinTokenLen is the shortest bearer token Validate accepts.
const MinTokenLen = 16

// notAllowed answers a request whose path has routes, none for its method:
// 405 with the methods that path accepts in Allow (RFC 9110 §15.5.6). It
// reports false when no route has the path.
func (s *Server) notAllowed(w http.ResponseWriter, r *http.Request) bool {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		if m == r.Method {
			continue
		}
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, pat := s.mux.Handler(r2); pat != "" && pat != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return false
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	msg := fmt.Sprintf("method %s not allowed on %s (allowed: %s)", r.Method, r.URL.Path, strings.Join(allow, ", "))
	if r.Method == http.MethodPost && !s.opts.AllowWrites {
		msg += "; the server is read-only"
	}
	writeError(w, http.StatusMethodNotAllowed, msg)
	return true
}

// handlerFunc returns the answer to encode, or an error.
type handlerFunc func(r *http.Request) (any, error)

func (s *Server) handle(pattern string, h handlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		v, err := h(r)
		if err != nil {
			code := status(err)
			if code >= 500 && s.opts.Log != nil {
				fmt.Fprintf(s.opts.Log, "server: %s %s: %v\n", r.Method, r.URL, err)
			}
			writeError(w, code, err.Error())
			return
		}
		if b, ok := v.(raw); ok {
			w.Header().Set("Content-Type", b.contentType)
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Write(b.body)
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
}

// status maps an error to an HTTP status code.
func status(err error) int {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, errBadParam), errors.Is(err, query.ErrInvalid), errors.Is(err, store.ErrInvalid), errors.As(err, &mbe):
		return http.StatusBadRequest
	case errors.Is(err, query.ErrNotFound), errors.Is(err, query.ErrNotComputed):
		return http.StatusNotFound
	case errors.Is(err, query.ErrModelMismatch):
		return http.StatusConflict
	case errors.Is(err, store.ErrReadOnly):
		return http.StatusForbidden
	case errors.Is(err, store.ErrLocked): // another process's long write
		return http.StatusServiceUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, context.Canceled):
		return 499 // client closed the request (nginx's convention)
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON form of every error: {"error": "..."}.
type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"cannot encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// raw is an answer sent as it is, not as JSON.
type raw struct {
	contentType string
	body        []byte
}

var errBadParam = errors.New("bad parameter")

// params reads query parameters, keeping the first error.
type params struct {
	r   *http.Request
	q   url.Values // r.URL.Query(), parsed on first use
	err error
}

// query returns the parsed query string; URL.Query parses anew on every
// call, and a handler reads several parameters.
func (p *params) query() url.Values {
	if p.q == nil {
		p.q = p.r.URL.Query()
	}
	return p.q
}

func (p *params) str(name string) string { return p.query().Get(name) }

func (p *params) list(name string) []string {
	var out []string
	for _, v := range p.query()[name] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func (p *params) int(name string, def int) int {
	s := p.str(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	switch {
	case p.err != nil:
	case err != nil:
		p.err = fmt.Errorf("%w: %s=%q is not an integer", errBadParam, name, s)
	case v < 1:
		// every integer parameter is a count: 0 is out of range, not "the default"
		p.err = fmt.Errorf("%w: %s=%d is out of range (want ≥ 1)", errBadParam, name, v)
	}
	return v
}

func (p *params) float(name string, def float64) float64 {
	s := p.str(name)
	if s == "" {
		return def
	}
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case p.err != nil:
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		p.err = fmt.Errorf("%w: %s=%q is not a finite number", errBadParam, name, s)
	case v <= 0:
		// the one float parameter, resolution, is positive: 0 is not "the default"
		p.err = fmt.Errorf("%w: %s=%s is out of range (want > 0)", errBadParam, name, s)
	}
	return v
}

func (p *params) path(name string) string {
	v := p.r.PathValue(name)
	if v == "" && p.err == nil {
		p.err = fmt.Errorf("%w: empty %s", errBadParam, name)
	}
	return v
}

func (s *Server) healthz(r *http.Request) (any, error) {
	return map[string]string{"status": "ok"}, nil
}

func (s *Server) openapi(r *http.Request) (any, error) { return raw{"application/yaml", OpenAPI}, nil }

func (s *Server) datasets(r *http.Request) (any, error) { return s.e.Datasets(r.Context()) }

func (s *Server) info(r *http.Request) (any, error) {
	if s.opts.Info == nil {
		return nil, fmt.Errorf("%w: this server does not describe its store", query.ErrNotFound)
	}
	return s.opts.Info(r.Context())
}

func (s *Server) geneNeighbors(r *http.Request) (any, error) {
	p := &params{r: r}
	req := query.GeneNeighborsRequest{Symbol: p.path("symbol"), K: p.int("k", 10), Dataset: p.str("dataset"),
		Restrict: p.list("restrict"), Exclude: p.list("exclude")}
	if p.err != nil {
		return nil, p.err
	}
	return s.e.GeneNeighbors(r.Context(), req)
}

func (s *Server) geneCells(r *http.Request) (any, error) {
	p := &params{r: r}
	req := query.GeneCellsRequest{Symbol: p.path("symbol"), K: p.int("k", 10), Datasets: p.list("datasets"),
		Exclude: p.list("exclude"), Where: p.query()["where"]}
	if p.err != nil {
		return nil, p.err
	}
	return s.e.GeneCells(r.Context(), req)
}

func (s *Server) coexpr(r *http.Request) (any, error) {
	p := &params{r: r}
	req := query.CoexprRequest{Symbol: p.path("symbol"), Dataset: p.str("dataset"), K: p.int("k", 25)}
	if p.err != nil {
		return nil, p.err
	}
	return s.e.Coexpr(r.Context(), req)
}

// clusterReq reads the clustering parameters (never computing).
func clusterReq(p *params, space string) query.ClusterRequest {
	return query.ClusterRequest{Space: space, Resolution: p.float("resolution", 1), Method: p.str("method")}
}

// memberOpts reads the member-listing parameters and checks their ranges.
func memberOpts(p *params) query.MemberOptions {
	mo := query.MemberOptions{MaxMembers: p.int("max", 1000), Enrich: p.str("enrich"), MaxTerms: p.int("terms", 20)}
	if (mo.MaxMembers < 1 || mo.MaxMembers > 100000 || mo.MaxTerms < 1 || mo.MaxTerms > 1000) && p.err == nil {
		p.err = fmt.Errorf("%w: max must be in 1..100000 and terms in 1..1000", errBadParam)
	}
	return mo
}

func (s *Server) geneCluster(r *http.Request) (any, error) {
	p := &params{r: r}
	sym := p.path("symbol")
	req, mo := clusterReq(p, vocab.SpaceGenes), memberOpts(p)
	if p.err != nil {
		return nil, p.err
	}
	return s.e.GeneCluster(r.Context(), req, sym, mo)
}

func (s *Server) geneAnnotations(r *http.Request) (any, error) {
	p := &params{r: r}
	req := query.AnnotateGenesRequest{Genes: []string{p.path("symbol")}, Collection: p.str("collection"),
		K: p.int("k", 20), TopN: p.int("top", 5)}
	if p.err != nil {
		return nil, p.err
	}
	if req.Collection == "" {
		return nil, fmt.Errorf("%w: collection is required", errBadParam)
	}
	if req.TopN < 1 || req.TopN > 1000 {
		return nil, fmt.Errorf("%w: top must be in 1..1000", errBadParam)
	}
	return s.e.AnnotateGenes(r.Context(), req)
}

func (s *Server) cellNeighbors(r *http.Request) (any, error) {
	p := &params{r: r}
	req := query.CellNeighborsRequest{Dataset: p.path("dataset"), Barcode: p.path("barcode"), K: p.int("k", 10),
		Space: p.str("space"), Restrict: p.list("restrict"), Exclude: p.list("exclude"), Where: p.query()["where"]}
	if p.err != nil {
		return nil, p.err
	}
	return s.e.CellNeighbors(r.Context(), req)
}

func (s *Server) cellGenes(r *http.Request) (any, error) {
	p := &params{r: r}
	ds, bc, k := p.path("dataset"), p.path("barcode"), p.int("k", 10)
	if p.err != nil {
		return nil, p.err
	}
	return s.e.CellTopGenes(r.Context(), ds, bc, k)
}

func (s *Server) cellCluster(r *http.Request) (any, error) {
	p := &params{r: r}
	ds, bc := p.path("dataset"), p.path("barcode")
	req, mo := clusterReq(p, vocab.SpaceCells), memberOpts(p)
	if p.err != nil {
		return nil, p.err
	}
	return s.e.CellCluster(r.Context(), req, ds, bc, mo)
}

func (s *Server) clusters(r *http.Request) (any, error) {
	p := &params{r: r}
	req := clusterReq(p, p.path("space"))
	if p.err != nil {
		return nil, p.err
	}
	return s.e.Clusters(r.Context(), req)
}

func (s *Server) clusterID(p *params) int {
	v := p.path("id")
	id, err := strconv.Atoi(v)
	if (err != nil || id < 0) && p.err == nil {
		p.err = fmt.Errorf("%w: cluster id %q", errBadParam, v)
	}
	return id
}

func (s *Server) clusterMembers(r *http.Request) (any, error) {
	p := &params{r: r}
	req, id, mo := clusterReq(p, p.path("space")), s.clusterID(p), memberOpts(p)
	if p.err != nil {
		return nil, p.err
	}
	return s.e.ClusterMembers(r.Context(), req, id, mo)
}

func (s *Server) clusterMarkers(r *http.Request) (any, error) {
	p := &params{r: r}
	req, id, k := clusterReq(p, p.path("space")), s.clusterID(p), p.int("k", 10)
	if p.err != nil {
		return nil, p.err
	}
	if req.Space != vocab.SpaceCells {
		return nil, fmt.Errorf("%w: markers are for cell clusters", errBadParam)
	}
	return s.e.ClusterMarkers(r.Context(), req, id, k)
}

// computeClusters is the one write route (AllowWrites): it computes and
// stores the clustering named by the query parameters (recompute=true
// replaces an existing one).
func (s *Server) computeClusters(r *http.Request) (any, error) {
	p := &params{r: r}
	req := clusterReq(p, p.path("space"))
	req.K = p.int("k", 0) // 0: the default (15)
	req.Compute = true
	if v := p.str("recompute"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil && p.err == nil {
			p.err = fmt.Errorf("%w: recompute=%q (want true or false)", errBadParam, v)
		}
		req.Recompute = b
	}
	req.Datasets = p.list("datasets")
	if p.err != nil {
		return nil, p.err
	}
	return s.e.Clusters(r.Context(), req)
}
