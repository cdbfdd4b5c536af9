package command

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"genestore/cmd/genestore/server"
	"genestore/layout"
	"genestore/layout/spacelayout"
	"genestore/plot"
	"genestore/query"
	"genestore/query/backend"
	"genestore/store"
	"genestore/vocab"
)

// uiData implements server.UIData over the served store: the stored maps
// coloured as plot umap colours them, one point's metadata, and gene-name
// completion over the vocabulary and the loaded aliases.
type uiData struct {
	db *store.DB
	b  *backend.Backend
	e  *query.Engine
}

var _ server.UIData = (*uiData)(nil)

// uiErr maps store errors to the query errors the server answers 404 for.
func uiErr(err error) error {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, spacelayout.ErrNoLayout) {
		return fmt.Errorf("%w: %w", query.ErrNotFound, err)
	}
	return err
}

func checkSpace(space string) error {
	if space != vocab.SpaceCells && space != vocab.SpaceGenes {
		return fmt.Errorf("%w: space %q: want cells or genes", query.ErrInvalid, space)
	}
	return nil
}

func (u *uiData) Overview(ctx context.Context) (*server.Overview, error) {
	out := &server.Overview{Datasets: []store.DatasetInfo{}, Collections: []string{}, Networks: []string{}, Maps: []server.MapRef{}}
	err := u.db.View(func(tx *store.Tx) error {
		if ds, err := tx.Datasets(); err != nil {
			return err
		} else if ds != nil { // nil in a store without datasets: the UI iterates [], not null
			out.Datasets = ds
		}
		if cs, err := tx.Collections(); err != nil {
			return err
		} else if cs != nil {
			out.Collections = cs
		}
		for _, space := range []string{vocab.SpaceCells, vocab.SpaceGenes} {
			m, err := mapOf(tx, space, false)
			if errors.Is(err, spacelayout.ErrNoLayout) {
				continue
			}
			if err != nil {
				return err
			}
			out.Maps = append(out.Maps, server.MapRef{Space: space, Points: m.Points, ModelVersion: m.ModelVersion,
				Stale: m.Stale, Colours: m.Colours})
		}
		return nil
	})
	if err != nil {
		return nil, uiErr(err)
	}
	nets, err := u.e.Networks(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range nets {
		out.Networks = append(out.Networks, n.Name)
	}
	return out, nil
}

func (u *uiData) Complete(ctx context.Context, prefix string, n int) ([]server.Completion, error) {
	lp := strings.ToLower(prefix)
	var out []server.Completion
	err := u.db.View(func(tx *store.Tx) error {
		gs, err := tx.AllGenes()
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, g := range gs {
			if strings.HasPrefix(strings.ToLower(g.Symbol), lp) && !seen[g.Symbol] {
				seen[g.Symbol] = true
				out = append(out, server.Completion{Symbol: g.Symbol})
			}
		}
		return nil
	})
	if err != nil {
		return nil, uiErr(err)
	}
	slices.SortFunc(out, func(a, b server.Completion) int {
		if d := len(a.Symbol) - len(b.Symbol); d != 0 {
			return d
		}
		return strings.Compare(a.Symbol, b.Symbol)
	})
	var aliases []server.Completion
	err = u.b.View(ctx, func(r query.Reader) error {
		m, err := r.Aliases(ctx)
		for a, sym := range m {
			if strings.HasPrefix(a, lp) && a != strings.ToLower(sym) {
				aliases = append(aliases, server.Completion{Symbol: sym, Alias: a})
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(aliases, func(a, b server.Completion) int { return strings.Compare(a.Alias, b.Alias) })
	out = append(out, aliases...)
	if len(out) > n {
		out = out[:n]
	}
	if out == nil {
		out = []server.Completion{}
	}
	return out, nil
}

// mapOf reads space's stored map and what can colour it; the coordinates
// are copied out only with coords (the overview needs the rest).
func mapOf(tx *store.Tx, space string, coords bool) (*server.Map, error) {
	l, err := spacelayout.Load(tx, space)
	if err != nil {
		return nil, err
	}
	gen, err := tx.Generation(space)
	if err != nil {
		return nil, err
	}
	n := len(l.Keys)
	m := &server.Map{Space: space, ModelVersion: l.ModelVersion, Generation: l.Generation, Stale: gen != l.Generation,
		Points: n, Keys: l.Keys}
	if coords {
		m.X, m.Y = make([]float32, n), make([]float32, n)
		for i := range n {
			m.X[i], m.Y[i] = l.Coords[2*i], l.Coords[2*i+1]
		}
	}
	if space == vocab.SpaceGenes {
		m.Colours = []string{"dataset"}
		if cs, err := tx.Clusterings(space); err == nil && len(cs) > 0 {
			m.Colours = append(m.Colours, "module")
		}
		return m, nil
	}
	m.Colours = []string{"dataset", "batch"}
	if cs, err := tx.Clusterings(space); err == nil && len(cs) > 0 {
		m.Colours = append(m.Colours, "cluster")
	}
	ds, err := datasetNames(tx)
	if err != nil {
		return nil, err
	}
	var cols []string
	for _, d := range mapDatasets(l) {
		for _, c := range ds[d].ObsColumns {
			if !slices.Contains(cols, c) {
				cols = append(cols, c)
			}
		}
	}
	slices.Sort(cols)
	m.Colours = append(m.Colours, cols...)
	return m, nil
}

// mapDatasets lists the datasets of a layout's points, in key order.
func mapDatasets(l *layout.Layout) []uint32 {
	var out []uint32
	for _, k := range l.Keys {
		if d, _ := vocab.SplitEntityKey(k); len(out) == 0 || out[len(out)-1] != d {
			out = append(out, d)
		}
	}
	return out
}

func (u *uiData) Map(ctx context.Context, space string) (*server.Map, error) {
	if err := checkSpace(space); err != nil {
		return nil, err
	}
	var m *server.Map
	err := u.db.View(func(tx *store.Tx) (err error) { m, err = mapOf(tx, space, true); return err })
	return m, uiErr(err)
}

// Colour colours the map as plot umap --color does. Errors from the
// colouring are the caller's (an unknown column or gene) unless the store
// failed: they answer 400.
func (u *uiData) Colour(ctx context.Context, space, by string) (*server.Colouring, error) {
	if err := checkSpace(space); err != nil {
		return nil, err
	}
	var spec plot.MapSpec
	err := u.db.View(func(tx *store.Tx) error {
		l, err := spacelayout.Load(tx, space)
		if err != nil {
			return err
		}
		if space == vocab.SpaceCells {
			err = cellColours(tx, l, "by", by, "", &spec)
		} else {
			err = geneColours(tx, l, "by", by, "", &spec)
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrCorrupt) {
			err = fmt.Errorf("%w: %w", query.ErrInvalid, err)
		}
		return err
	})
	if err != nil {
		return nil, uiErr(err)
	}
	return colouring(by, spec), nil
}

// colouring encodes plot labels (categories, largest first) or values
// (quantised to 0..255 between their extremes) as codes; -1 has none.
func colouring(by string, spec plot.MapSpec) *server.Colouring {
	if spec.Values != nil {
		c := &server.Colouring{By: by, Kind: "value", Codes: make([]int16, len(spec.Values)), Min: math.Inf(1), Max: math.Inf(-1)}
		for _, v := range spec.Values {
			if !math.IsNaN(v) {
				c.Min, c.Max = min(c.Min, v), max(c.Max, v)
			}
		}
		if c.Min > c.Max {
			c.Min, c.Max = 0, 0
		}
		for i, v := range spec.Values {
			switch {
			case math.IsNaN(v):
				c.Codes[i] = -1
			case c.Max > c.Min:
				c.Codes[i] = int16(math.Round((v - c.Min) / (c.Max - c.Min) * 255))
			}
		}
		return c
	}
	count := map[string]int{}
	for _, l := range spec.Labels {
		if l != "" {
			count[l]++
		}
	}
	c := &server.Colouring{By: by, Kind: "category", Codes: make([]int16, len(spec.Labels))}
	for l := range count {
		c.Categories = append(c.Categories, l)
	}
	slices.SortFunc(c.Categories, func(a, b string) int {
		if d := count[b] - count[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	code := map[string]int16{}
	for i, l := range c.Categories {
		code[l] = int16(min(i, math.MaxInt16))
		c.Counts = append(c.Counts, count[l])
	}
	for i, l := range spec.Labels {
		if l == "" {
			c.Codes[i] = -1
		} else {
			c.Codes[i] = code[l]
		}
	}
	return c
}

func (u *uiData) Point(ctx context.Context, space string, i int) (*server.Point, error) {
	if err := checkSpace(space); err != nil {
		return nil, err
	}
	var p *server.Point
	var key uint64
	cell := false // the point is a cell, whose barcode is read next
	err := u.db.View(func(tx *store.Tx) error {
		l, err := spacelayout.Load(tx, space)
		if err != nil {
			return err
		}
		if i >= len(l.Keys) {
			return fmt.Errorf("%w: point %d of a %d-point map", query.ErrNotFound, i, len(l.Keys))
		}
		key = l.Keys[i]
		d, row := vocab.SplitEntityKey(key)
		p = &server.Point{Index: i, Row: row, Dataset: "consensus"}
		if d != vocab.Consensus {
			info, err := tx.DatasetByID(d)
			if err != nil {
				return err
			}
			p.Dataset = info.Name
			if space == vocab.SpaceCells {
				p.Fields = map[string]string{}
				for _, c := range info.ObsColumns {
					v, err := tx.ObsColumn(d, c)
					if err != nil {
						return err
					}
					if int(row) < len(v) {
						p.Fields[c] = v[row]
					}
				}
			}
		}
		if space == vocab.SpaceGenes {
			g, err := tx.Gene(row)
			p.Name = g.Symbol
			return err
		}
		cell = true
		return nil
	})
	if err != nil || !cell {
		return p, uiErr(err)
	}
	// the backend keeps each dataset's barcodes once read: hovering over
	// the map asks for one after another
	d, _ := vocab.SplitEntityKey(key)
	err = u.b.View(ctx, func(r query.Reader) error {
		bcs, err := r.Barcodes(ctx, d, []uint32{p.Row})
		if err == nil {
			p.Name = bcs[0]
		}
		return err
	})
	return p, err
}

// qcBins is the number of bins of each QC histogram.
const qcBins = 30

func (u *uiData) QC(ctx context.Context, dataset string) (*server.QC, error) {
	var title string
	var hs []plot.Hist
	err := u.db.View(func(tx *store.Tx) (err error) { title, hs, err = qcHists(tx, dataset); return err })
	if err != nil {
		return nil, uiErr(err)
	}
	out := &server.QC{Title: title}
	for _, h := range hs {
		p := server.QCPanel{Title: h.Title, Counts: make([]int, qcBins)}
		if len(h.Values) > 0 {
			v := slices.Clone(h.Values)
			slices.Sort(v)
			p.Min, p.Max, p.Median = v[0], v[len(v)-1], v[len(v)/2]
			for _, x := range v {
				b := qcBins - 1
				if p.Max > p.Min {
					b = min(int((x-p.Min)/(p.Max-p.Min)*qcBins), qcBins-1)
				}
				p.Counts[b]++
			}
		}
		out.Panels = append(out.Panels, p)
	}
	return out, nil
}
