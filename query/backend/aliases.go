package backend

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"genestore/store"
)

// Alias maps are stored as a blob (kind AliasBlobKind, name AliasBlobName)
// whose bytes are, version 1:
//
//	"genestore-aliases 1\n"
//	then one "alias<TAB>symbol\n" line per alias, sorted by alias,
//
// aliases lower-cased, symbols as given. The blob layer adds length and CRC.
const (
	AliasBlobKind = "aliases"
	AliasBlobName = "default"
	aliasHeader   = "genestore-aliases 1\n"
)

// ErrAliases: an alias file or stored alias map is malformed.
var ErrAliases = errors.New("backend: bad alias map")

// ParseAliases reads a tab-separated alias table: column 1 the alias, column
// 2 the current symbol, further columns ignored; a first line starting with
// "alias" is a header; blank and '#' lines are skipped. Aliases are
// case-folded; an alias listed with two different symbols is ambiguous and
// dropped (counted in ambiguous). name labels errors.
func ParseAliases(r io.Reader, name string) (m map[string]string, ambiguous int, err error) {
	m = map[string]string{}
	bad := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimRight(sc.Text(), "\r")
		if line == 1 {
			s = strings.TrimPrefix(s, "\ufeff") // a byte-order mark
		}
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") {
			continue
		}
		f := strings.Split(s, "\t")
		if line == 1 && strings.HasPrefix(strings.ToLower(f[0]), "alias") {
			continue
		}
		if len(f) < 2 || strings.TrimSpace(f[0]) == "" || strings.TrimSpace(f[1]) == "" {
			return nil, 0, fmt.Errorf("%w: %s:%d: want alias<TAB>symbol", ErrAliases, name, line)
		}
		a, sym := strings.ToLower(strings.TrimSpace(f[0])), strings.TrimSpace(f[1])
		if bad[a] {
			continue
		}
		if old, ok := m[a]; ok && old != sym {
			delete(m, a)
			bad[a] = true
			continue
		}
		m[a] = sym
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("%w: %s:%d: %w", ErrAliases, name, line+1, err)
	}
	return m, len(bad), nil
}

func encodeAliases(m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for a := range m {
		keys = append(keys, a)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	buf.WriteString(aliasHeader)
	for _, a := range keys {
		buf.WriteString(a)
		buf.WriteByte('\t')
		buf.WriteString(m[a])
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

func decodeAliases(b []byte) (map[string]string, error) {
	if !bytes.HasPrefix(b, []byte(aliasHeader)) {
		return nil, fmt.Errorf("%w: stored map has no version header", ErrAliases)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(b[len(aliasHeader):]), "\n") {
		if l == "" {
			continue
		}
		a, s, ok := strings.Cut(l, "\t")
		if !ok {
			return nil, fmt.Errorf("%w: stored line %q", ErrAliases, l)
		}
		m[a] = s
	}
	return m, nil
}

// PutAliases stores (replacing) the alias map inside tx. Keys must be
// lower-case (as ParseAliases returns them).
func PutAliases(tx *store.Tx, m map[string]string) error {
	for a := range m {
		if strings.ContainsAny(a, "\t\n") || strings.ContainsAny(m[a], "\t\n") {
			return fmt.Errorf("%w: alias %q holds a tab or newline", ErrAliases, a)
		}
	}
	return tx.PutBlob(AliasBlobKind, AliasBlobName, encodeAliases(m))
}

// Aliases implements query.Catalog: the stored alias map, or nil when none
// is stored. It is decoded on each call (a few ms for 60k aliases); queries
// only read it when a symbol is not found directly.
func (s *snap) Aliases(ctx context.Context) (map[string]string, error) {
	var blob []byte
	err := s.view(func(tx *store.Tx) (err error) { blob, err = tx.Blob(AliasBlobKind, AliasBlobName); return err })
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeAliases(blob)
}
