package query

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"genestore/vocab"
)

// ClusterPrefix marks a Where selector that names a stored clustering of the
// "cells" space instead of an obs column: "cluster:leiden_r1.0=3" admits the
// cells labelled 3 by the clustering leiden_r1.0.
const ClusterPrefix = "cluster:"

// WhereTerm is one selector of a cell filter with the values it admits.
type WhereTerm struct {
	// Column is the obs column tested; empty when Clustering is set.
	Column string
	// Clustering names a stored clustering of the "cells" space (the text
	// after ClusterPrefix); its values are cluster ids.
	Clustering string
	// Values are alternatives: a cell passes the term when its value is
	// one of them.
	Values []string
}

// Where is a parsed cell filter: a cell passes when it passes every term.
// The same syntax filters `cells --where`, `neighbors --where` and the HTTP
// where= parameter.
type Where []WhereTerm

// ParseWhere parses filters of the form "COLUMN=VALUE" or
// "cluster:NAME=ID" (split at the first '='). Values given for one selector
// are alternatives; different selectors must all match. Terms keep the
// order in which their selector first appears.
func ParseWhere(args []string) (Where, error) {
	var w Where
	for _, a := range args {
		sel, val, ok := strings.Cut(a, "=")
		if !ok || sel == "" {
			return nil, fmt.Errorf("%w: filter %q (want COLUMN=VALUE or %sNAME=ID)", ErrInvalid, a, ClusterPrefix)
		}
		t := WhereTerm{Column: sel}
		if name, ok := strings.CutPrefix(sel, ClusterPrefix); ok {
			if name == "" {
				return nil, fmt.Errorf("%w: filter %q names no clustering (want %sNAME=ID, e.g. %sleiden_r1.0=3)", ErrInvalid, a, ClusterPrefix, ClusterPrefix)
			}
			id, err := strconv.ParseInt(val, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("%w: filter %q: cluster id %q is not an integer", ErrInvalid, a, val)
			}
			val = strconv.FormatInt(id, 10) // "03" and "3" are one cluster
			t = WhereTerm{Clustering: name}
		}
		i := slices.IndexFunc(w, func(x WhereTerm) bool { return x.Column == t.Column && x.Clustering == t.Clustering })
		if i < 0 {
			w = append(w, t)
			i = len(w) - 1
		}
		if !slices.Contains(w[i].Values, val) {
			w[i].Values = append(w[i].Values, val)
		}
	}
	return w, nil
}

// String is the term as written: "COLUMN" or "cluster:NAME".
func (t WhereTerm) String() string {
	if t.Clustering != "" {
		return ClusterPrefix + t.Clustering
	}
	return t.Column
}

// Rows returns, for a dataset of n cells, which cells pass the obs terms of
// w; column returns an obs column (nil, nil when the dataset lacks it, which
// admits no cell). When found is not nil, found[i][j] is set when value j
// of term i occurs. Clustering terms are not tested here (they are keyed
// by entity, see cellFilter).
func (w Where) Rows(n int, column func(name string) ([]string, error), found [][]bool) ([]bool, error) {
	ok := make([]bool, n)
	for i := range ok {
		ok[i] = true
	}
	for i, t := range w {
		if t.Clustering != "" {
			continue
		}
		col, err := column(t.Column)
		if err != nil {
			return nil, err
		}
		if col == nil {
			clear(ok)
			continue
		}
		index := t.valueIndex()
		for r := range ok {
			v := ""
			if r < len(col) {
				v = col[r]
			}
			j := index(v)
			if j < 0 {
				ok[r] = false
			} else if found != nil {
				found[i][j] = true
			}
		}
	}
	return ok, nil
}

// CheckValues reports the first value of a term of w that no cell has:
// found is as Rows fills it (a nil found[i] skips term i), scope says where
// the cells were looked for ("the searched datasets", `dataset "D"`), and
// values gives the values the term's column does take, for the message. The
// error wraps ErrInvalid; neighbors --where and cells --where share it.
func (w Where) CheckValues(found [][]bool, scope string, values func(WhereTerm) (map[string]bool, error)) error {
	for i, t := range w {
		if i >= len(found) || found[i] == nil {
			continue
		}
		for j, v := range t.Values {
			if !found[i][j] {
				vals, err := values(t)
				if err != nil {
					return err
				}
				return fmt.Errorf("%w: filter %s=%s: %s has no value %q in %s (values: %s)",
					ErrInvalid, t, v, t, v, scope, someValues(vals, 12))
			}
		}
	}
	return nil
}

// valueIndex returns a function giving the position of a value in
// t.Values, -1 if absent (a map past a few values).
func (t WhereTerm) valueIndex() func(string) int {
	if len(t.Values) <= 8 {
		return func(v string) int { return slices.Index(t.Values, v) }
	}
	m := make(map[string]int, len(t.Values))
	for j, v := range t.Values {
		m[v] = j
	}
	return func(v string) int {
		if j, ok := m[v]; ok {
			return j
		}
		return -1
	}
}

// cellFilter turns w into a predicate on cell keys of the datasets allowed
// (every key of another dataset fails). An obs column that no allowed
// dataset has, a value that no allowed cell has, and a clustering that is
// not stored are errors naming the column (or clustering) and value. nil w
// gives a nil predicate.
func (e *Engine) cellFilter(ctx context.Context, nm names, ds []Dataset, allowed map[uint32]bool, w Where) (func(uint64) bool, error) {
	if len(w) == 0 {
		return nil, nil
	}
	var sets []uint32
	top := uint32(0)
	for d := range allowed {
		sets = append(sets, d)
		top = max(top, d)
	}
	slices.Sort(sets)
	present := make([]bool, len(w))
	found := make([][]bool, len(w))
	for i, t := range w {
		found[i] = make([]bool, len(t.Values))
	}
	pass := make([][]bool, top+1)
	for _, d := range sets {
		column := func(name string) ([]string, error) {
			col, err := e.r.ObsColumn(ctx, d, name)
			if errors.Is(err, ErrNotFound) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			for i, t := range w {
				if t.Column == name && t.Clustering == "" {
					present[i] = true
				}
			}
			return col, nil
		}
		size := 0
		for _, x := range ds {
			if x.ID == d {
				size = x.Cells
			}
		}
		var err error
		if pass[d], err = w.Rows(size, column, found); err != nil {
			return nil, err
		}
	}
	for i, t := range w {
		if t.Clustering != "" {
			c, err := e.r.Clustering(ctx, vocab.SpaceCells, t.Clustering)
			if errors.Is(err, ErrNotFound) {
				return nil, fmt.Errorf("%w: filter %s: no stored clustering %q of the cells space (compute one with `genestore clusters --space cells`)",
					ErrInvalid, t, t.Clustering)
			}
			if err != nil {
				return nil, err
			}
			want := make([]int32, len(t.Values))
			for j, v := range t.Values {
				x, _ := strconv.ParseInt(v, 10, 32) // checked by ParseWhere
				want[j] = int32(x)
			}
			in := make([][]bool, top+1)
			for j, key := range c.Keys {
				d, row := vocab.SplitEntityKey(key)
				if d > top || !allowed[d] || int(row) >= len(pass[d]) {
					continue
				}
				present[i] = true
				if x := slices.Index(want, c.Labels[j]); x >= 0 {
					found[i][x] = true
					if in[d] == nil {
						in[d] = make([]bool, len(pass[d]))
					}
					in[d][row] = true
				}
			}
			for _, d := range sets {
				for r := range pass[d] {
					pass[d][r] = pass[d][r] && in[d] != nil && in[d][r]
				}
			}
		}
		if !present[i] {
			var names []string
			for _, d := range sets {
				names = append(names, nm[d])
			}
			if t.Clustering != "" {
				return nil, fmt.Errorf("%w: filter %s: clustering %q labels no cell of the searched datasets (%s)", ErrInvalid, t, t.Clustering, strings.Join(names, ", "))
			}
			return nil, fmt.Errorf("%w: filter %s: no searched dataset (%s) has obs column %q", ErrInvalid, t, strings.Join(names, ", "), t.Column)
		}
		if err := w[i:i+1].CheckValues(found[i:i+1], "the searched datasets", func(t WhereTerm) (map[string]bool, error) {
			return e.valuesOf(ctx, sets, t)
		}); err != nil {
			return nil, err
		}
	}
	return func(key uint64) bool {
		d, row := vocab.SplitEntityKey(key)
		return d <= top && int(row) < len(pass[d]) && pass[d][row]
	}, nil
}

// valuesOf returns the distinct values that term t's column (or
// clustering) takes over the datasets sets, for an error message.
func (e *Engine) valuesOf(ctx context.Context, sets []uint32, t WhereTerm) (map[string]bool, error) {
	out := map[string]bool{}
	if t.Clustering != "" {
		c, err := e.r.Clustering(ctx, vocab.SpaceCells, t.Clustering)
		if err != nil {
			return nil, err
		}
		for j, key := range c.Keys {
			if d, _ := vocab.SplitEntityKey(key); slices.Contains(sets, d) {
				out[strconv.Itoa(int(c.Labels[j]))] = true
			}
		}
		return out, nil
	}
	for _, d := range sets {
		col, err := e.r.ObsColumn(ctx, d, t.Column)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, v := range col {
			out[v] = true
		}
	}
	return out, nil
}

// someValues lists up to max of the values, sorted, with "…" when cut.
func someValues(set map[string]bool, max int) string {
	vs := make([]string, 0, len(set))
	for v := range set {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	if len(vs) > max {
		return strings.Join(vs[:max], ", ") + ", …"
	}
	return strings.Join(vs, ", ")
}
