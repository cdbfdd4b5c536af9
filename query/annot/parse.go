package annot

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// GeneSet is a named set of genes: a GO term, a pathway, a marker list.
type GeneSet struct {
	// ID identifies the set in its collection ("GO:0006915"); unique.
	ID string
	// Name is the human-readable description (GMT's second column; empty
	// for sets read from GAF, which carries no term names).
	Name string
	// Genes are the members' symbols, without duplicates.
	Genes []string
}

// maxLine bounds one GMT/GAF line (MSigDB's largest sets are ~100 KB).
const maxLine = 16 << 20

// ParseGMT reads a Gene Matrix Transposed file: one set per line,
// tab-separated, "ID<TAB>description<TAB>gene<TAB>gene...". Fields are
// trimmed of surrounding white space; empty gene fields are skipped and
// repeated genes kept once (first occurrence). Blank lines and lines
// whose first non-blank character is '#' are skipped. A line with fewer than three fields (no
// gene), an empty ID, or an ID seen before is an error wrapping ErrParse
// that names the file (name) and the line. Sets come back in file order.
func ParseGMT(r io.Reader, name string) ([]GeneSet, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var out []GeneSet
	seen := map[string]int{}
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff") // a byte-order mark
		}
		if t := strings.TrimSpace(text); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) < 3 {
			return nil, fmt.Errorf("%w: %s:%d: too few fields (%d, want ID, description and at least one gene)", ErrParse, name, line, len(f))
		}
		id := strings.TrimSpace(f[0])
		if id == "" {
			return nil, fmt.Errorf("%w: %s:%d: empty set ID", ErrParse, name, line)
		}
		if prev, dup := seen[id]; dup {
			return nil, fmt.Errorf("%w: %s:%d: duplicate set ID %q (first on line %d)", ErrParse, name, line, id, prev)
		}
		seen[id] = line
		gs := GeneSet{ID: id, Name: strings.TrimSpace(f[1])}
		have := map[string]bool{}
		for _, g := range f[2:] {
			g = strings.TrimSpace(g)
			if g == "" || have[g] {
				continue
			}
			have[g] = true
			gs.Genes = append(gs.Genes, g)
		}
		if len(gs.Genes) == 0 {
			return nil, fmt.Errorf("%w: %s:%d: set %q has no genes", ErrParse, name, line, id)
		}
		out = append(out, gs)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w: %s:%d: line longer than %d bytes", ErrParse, name, line+1, maxLine)
		}
		return nil, fmt.Errorf("annot: reading %s: %w", name, err)
	}
	return out, nil
}

// WriteGMT writes sets in GMT form (the inverse of ParseGMT for sets whose
// fields hold no tab, newline or surrounding white space).
func WriteGMT(w io.Writer, sets []GeneSet) error {
	bw := bufio.NewWriter(w)
	for _, s := range sets {
		for _, f := range append([]string{s.ID, s.Name}, s.Genes...) {
			if strings.ContainsAny(f, "\t\n") {
				return fmt.Errorf("%w: set %q: field %q holds a tab or newline", ErrInvalidInput, s.ID, f)
			}
		}
		bw.WriteString(s.ID)
		bw.WriteByte('\t')
		bw.WriteString(s.Name)
		for _, g := range s.Genes {
			bw.WriteByte('\t')
			bw.WriteString(g)
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// GAFOptions configure ParseGAF. The zero value keeps all three aspects.
type GAFOptions struct {
	// Aspects lists the GO aspects to keep: any of 'P' (biological
	// process), 'F' (molecular function), 'C' (cellular component).
	// Empty keeps all.
	Aspects string
}

// ParseGAF reads a GO Annotation File (GAF 2.0, 2.1, 2.2: tab-separated,
// at least 15 columns, '!' header/comment lines) into one GeneSet per GO
// term: column 3 (DB object symbol) is the gene, column 5 the GO ID,
// column 9 the aspect. Annotations whose qualifier (column 4) contains NOT
// are excluded. Terms are sorted by ID and their genes by symbol. GAF holds
// direct annotations only: no propagation up the GO graph is done here, so
// parent terms are smaller than in a propagated GMT. Errors wrap ErrParse
// and name the file and line.
func ParseGAF(r io.Reader, name string, opts GAFOptions) ([]GeneSet, error) {
	for _, a := range opts.Aspects {
		if a != 'P' && a != 'F' && a != 'C' {
			return nil, fmt.Errorf("%w: aspect %q (want P, F or C)", ErrInvalidInput, a)
		}
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	terms := map[string]map[string]bool{}
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff") // a byte-order mark
		}
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "!") {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) < 15 {
			return nil, fmt.Errorf("%w: %s:%d: %d columns, GAF needs at least 15", ErrParse, name, line, len(f))
		}
		sym := strings.TrimSpace(f[2])
		qual := f[3]
		goID := strings.TrimSpace(f[4])
		aspect := strings.TrimSpace(f[8])
		if sym == "" {
			return nil, fmt.Errorf("%w: %s:%d: empty gene symbol (column 3)", ErrParse, name, line)
		}
		if !strings.HasPrefix(goID, "GO:") || len(goID) < 4 {
			return nil, fmt.Errorf("%w: %s:%d: GO ID %q (column 5) does not start with GO:", ErrParse, name, line, goID)
		}
		if len(aspect) != 1 || !strings.Contains("PFC", aspect) {
			return nil, fmt.Errorf("%w: %s:%d: aspect %q (column 9), want P, F or C", ErrParse, name, line, aspect)
		}
		if slices.Contains(strings.Split(qual, "|"), "NOT") {
			continue
		}
		if opts.Aspects != "" && !strings.Contains(opts.Aspects, aspect) {
			continue
		}
		if terms[goID] == nil {
			terms[goID] = map[string]bool{}
		}
		terms[goID][sym] = true
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w: %s:%d: line longer than %d bytes", ErrParse, name, line+1, maxLine)
		}
		return nil, fmt.Errorf("annot: reading %s: %w", name, err)
	}
	out := make([]GeneSet, 0, len(terms))
	for id, genes := range terms {
		gs := GeneSet{ID: id}
		for g := range genes {
			gs.Genes = append(gs.Genes, g)
		}
		slices.Sort(gs.Genes)
		out = append(out, gs)
	}
	slices.SortFunc(out, func(a, b GeneSet) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// GeneToSets inverts a collection: gene → IDs of the sets holding it, in
// collection order. Use it for PredictTerms.
func GeneToSets(sets []GeneSet) map[string][]string {
	m := map[string][]string{}
	for _, s := range sets {
		for _, g := range s.Genes {
			m[g] = append(m[g], s.ID)
		}
	}
	return m
}
