package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// Orthologs is a one-to-one ortholog table between two species: the
// species of a dataset (From) and the species its genes are joined to
// (To, the store's home species). The store joins a From gene whose symbol
// has a pair to the To gene of the paired symbol; genes without a pair stay
// apart, as the From species' own genes.
type Orthologs struct {
	Source string // the file read, or "symbol-case"
	SHA256 string // hex SHA-256 of the file ("" for symbol-case)
	From   string // dataset species (lower case)
	To     string // home species (lower case)
	// SymbolCase is the explicit opt-in that pairs symbols equal ignoring
	// letter case (Cd79a ↔ CD79A) instead of a table. It is right for most
	// mouse–human one-to-one orthologs and wrong for the rest (renamed
	// genes, gene families); provenance says it was used.
	SymbolCase bool
	// Pairs maps a From symbol to its To symbol (nil for SymbolCase).
	Pairs map[string]string
	// Skipped counts ortholog groups that were not one-to-one and were left
	// out (MGI's report lists one-to-many groups, and groups sharing a
	// gene with another group, which are left out too; a plain two-column
	// table must not have them).
	Skipped int
}

// SymbolCaseOrthologs returns the symbol-case pairing for a dataset of
// species from joined to species to.
func SymbolCaseOrthologs(from, to string) *Orthologs {
	return &Orthologs{Source: "symbol-case", From: from, To: to, SymbolCase: true}
}

// speciesRE is what a species name may be: lower case, a letter first.
var speciesRE = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)

// CheckSpecies normalises a species name to lower case and checks it.
func CheckSpecies(s string) (string, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	if !speciesRE.MatchString(l) {
		return "", fmt.Errorf("%w: species %q: want a name such as human or mouse (a letter, then letters, digits, _ . -)", ErrOptions, s)
	}
	return l, nil
}

// ReadOrthologs reads a one-to-one ortholog table joining genes of species
// from to genes of species to ("" = the table's other species, when it has
// exactly two). Two layouts are read, tab- or comma-separated, optionally
// gzip-compressed:
//
//   - a table with a header naming each species' symbol column: a column
//     named exactly the species ("human", "mouse"), or "<species>_symbol",
//     "<species> symbol" (HGNC HCOP's human_symbol / mouse_symbol), case
//     ignored; other columns are ignored. Every symbol must occur in one
//     pair only: a one-to-many row is an error naming both lines (filter
//     the table to one-to-one pairs first).
//   - MGI's HOM_MouseHumanSequence.rpt / HMD report (header starting "DB
//     Class Key", with "Common Organism Name" and "Symbol" columns): rows
//     are grouped by class key, and a group with exactly one gene of each
//     species is a pair; other groups are skipped and counted.
//
// Lines starting with '#' and empty lines are skipped.
func ReadOrthologs(path, from, to string) (*Orthologs, error) {
	var err error
	if from, err = CheckSpecies(from); err != nil {
		return nil, err
	}
	if to != "" {
		if to, err = CheckSpecies(to); err != nil {
			return nil, err
		}
	}
	h := sha256.New()
	in, err := openText(path, h)
	if err != nil {
		return nil, err
	}
	defer in.close()
	var (
		sep    byte
		header []string
		rows   [][]string
		lines  []int64
	)
	for {
		line, err := in.lr.nextContent(true)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		f := splitGuessed(line, &sep)
		if header == nil {
			header = f
			continue
		}
		rows = append(rows, f)
		lines = append(lines, in.lr.line)
	}
	if err := in.finish(); err != nil {
		return nil, err
	}
	if header == nil {
		return nil, errLine(ErrFormat, path, 0, "empty ortholog table")
	}
	o := &Orthologs{Source: path, From: from, To: to}
	if strings.EqualFold(header[0], "DB Class Key") {
		err = o.readMGI(path, header, rows, lines)
	} else {
		err = o.readColumns(path, header, rows, lines)
	}
	if err != nil {
		return nil, err
	}
	if len(o.Pairs) == 0 {
		return nil, errLine(ErrFormat, path, 0, "no one-to-one %s–%s pairs", o.From, o.To)
	}
	o.SHA256 = hex.EncodeToString(h.Sum(nil))
	return o, nil
}

// speciesColumn finds the symbol column of species sp in header, or -1.
func speciesColumn(header []string, sp string) int {
	for i, c := range header {
		l := strings.ToLower(c)
		if l == sp || l == sp+"_symbol" || l == sp+" symbol" || l == sp+"_gene_symbol" || l == sp+" gene symbol" {
			return i
		}
	}
	return -1
}

// knownSpecies are the species names a bare column header may be.
var knownSpecies = map[string]bool{"human": true, "mouse": true, "rat": true, "zebrafish": true, "macaque": true,
	"pig": true, "chicken": true, "fly": true, "worm": true, "yeast": true, "frog": true, "dog": true, "cow": true}

// columnSpecies is the species a header names ("human", "mouse_symbol",
// "rat symbol"), or "".
func columnSpecies(c string) string {
	l := strings.ToLower(strings.TrimSpace(c))
	for _, suf := range []string{"_gene_symbol", " gene symbol", "_symbol", " symbol"} {
		if s, ok := strings.CutSuffix(l, suf); ok {
			if speciesRE.MatchString(s) {
				return s
			}
			return ""
		}
	}
	if knownSpecies[l] {
		return l
	}
	return ""
}

// readColumns reads the header-named two-species layout.
func (o *Orthologs) readColumns(path string, header []string, rows [][]string, lines []int64) error {
	fc := speciesColumn(header, o.From)
	if fc < 0 {
		return errLine(ErrFormat, path, 1, "no %s symbol column in the header (%s); name it %q or %q", o.From, strings.Join(header, ", "), o.From, o.From+"_symbol")
	}
	tc := -1
	if o.To != "" {
		if tc = speciesColumn(header, o.To); tc < 0 {
			return errLine(ErrFormat, path, 1, "no %s symbol column in the header (%s): the table does not join %s to the store's home species %s", o.To, strings.Join(header, ", "), o.From, o.To)
		}
	} else {
		var other []int
		for i, c := range header {
			if sp := columnSpecies(c); i != fc && sp != "" && speciesColumn(header, sp) == i {
				other = append(other, i)
			}
		}
		if len(other) != 1 {
			return errLine(ErrFormat, path, 1, "cannot tell which species to join %s genes to (header %s): ingest a dataset of the home species with --species first", o.From, strings.Join(header, ", "))
		}
		tc = other[0]
		o.To = columnSpecies(header[tc])
	}
	if o.To == o.From {
		return fmt.Errorf("%w: orthologs %s: both columns are %s", ErrOptions, path, o.From)
	}
	o.Pairs = make(map[string]string, len(rows))
	fromLine := map[string]int64{}
	toOf := map[string]string{}
	toLine := map[string]int64{}
	for i, f := range rows {
		if fc >= len(f) || tc >= len(f) {
			return errLine(ErrFormat, path, lines[i], "%d fields, the header has %d", len(f), len(header))
		}
		a, b := f[fc], f[tc]
		if a == "" || b == "" {
			continue // no ortholog in one species
		}
		if prev, ok := o.Pairs[a]; ok && prev != b {
			return errLine(ErrDuplicate, path, lines[i], "%s %q pairs with %q here and with %q on line %d: the table must be one-to-one (keep only one-to-one rows)", o.From, a, b, prev, fromLine[a])
		}
		if prev, ok := toOf[b]; ok && prev != a {
			return errLine(ErrDuplicate, path, lines[i], "%s %q pairs with %q here and with %q on line %d: the table must be one-to-one (keep only one-to-one rows)", o.To, b, a, prev, toLine[b])
		}
		o.Pairs[a], fromLine[a] = b, lines[i]
		toOf[b], toLine[b] = a, lines[i]
	}
	return nil
}

// mgiSpecies maps MGI's "Common Organism Name" to a species name.
func mgiSpecies(name string) string {
	l := strings.ToLower(strings.TrimSpace(name))
	if i := strings.IndexByte(l, ','); i >= 0 {
		l = l[:i] // "mouse, laboratory"
	}
	return strings.ReplaceAll(l, " ", "-")
}

// readMGI reads MGI's homology report.
func (o *Orthologs) readMGI(path string, header []string, rows [][]string, lines []int64) error {
	org, sym := -1, -1
	for i, c := range header {
		switch strings.ToLower(c) {
		case "common organism name":
			org = i
		case "symbol":
			sym = i
		}
	}
	if org < 0 || sym < 0 {
		return errLine(ErrFormat, path, 1, "MGI report without \"Common Organism Name\" and \"Symbol\" columns")
	}
	type group struct{ from, to []string }
	groups := map[string]*group{}
	var order []string
	species := map[string]bool{}
	for i, f := range rows {
		if len(f) <= max(org, sym) {
			return errLine(ErrFormat, path, lines[i], "%d fields, the header has %d", len(f), len(header))
		}
		sp := mgiSpecies(f[org])
		if sp == "" || f[sym] == "" {
			continue
		}
		species[sp] = true
		if o.To == "" && sp != o.From {
			o.To = sp
		}
		g := groups[f[0]]
		if g == nil {
			g = &group{}
			groups[f[0]] = g
			order = append(order, f[0])
		}
		switch sp {
		case o.From:
			g.from = append(g.from, f[sym])
		case o.To:
			g.to = append(g.to, f[sym])
		}
	}
	if !species[o.From] {
		names := make([]string, 0, len(species))
		for s := range species {
			names = append(names, s)
		}
		slices.Sort(names)
		return errLine(ErrFormat, path, 0, "no %s genes in the report (species: %s)", o.From, strings.Join(names, ", "))
	}
	if o.To == "" || !species[o.To] {
		return errLine(ErrFormat, path, 0, "no genes of a second species (or of %q) in the report", o.To)
	}
	// A symbol in several classes (a report listing one gene under two
	// homology keys) would pair it twice: the table must stay one-to-one,
	// so every class holding such a symbol is skipped.
	inFrom, inTo := map[string]int{}, map[string]int{}
	for _, k := range order {
		g := groups[k]
		if len(g.from) > 0 && len(g.to) > 0 {
			for _, s := range g.from {
				inFrom[s]++
			}
			for _, s := range g.to {
				inTo[s]++
			}
		}
	}
	o.Pairs = map[string]string{}
	for _, k := range order {
		g := groups[k]
		if len(g.from) == 1 && len(g.to) == 1 && inFrom[g.from[0]] == 1 && inTo[g.to[0]] == 1 {
			o.Pairs[g.from[0]] = g.to[0]
		} else if len(g.from) > 0 && len(g.to) > 0 {
			o.Skipped++
		}
	}
	return nil
}

// Check compares the table with a dataset's gene symbols: it fails when
// the symbols look like another species' (few found among the table's
// From symbols, many among its To symbols, or almost none at all).
func (o *Orthologs) Check(genes []Gene) error {
	if o.SymbolCase || len(o.Pairs) < 50 {
		return nil
	}
	to := make(map[string]bool, len(o.Pairs))
	for _, b := range o.Pairs {
		to[b] = true
	}
	var inFrom, inTo int
	for _, g := range genes {
		if _, ok := o.Pairs[g.Symbol]; ok {
			inFrom++
		}
		if to[g.Symbol] {
			inTo++
		}
	}
	n := len(genes)
	switch {
	case inTo > 2*inFrom && inTo >= 20:
		return fmt.Errorf("%w: species mismatch: %d of the dataset's %d genes are %s symbols of %s and only %d are %s symbols (is the dataset %s? check --species)", ErrMismatch, inTo, n, o.To, o.Source, inFrom, o.From, o.To)
	case inFrom*20 < n && inFrom < 100:
		return fmt.Errorf("%w: species mismatch: only %d of the dataset's %d genes are %s symbols in %s (check --species and the table)", ErrMismatch, inFrom, n, o.From, o.Source)
	}
	return nil
}
