package server

import (
	"context"
	"embed"
	"encoding/binary"
	"fmt"
	"io/fs"
	"math"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"genestore/query"
	"genestore/store"
	"genestore/vocab"
)

// static holds the browser UI: index.html and the ES modules and style
// sheet it loads, served at / and /ui/. They are plain files written by
// hand: no build step, no library fetched from elsewhere.
//
//go:embed ui/static
var static embed.FS

// uiCSP is the Content-Security-Policy of the UI: the page may load
// scripts, styles and data from this server only, so no request leaves the
// machine.
const uiCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data: blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// UIData answers the routes the browser UI needs beyond the query API:
// stored maps, their colourings, one point's metadata, gene-name completion
// and an overview of the store. The serve command implements it over the
// store; nil makes those routes 404 (the page is still served). Errors
// wrapping query.ErrNotFound answer 404, query.ErrInvalid 400.
type UIData interface {
	// Overview lists what the UI can show: datasets, collections,
	// maps and their colourings.
	Overview(ctx context.Context) (*Overview, error)
	// Complete returns up to n gene symbols (and aliases) starting with
	// prefix, ignoring case.
	Complete(ctx context.Context, prefix string, n int) ([]Completion, error)
	// Map returns the stored 2-D layout of space.
	Map(ctx context.Context, space string) (*Map, error)
	// Colour colours the points of space's map by an obs column,
	// "dataset", "batch", "cluster"/"module" or "gene:SYMBOL".
	Colour(ctx context.Context, space, by string) (*Colouring, error)
	// Point describes the i-th point of space's map.
	Point(ctx context.Context, space string, i int) (*Point, error)
	// QC bins a dataset's per-cell QC values (as plot qc draws them).
	QC(ctx context.Context, dataset string) (*QC, error)
}

// QC is GET /v1/datasets/{name}/qc: histograms of per-cell values.
type QC struct {
	Title  string    `json:"title"`
	Panels []QCPanel `json:"panels"`
}

// QCPanel is one histogram: Counts[i] cells have values in bin i of equal
// bins from Min to Max.
type QCPanel struct {
	Title  string  `json:"title"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Median float64 `json:"median"`
	Counts []int   `json:"counts"`
}

// Overview is GET /v1/ui/overview.
type Overview struct {
	Datasets    []store.DatasetInfo `json:"datasets"` // shape, modality, species, provenance
	Collections []string            `json:"collections"`
	Networks    []string            `json:"networks"`
	Maps        []MapRef            `json:"maps"`
}

// MapRef names a stored map and what can colour it.
type MapRef struct {
	Space        string   `json:"space"`
	Points       int      `json:"points"`
	ModelVersion string   `json:"model_version"`
	Stale        bool     `json:"stale"`
	Colours      []string `json:"colours"`
}

// Completion is one suggestion of GET /v1/genes?prefix=.
type Completion struct {
	Symbol string `json:"symbol"`
	Alias  string `json:"alias,omitempty"` // the alias typed, when the symbol was found through it
}

// Map is GET /v1/maps/{space}: point i is at (X[i], Y[i]).
type Map struct {
	Space        string    `json:"space"`
	ModelVersion string    `json:"model_version"`
	Generation   uint64    `json:"generation"`
	Stale        bool      `json:"stale"` // vectors written since the map was computed
	Points       int       `json:"points"`
	X            []float32 `json:"x"`
	Y            []float32 `json:"y"`
	Colours      []string  `json:"colours"`
	// Keys are the points' entity keys (vocab.EntityKey), not sent.
	Keys []uint64 `json:"-"`
}

// Colouring is GET /v1/maps/{space}/colour?by=: categorical (Categories,
// Codes index them) or continuous (Codes are 0..255 between Min and Max).
// A code of -1 marks a point without a value.
type Colouring struct {
	By         string   `json:"by"`
	Kind       string   `json:"kind"` // "category" or "value"
	Categories []string `json:"categories,omitempty"`
	Counts     []int    `json:"counts,omitempty"` // points per category
	Min        float64  `json:"min"`
	Max        float64  `json:"max"`
	Codes      []int16  `json:"codes"`
}

// Point is GET /v1/maps/{space}/points/{i}.
type Point struct {
	Index   int               `json:"index"`
	Dataset string            `json:"dataset"`
	Name    string            `json:"name"` // the cell's barcode or the gene's symbol
	Row     uint32            `json:"row"`
	Fields  map[string]string `json:"fields,omitempty"` // obs values
}

// Selection is GET /v1/maps/cells/markers: the cells inside a polygon and
// their top genes.
type Selection struct {
	Selected int             `json:"selected"`
	Markers  *query.TopGenes `json:"markers"`
	Datasets map[string]int  `json:"datasets"` // selected cells per dataset
}

// maxPolygon bounds the vertices of a lasso.
const maxPolygon = 1000

// isStatic reports whether a path is the UI's page or one of its assets:
// they hold no store data and are served without the token, so that a
// browser, which cannot add a header when it opens a page, can load the
// page that then asks for the token.
func isStatic(p string) bool { return p == "/" || strings.HasPrefix(p, "/ui/") }

func (s *Server) registerUI() {
	sub, _ := fs.Sub(static, "ui/static")
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { serveAsset(w, r, sub, "index.html") })
	s.mux.HandleFunc("GET /ui/{file...}", func(w http.ResponseWriter, r *http.Request) {
		serveAsset(w, r, sub, r.PathValue("file"))
	})
	s.routes = append(s.routes, "GET /", "GET /ui/{file}")
	s.handle("GET /v1/ui/overview", s.overview)
	s.handle("GET /v1/genes", s.complete)
	s.handle("GET /v1/maps/{space}", s.mapRoute)
	s.handle("GET /v1/maps/{space}/coords", s.coords)
	s.handle("GET /v1/maps/{space}/colour", s.colour)
	s.handle("GET /v1/maps/{space}/points/{i}", s.point)
	s.handle("GET /v1/maps/cells/markers", s.lassoMarkers)
	s.handle("GET /v1/datasets/{name}/qc", s.qc)
}

// serveAsset writes one embedded file with its content type and the UI's
// security headers.
func serveAsset(w http.ResponseWriter, r *http.Request, fsys fs.FS, name string) {
	name = path.Clean(name)
	b, err := fs.ReadFile(fsys, name)
	if err != nil || strings.HasPrefix(name, ".") {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no asset %s", r.URL.Path))
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) { // not left to the system's mime tables
	case ".js":
		ct = "text/javascript; charset=utf-8"
	case ".css":
		ct = "text/css; charset=utf-8"
	case ".html":
		ct = "text/html; charset=utf-8"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", uiCSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	w.Write(b)
}

func (s *Server) ui() (UIData, error) {
	if s.opts.UI == nil {
		return nil, fmt.Errorf("%w: this server has no UI data", query.ErrNotFound)
	}
	return s.opts.UI, nil
}

func (s *Server) overview(r *http.Request) (any, error) {
	u, err := s.ui()
	if err != nil {
		return nil, err
	}
	return u.Overview(r.Context())
}

func (s *Server) complete(r *http.Request) (any, error) {
	p := &params{r: r}
	prefix, n := strings.TrimSpace(p.str("prefix")), p.int("limit", 20)
	if p.err != nil {
		return nil, p.err
	}
	if n > 1000 {
		return nil, fmt.Errorf("%w: limit must be in 1..1000", errBadParam)
	}
	u, err := s.ui()
	if err != nil {
		return nil, err
	}
	if prefix == "" {
		return []Completion{}, nil
	}
	return u.Complete(r.Context(), prefix, n)
}

func (s *Server) mapRoute(r *http.Request) (any, error) {
	p := &params{r: r}
	space := p.path("space")
	if p.err != nil {
		return nil, p.err
	}
	u, err := s.ui()
	if err != nil {
		return nil, err
	}
	return u.Map(r.Context(), space)
}

// coords answers GET /v1/maps/{space}/coords: the map's coordinates as
// little-endian float32 pairs x0 y0 x1 y1 ... (8 bytes a point), what the
// browser uploads to WebGL as they are; a 100,000-point map is 800 kB
// against 2 MB of JSON that takes longer to write and to parse.
func (s *Server) coords(r *http.Request) (any, error) {
	v, err := s.mapRoute(r)
	if err != nil {
		return nil, err
	}
	m := v.(*Map)
	b := make([]byte, 0, 8*len(m.X))
	for i := range m.X {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(m.X[i]))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(m.Y[i]))
	}
	return raw{"application/octet-stream", b}, nil
}

func (s *Server) colour(r *http.Request) (any, error) {
	p := &params{r: r}
	space, by := p.path("space"), p.str("by")
	if p.err != nil {
		return nil, p.err
	}
	if by == "" {
		return nil, fmt.Errorf("%w: by is required", errBadParam)
	}
	u, err := s.ui()
	if err != nil {
		return nil, err
	}
	return u.Colour(r.Context(), space, by)
}

func (s *Server) qc(r *http.Request) (any, error) {
	p := &params{r: r}
	name := p.path("name")
	if p.err != nil {
		return nil, p.err
	}
	u, err := s.ui()
	if err != nil {
		return nil, err
	}
	return u.QC(r.Context(), name)
}

func (s *Server) point(r *http.Request) (any, error) {
	p := &params{r: r}
	space, v := p.path("space"), p.path("i")
	if p.err != nil {
		return nil, p.err
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 {
		return nil, fmt.Errorf("%w: point %q", errBadParam, v)
	}
	u, err := s.ui()
	if err != nil {
		return nil, err
	}
	return u.Point(r.Context(), space, i)
}

// lassoMarkers answers GET /v1/maps/cells/markers?polygon=x1,y1,x2,y2,...
// [&k=10]: the cells of the stored map inside the polygon (map
// coordinates, even-odd rule) and the top genes of their mean latent
// vector (query.Engine.SelectionMarkers).
func (s *Server) lassoMarkers(r *http.Request) (any, error) {
	p := &params{r: r}
	k := p.int("k", 10)
	poly, err := parsePolygon(p.str("polygon"))
	if p.err != nil {
		return nil, p.err
	}
	if err != nil {
		return nil, err
	}
	u, err := s.ui()
	if err != nil {
		return nil, err
	}
	m, err := u.Map(r.Context(), vocab.SpaceCells)
	if err != nil {
		return nil, err
	}
	var keys []uint64
	perDS := map[uint32]int{}
	for i := range m.Keys {
		if inPolygon(poly, m.X[i], m.Y[i]) {
			keys = append(keys, m.Keys[i])
			d, _ := vocab.SplitEntityKey(m.Keys[i])
			perDS[d]++
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: the polygon holds no cells", query.ErrInvalid)
	}
	tg, err := s.e.SelectionMarkers(r.Context(), keys, k)
	if err != nil {
		return nil, err
	}
	ds, err := s.e.Datasets(r.Context())
	if err != nil {
		return nil, err
	}
	out := &Selection{Selected: len(keys), Markers: tg, Datasets: map[string]int{}}
	for _, d := range ds {
		if n := perDS[d.ID]; n > 0 {
			out.Datasets[d.Name] = n
		}
	}
	return out, nil
}

// parsePolygon reads "x1,y1,x2,y2,..." (at least 3 and at most maxPolygon
// vertices, finite numbers).
func parsePolygon(s string) ([]float32, error) {
	f := strings.Split(s, ",")
	if s == "" || len(f)%2 != 0 || len(f) < 6 || len(f) > 2*maxPolygon {
		return nil, fmt.Errorf("%w: polygon wants 3..%d vertices as x1,y1,x2,y2,...", errBadParam, maxPolygon)
	}
	out := make([]float32, len(f))
	for i, v := range f {
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 32)
		if err != nil || x != x || x > 3e38 || x < -3e38 {
			return nil, fmt.Errorf("%w: polygon coordinate %q", errBadParam, v)
		}
		out[i] = float32(x)
	}
	return out, nil
}

// inPolygon reports whether (x, y) lies inside poly (x1,y1,x2,y2,...) by
// the even-odd rule.
func inPolygon(poly []float32, x, y float32) bool {
	in := false
	n := len(poly) / 2
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		xi, yi, xj, yj := poly[2*i], poly[2*i+1], poly[2*j], poly[2*j+1]
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}
