package ingest

import (
	"bytes"
	"context"
	"hash"
	"io"

	"genestore/internal/sparse"
	"genestore/vocab"
)

// readCSV reads a dense CSV/TSV matrix (optionally gzipped).
func readCSV(ctx context.Context, path string, opts Options, h hash.Hash) (*Dataset, error) {
	in, err := openTextProgress(path, h, opts.Progress)
	if err != nil {
		return nil, err
	}
	defer in.close()
	res, err := parseCSV(ctx, &in.lr, delimiterFor(path, opts.Delimiter), opts)
	if err != nil {
		return nil, err
	}
	if err := in.finish(); err != nil {
		return nil, err
	}
	res.Format = FormatCSV
	res.Source = path
	return res, nil
}

// parseCSV parses a dense table. Without opts.Transpose the header names the
// cells and each line is one gene (name, then one value per cell); with it
// the header names the genes and each line is one cell. The header may or
// may not have a corner label before the first name.
func parseCSV(ctx context.Context, lr *lineReader, delim byte, opts Options) (*Dataset, error) {
	opts = opts.withDefaults()
	name := lr.name
	line, err := lr.next()
	if err == io.EOF {
		return nil, errLine(ErrEmpty, name, 1, "empty file")
	}
	if err != nil {
		return nil, err
	}
	line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	hdr, ok := splitFields(nil, line, delim)
	if !ok {
		return nil, errLine(ErrFormat, name, lr.line, "unterminated quote in header")
	}
	hdrLine := lr.line
	if len(hdr) == 1 {
		if hint := delimHint(name, hdr[0], delim, opts.Delimiter != 0); hint != "" {
			return nil, errLine(ErrFormat, name, hdrLine, "header has 1 column: %s", hint)
		}
	}
	names := make([]string, len(hdr))
	for i, f := range hdr {
		names[i] = string(f)
	}
	corner := -1 // decided by the first data line
	if int64(len(names)) > opts.MaxDim+1 {
		return nil, errLine(ErrLimit, name, lr.line, "%d columns; the limit is %d", len(names), opts.MaxDim)
	}
	counts := opts.Values == vocab.Counts
	allInt := true
	var rowNames []string
	seenRow := make(map[string]int64)
	m := newCOO(0, 0)
	var fields [][]byte
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			continue
		}
		if len(rowNames)&1023 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		fields, ok = splitFields(fields[:0], line, delim)
		if !ok {
			return nil, errLine(ErrFormat, name, lr.line, "unterminated quote")
		}
		if corner < 0 {
			switch len(fields) {
			case len(names):
				corner = 1
			case len(names) + 1:
				corner = 0
			default:
				return nil, errLine(ErrMismatch, name, lr.line, "%d fields but the header (line %d) has %d names", len(fields), hdrLine, len(names))
			}
			names = names[corner:]
			if len(names) == 0 {
				return nil, errLine(ErrEmpty, name, hdrLine, "the header names no columns")
			}
			seen := make(map[string]int, len(names))
			for i, n := range names {
				if n == "" {
					return nil, errLine(ErrFormat, name, hdrLine, "column %d of the header has no name", i+1+corner)
				}
				if j, dup := seen[n]; dup {
					return nil, errLine(ErrDuplicate, name, hdrLine, "column name %q appears twice (columns %d and %d)", n, j+1+corner, i+1+corner)
				}
				seen[n] = i
			}
		}
		if len(fields) != len(names)+1 {
			return nil, errLine(ErrMismatch, name, lr.line, "%d fields, want %d (a name and one value for each of the %d columns of the header on line %d)", len(fields), len(names)+1, len(names), hdrLine)
		}
		rn := string(fields[0])
		if rn == "" {
			return nil, errLine(ErrFormat, name, lr.line, "row without a name")
		}
		if prev, dup := seenRow[rn]; dup {
			return nil, errLine(ErrDuplicate, name, lr.line, "row name %q already on line %d", rn, prev)
		}
		seenRow[rn] = lr.line
		row := int32(len(rowNames))
		rowNames = append(rowNames, rn)
		if int64(len(rowNames)) > opts.MaxDim {
			return nil, errLine(ErrLimit, name, lr.line, "more than %d rows", opts.MaxDim)
		}
		for j, f := range fields[1:] {
			f = bytes.TrimSpace(f)
			v, ok := parseFloat(f)
			if !ok {
				return nil, errLine(ErrFormat, name, lr.line, "column %d (%s): bad value %s", j+2, names[j], quoteName(f))
			}
			if msg := checkValue(v, counts); msg != "" {
				return nil, errLine(ErrValue, name, lr.line, "column %d (%s): %s", j+2, names[j], msg)
			}
			if v == 0 {
				continue
			}
			if allInt && v != float64(int64(v)) {
				allInt = false
			}
			if opts.Transpose {
				m.add(row, int32(j), float32(v))
			} else {
				m.add(int32(j), row, float32(v))
			}
			if int64(m.n) > opts.MaxNNZ {
				return nil, errLine(ErrLimit, name, lr.line, "more than %d nonzero values", opts.MaxNNZ)
			}
		}
	}
	if corner < 0 {
		return nil, errLine(ErrEmpty, name, lr.line, "no data lines after the header")
	}
	var barcodes []string
	var genes []Gene
	geneNames := rowNames
	if opts.Transpose {
		barcodes, geneNames = rowNames, names
	} else {
		barcodes = names
	}
	genes = make([]Gene, len(geneNames))
	for i, g := range geneNames {
		genes[i] = Gene{ID: g, Symbol: g}
	}
	m.rows, m.cols = len(barcodes), len(genes)
	var x *sparse.CSR
	x, dup := m.toCSR()
	if dup != nil { // impossible: names are unique; kept as a guard
		return nil, errLine(ErrDuplicate, name, 0, "entry (cell %d, gene %d) twice", dup.row+1, dup.col+1)
	}
	values := opts.Values
	if values == "" {
		values = vocab.Normalized
		if allInt {
			values = vocab.Counts
		}
	}
	return &Dataset{Values: values, X: x, Genes: genes, Barcodes: barcodes}, nil
}
