package ingest

import (
	"bytes"
	"hash"
	"io"
	"strings"
	"unicode/utf8"
)

// delimiterFor picks the delimiter of a text table: opts wins, else tab for
// .tsv and .txt (optionally .gz), else comma.
func delimiterFor(path string, d rune) byte {
	if d != 0 {
		return byte(d)
	}
	p := strings.TrimSuffix(strings.ToLower(path), ".gz")
	if strings.HasSuffix(p, ".tsv") || strings.HasSuffix(p, ".txt") {
		return '\t'
	}
	return ','
}

// readObs reads a per-cell metadata table and aligns it to barcodes. Fields
// may be quoted and hold delimiters and line breaks (RFC 4180); a UTF-8 byte
// order mark is ignored. The header names the columns; the barcode column is the one named "barcode"
// (any case), else the first. Only the barcode column may be unnamed, and
// no name may hold control characters (ErrFormat naming the line and the
// column). Rows for barcodes the matrix does not have are
// an error (ErrMismatch); matrix barcodes without a row get empty values.
// A header with no rows and text that is not UTF-8 are errors (ErrFormat
// naming the line and the column): each would be stored without complaint
// and surprise a later query. Values are kept as text, so "inf" in a
// numeric column is kept as written (pandas writes it so).
func readObs(path string, delim byte, barcodes []string, h hash.Hash) ([]ObsColumn, error) {
	in, err := openText(path, h)
	if err != nil {
		return nil, err
	}
	defer in.close()
	cols, err := parseObs(&in.lr, delim, barcodes)
	if err != nil {
		return nil, err
	}
	if err := in.finish(); err != nil {
		return nil, err
	}
	return cols, nil
}

// parseObs is readObs without the file handling (the fuzzer calls it).
func parseObs(lr *lineReader, delim byte, barcodes []string) ([]ObsColumn, error) {
	name := lr.name
	var buf []byte
	hdr, hdrLine, err := lr.nextRecord(nil, delim, &buf)
	if err == io.EOF {
		return nil, errLine(ErrFormat, name, 1, "empty file: want a header line")
	}
	if err != nil {
		return nil, err
	}
	key := 0
	for i, f := range hdr {
		if strings.EqualFold(string(f), "barcode") {
			key = i
		}
	}
	seen := make(map[string]int)
	for i, f := range hdr {
		s := string(f)
		// A metadata column needs a name: an empty one (a trailing or
		// doubled delimiter, as in "barcode,cell_type,") or one with control
		// characters would otherwise fail later, where the file is no longer
		// known. The barcode column may be unnamed (pandas writes its index
		// so).
		if s == "" && i != key {
			return nil, errLine(ErrFormat, name, hdrLine, "column %d of the header has an empty name (a trailing or doubled delimiter %q?)", i+1, delim)
		}
		if j, dup := seen[s]; dup {
			return nil, errLine(ErrDuplicate, name, hdrLine, "column %q appears twice (columns %d and %d)", s, j+1, i+1)
		}
		seen[s] = i
	}
	// A lone column is fine when it is the barcode column (an obs file with
	// no metadata, as some exports write); anything else is most likely a
	// file read with the wrong delimiter.
	if len(hdr) < 2 && (len(hdr) == 0 || !strings.EqualFold(string(hdr[0]), "barcode")) {
		if len(hdr) == 1 {
			if hint := delimHint(name, hdr[0], delim, false); hint != "" {
				return nil, errLine(ErrFormat, name, hdrLine, "header has 1 column: %s", hint)
			}
		}
		return nil, errLine(ErrFormat, name, hdrLine, "header has %d column(s): want the barcode column and at least one metadata column (delimiter %q)", len(hdr), delim)
	}
	// After the delimiter hint above, which explains a tab in a lone column.
	for i, f := range hdr {
		if !utf8.Valid(f) {
			return nil, errLine(ErrFormat, name, hdrLine, "column %d of the header, %q, is not UTF-8 text", i+1, f)
		}
		if bytes.IndexFunc(f, isControl) >= 0 {
			return nil, errLine(ErrFormat, name, hdrLine, "column %d of the header, %q, contains a control character", i+1, f)
		}
	}
	index := make(map[string]int, len(barcodes))
	for i, b := range barcodes {
		index[b] = i
	}
	cols := make([]ObsColumn, 0, len(hdr)-1)
	for i, f := range hdr {
		if i != key {
			cols = append(cols, ObsColumn{Name: string(f), Values: make([]string, len(barcodes))})
		}
	}
	rowOf := make([]int64, len(barcodes)) // line that set each cell, 0 = none
	rows := 0
	var fields [][]byte
	for {
		var at int64
		fields, at, err = lr.nextRecord(fields[:0], delim, &buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(fields) != len(hdr) {
			return nil, errLine(ErrFormat, name, at, "%d fields, the header has %d", len(fields), len(hdr))
		}
		b := string(fields[key])
		cell, known := index[b]
		if !known {
			return nil, errLine(ErrMismatch, name, at, "unknown barcode %q: not in the matrix", b)
		}
		if rowOf[cell] != 0 {
			return nil, errLine(ErrDuplicate, name, at, "barcode %q already on line %d", b, rowOf[cell])
		}
		rowOf[cell] = at
		rows++
		c := 0
		for i, f := range fields {
			if !utf8.Valid(f) {
				return nil, errLine(ErrFormat, name, at, "column %q: %q is not UTF-8 text", hdr[i], f)
			}
			if i == key {
				continue
			}
			cols[c].Values[cell] = string(f)
			c++
		}
	}
	if rows == 0 {
		return nil, errLine(ErrFormat, name, hdrLine, "a header and no rows: want one row per cell")
	}
	for i := range cols {
		cols[i].Categorical = !numericColumn(cols[i].Values)
	}
	return cols, nil
}

// isControl reports an ASCII control character (C0 or DEL) or a C1 one.
func isControl(r rune) bool { return r < 0x20 || r >= 0x7f && r < 0xa0 }

// numericColumn reports whether every present value parses as a number
// (empty, "NA" and "nan" count as missing).
func numericColumn(vals []string) bool {
	for _, v := range vals {
		switch strings.ToLower(v) {
		case "", "na", "nan":
			continue
		}
		if _, ok := parseFloat([]byte(v)); !ok {
			return false
		}
	}
	return true
}

// mergeObs adds cols to ds.Obs; a column of the same name is replaced.
func mergeObs(ds *Dataset, cols []ObsColumn) {
	for _, c := range cols {
		if old := ds.Column(c.Name); old != nil {
			*old = c
			continue
		}
		ds.Obs = append(ds.Obs, c)
	}
}
