package ingest

import (
	"bytes"
	"context"
	"io"

	"genestore/internal/sparse"
)

// mtxHeader is what the banner and size line of a Matrix Market file say.
type mtxHeader struct {
	field            string // "integer" or "real"
	genes, cells     int64  // rows and columns of the file (genes × cells)
	nnz              int64
	sizeLine, banner int64 // line numbers
}

// mtxLimits are the constraints parseMTX checks while reading.
type mtxLimits struct {
	genes, cells int64 // expected from features/barcodes; -1 = unknown
	maxNNZ       int64
	maxDim       int64
	counts       bool // values must be integers even in a "real" file
}

// parseMTX reads a 10x Matrix Market stream (genes × cells, 1-based) and
// returns the cells × genes CSR. It allocates from the entries actually read,
// never from the size line alone.
func parseMTX(ctx context.Context, lr *lineReader, lim mtxLimits) (*sparse.CSR, mtxHeader, error) {
	var h mtxHeader
	name := lr.name
	// Banner.
	line, err := lr.next()
	if err == io.EOF {
		return nil, h, errLine(ErrFormat, name, 1, "empty file: want a %%%%MatrixMarket banner")
	}
	if err != nil {
		return nil, h, err
	}
	h.banner = lr.line
	f := bytes.Fields(line)
	if len(f) != 5 || !bytes.EqualFold(f[0], []byte("%%MatrixMarket")) || !bytes.EqualFold(f[1], []byte("matrix")) {
		return nil, h, errLine(ErrFormat, name, lr.line, "bad Matrix Market banner %s: want \"%%%%MatrixMarket matrix coordinate integer|real general\"", quoteName(line))
	}
	if !bytes.EqualFold(f[2], []byte("coordinate")) {
		return nil, h, errLine(ErrFormat, name, lr.line, "unsupported Matrix Market layout %s: only \"coordinate\" is supported", quoteName(f[2]))
	}
	switch {
	case bytes.EqualFold(f[3], []byte("integer")):
		h.field = "integer"
	case bytes.EqualFold(f[3], []byte("real")), bytes.EqualFold(f[3], []byte("double")):
		h.field = "real"
	default:
		return nil, h, errLine(ErrFormat, name, lr.line, "unsupported Matrix Market field %s: want integer or real", quoteName(f[3]))
	}
	if !bytes.EqualFold(f[4], []byte("general")) {
		return nil, h, errLine(ErrFormat, name, lr.line, "unsupported Matrix Market symmetry %s: want general", quoteName(f[4]))
	}
	// Comments, then the size line.
	for {
		line, err = lr.next()
		if err == io.EOF {
			return nil, h, errLine(ErrFormat, name, lr.line+1, "missing size line")
		}
		if err != nil {
			return nil, h, err
		}
		if len(line) > 0 && line[0] == '%' || len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		break
	}
	h.sizeLine = lr.line
	f = bytes.Fields(line)
	if len(f) != 3 {
		return nil, h, errLine(ErrFormat, name, lr.line, "bad size line %s: want \"genes cells nonzeros\"", quoteName(line))
	}
	var ok1, ok2, ok3 bool
	h.genes, ok1 = parseIndex(f[0])
	h.cells, ok2 = parseIndex(f[1])
	h.nnz, ok3 = parseIndex(f[2])
	if !ok1 || !ok2 || !ok3 {
		return nil, h, errLine(ErrFormat, name, lr.line, "bad size line %s: want three non-negative integers", quoteName(line))
	}
	switch {
	case h.genes > lim.maxDim || h.cells > lim.maxDim:
		return nil, h, errLine(ErrLimit, name, lr.line, "size line declares %d genes × %d cells; the limit is %d per dimension", h.genes, h.cells, lim.maxDim)
	case h.nnz > lim.maxNNZ:
		return nil, h, errLine(ErrLimit, name, lr.line, "size line declares %d nonzeros; the limit is %d", h.nnz, lim.maxNNZ)
	case lim.genes >= 0 && h.genes != lim.genes:
		return nil, h, errLine(ErrMismatch, name, lr.line, "size line declares %d genes but the features file lists %d", h.genes, lim.genes)
	case lim.cells >= 0 && h.cells != lim.cells:
		return nil, h, errLine(ErrMismatch, name, lr.line, "size line declares %d cells but the barcodes file lists %d", h.cells, lim.cells)
	case h.genes == 0 || h.cells == 0 || h.nnz == 0:
		return nil, h, errLine(ErrEmpty, name, lr.line, "size line declares %d genes × %d cells with %d nonzeros", h.genes, h.cells, h.nnz)
	case h.genes*h.cells < h.nnz: // both ≤ 2^31, no overflow
		return nil, h, errLine(ErrMismatch, name, lr.line, "size line declares %d nonzeros, more than %d genes × %d cells", h.nnz, h.genes, h.cells)
	}
	counts := lim.counts || h.field == "integer"
	m := newCOO(int(h.cells), int(h.genes))
	var n int64
	for {
		line, err = lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, h, err
		}
		if len(line) == 0 || line[0] == '%' {
			continue
		}
		if n == h.nnz {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			return nil, h, errLine(ErrMismatch, name, lr.line, "more entries than the %d declared on the size line (line %d)", h.nnz, h.sizeLine)
		}
		if n&(1<<20-1) == 0 && ctx.Err() != nil {
			return nil, h, ctx.Err()
		}
		ti, p := nextToken(line, 0)
		tj, p := nextToken(line, p)
		tv, p := nextToken(line, p)
		if len(ti) == 0 {
			continue // blank line
		}
		if rest, _ := nextToken(line, p); len(rest) != 0 || len(tv) == 0 {
			return nil, h, errLine(ErrFormat, name, lr.line, "want \"gene cell value\", got %s", quoteName(line))
		}
		gi, ok1 := parseIndex(ti)
		cj, ok2 := parseIndex(tj)
		if !ok1 || !ok2 {
			return nil, h, errLine(ErrFormat, name, lr.line, "bad coordinates in %s", quoteName(line))
		}
		if gi < 1 || gi > h.genes || cj < 1 || cj > h.cells {
			return nil, h, errLine(ErrFormat, name, lr.line, "entry (%d, %d) out of range: the size line declares %d genes × %d cells (1-based)", gi, cj, h.genes, h.cells)
		}
		v, ok := parseFloat(tv)
		if !ok {
			return nil, h, errLine(ErrFormat, name, lr.line, "bad value %s", quoteName(tv))
		}
		if msg := checkValue(v, counts); msg != "" {
			return nil, h, errLine(ErrValue, name, lr.line, "%s (gene %d, cell %d)", msg, gi, cj)
		}
		m.add(int32(cj-1), int32(gi-1), float32(v))
		n++
	}
	if n != h.nnz {
		return nil, h, errLine(ErrMismatch, name, lr.line, "file ends after %d entries but the size line (line %d) declares %d", n, h.sizeLine, h.nnz)
	}
	x, dup := m.toCSR()
	if dup != nil {
		return nil, h, errLine(ErrDuplicate, name, 0, "entry (gene %d, cell %d) occurs more than once%s", dup.col+1, dup.row+1, findMTXLines(name, int64(dup.col)+1, int64(dup.row)+1))
	}
	return x, h, nil
}

// findMTXLines rescans a Matrix Market file for the lines holding an entry;
// used only to word a duplicate-entry error.
func findMTXLines(path string, gene, cell int64) string {
	in, err := openText(path, nil)
	if err != nil {
		return ""
	}
	defer in.close()
	var lines []int64
	pastSize := false
	for len(lines) < 2 {
		line, err := in.lr.next()
		if err != nil {
			break
		}
		if len(line) == 0 || line[0] == '%' {
			continue
		}
		if !pastSize {
			pastSize = true
			continue
		}
		ti, p := nextToken(line, 0)
		tj, _ := nextToken(line, p)
		gi, _ := parseIndex(ti)
		cj, _ := parseIndex(tj)
		if gi == gene && cj == cell {
			lines = append(lines, in.lr.line)
		}
	}
	if len(lines) == 2 {
		return " (lines " + itoa(lines[0]) + " and " + itoa(lines[1]) + ")"
	}
	return ""
}
