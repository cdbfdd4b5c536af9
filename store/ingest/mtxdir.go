package ingest

import (
	"bytes"
	"context"
	"genestore/vocab"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// findFirst returns the first of names that exists in dir, or "".
func findFirst(dir string, names ...string) string {
	for _, n := range names {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// findOne returns the one of names that exists in dir, "" when none does,
// and an error naming them when several do: matrix.mtx beside
// matrix.mtx.gz, or features.tsv beside genes.tsv, may be two versions of
// the data, and picking one silently could pair a matrix with the wrong
// genes.
func findOne(dir, what string, names ...string) (string, error) {
	var found []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return filepath.Join(dir, found[0]), nil
	}
	return "", errLine(ErrFormat, dir, 0, "both %s in the folder: which is the %s? keep one",
		strings.Join(found, " and "), what)
}

// geneExpression is the 10x feature type genestore keeps.
const geneExpression = "Gene Expression"

// readFeatures reads a 10x features.tsv (id, symbol, type) or genes.tsv
// (id, symbol). A single column is both id and symbol; every line has the
// first line's number of columns. It returns the genes
// and each one's feature type ("" when the file has no type column).
func readFeatures(path string, h hash.Hash) ([]Gene, []string, error) {
	in, err := openText(path, h)
	if err != nil {
		return nil, nil, err
	}
	defer in.close()
	var genes []Gene
	var types []string
	seen := make(map[string]int64)
	var fields [][]byte
	ncol, firstCols := -1, 0 // columns used (at most 3), columns of the first line
	var emptyAt int64        // an empty line is allowed only at the end
	for {
		line, err := in.lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if len(line) == 0 {
			if emptyAt == 0 {
				emptyAt = in.lr.line
			}
			continue
		}
		if emptyAt != 0 {
			return nil, nil, errLine(ErrFormat, path, emptyAt, "empty line")
		}
		line = trimBOM(line, in.lr.line)
		if bytes.IndexByte(line, 0) >= 0 {
			return nil, nil, errLine(ErrFormat, path, in.lr.line, "NUL byte in a feature id or name")
		}
		var ok bool
		if fields, ok = splitFields(fields[:0], line, '\t'); !ok {
			return nil, nil, errLine(ErrFormat, path, in.lr.line, "a quote that does not close, or text after a closing quote")
		}
		if ncol < 0 {
			firstCols = len(fields)
			ncol = min(firstCols, 3)
		}
		if len(fields) != firstCols {
			return nil, nil, errLine(ErrFormat, path, in.lr.line, "%d columns, the first line has %d", len(fields), firstCols)
		}
		g := Gene{ID: string(fields[0])}
		g.Symbol = g.ID
		if ncol >= 2 {
			g.Symbol = string(fields[1])
		}
		if g.ID == "" {
			return nil, nil, errLine(ErrFormat, path, in.lr.line, "empty feature id")
		}
		if prev, dup := seen[g.ID]; dup {
			return nil, nil, errLine(ErrDuplicate, path, in.lr.line, "feature id %q already on line %d", g.ID, prev)
		}
		seen[g.ID] = in.lr.line
		genes = append(genes, g)
		if ncol >= 3 {
			types = append(types, string(fields[2]))
		} else {
			types = append(types, "")
		}
	}
	if err := in.finish(); err != nil {
		return nil, nil, err
	}
	return genes, types, nil
}

// readBarcodes reads a barcodes.tsv: one barcode per line (the first
// tab-separated column when there are several). Barcodes must be unique.
func readBarcodes(path string, h hash.Hash) ([]string, error) {
	in, err := openText(path, h)
	if err != nil {
		return nil, err
	}
	defer in.close()
	var out []string
	seen := make(map[string]int64)
	var fields [][]byte
	var emptyAt int64
	for {
		line, err := in.lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			if emptyAt == 0 {
				emptyAt = in.lr.line
			}
			continue
		}
		if emptyAt != 0 {
			return nil, errLine(ErrFormat, path, emptyAt, "empty line")
		}
		line = trimBOM(line, in.lr.line)
		var ok bool
		if fields, ok = splitFields(fields[:0], line, '\t'); !ok {
			return nil, errLine(ErrFormat, path, in.lr.line, "a quote that does not close, or text after a closing quote")
		}
		b := string(fields[0])
		if b == "" {
			return nil, errLine(ErrFormat, path, in.lr.line, "empty barcode")
		}
		if prev, dup := seen[b]; dup {
			return nil, errLine(ErrDuplicate, path, in.lr.line, "barcode %q already on line %d", b, prev)
		}
		seen[b] = in.lr.line
		out = append(out, b)
	}
	if err := in.finish(); err != nil {
		return nil, err
	}
	return out, nil
}

// keepGeneExpression returns the columns to keep: those of type "Gene
// Expression" when the file has types and at least one such feature, else
// nil (keep all).
func keepGeneExpression(types []string) []int {
	any, all := false, true
	for _, t := range types {
		if t == geneExpression {
			any = true
		} else {
			all = false
		}
	}
	if !any || all {
		return nil
	}
	keep := make([]int, 0, len(types))
	for i, t := range types {
		if t == geneExpression {
			keep = append(keep, i)
		}
	}
	return keep
}

// mtxFiles are the parts of a 10x Matrix Market folder.
type mtxFiles struct {
	matrix, features, barcodes, obs string
}

func findMTXFiles(dir string) (mtxFiles, error) {
	var f mtxFiles
	var errs [4]error
	f.matrix, errs[0] = findOne(dir, "matrix", "matrix.mtx.gz", "matrix.mtx")
	f.features, errs[1] = findOne(dir, "features file", "features.tsv.gz", "features.tsv", "genes.tsv.gz", "genes.tsv")
	f.barcodes, errs[2] = findOne(dir, "barcodes file", "barcodes.tsv.gz", "barcodes.tsv")
	f.obs, errs[3] = findOne(dir, "obs file", "obs.csv", "obs.csv.gz", "obs.tsv", "obs.tsv.gz")
	for _, err := range errs {
		if err != nil {
			return f, err
		}
	}
	switch {
	case f.matrix == "":
		return f, errLine(ErrFormat, dir, 0, "no matrix.mtx or matrix.mtx.gz in the folder")
	case f.features == "":
		return f, errLine(ErrFormat, dir, 0, "no features.tsv[.gz] or genes.tsv[.gz] in the folder")
	case f.barcodes == "":
		return f, errLine(ErrFormat, dir, 0, "no barcodes.tsv[.gz] in the folder")
	}
	return f, nil
}

// readMTXDir reads a 10x Matrix Market folder. Hash order: barcodes,
// features, matrix (the obs file, if any, is hashed by Read afterwards).
func readMTXDir(ctx context.Context, dir string, opts Options, h hash.Hash) (*Dataset, error) {
	files, err := findMTXFiles(dir)
	if err != nil {
		return nil, err
	}
	barcodes, err := readBarcodes(files.barcodes, h)
	if err != nil {
		return nil, err
	}
	genes, types, err := readFeatures(files.features, h)
	if err != nil {
		return nil, err
	}
	in, err := openTextProgress(files.matrix, h, opts.Progress)
	if err != nil {
		return nil, err
	}
	defer in.close()
	x, hdr, err := parseMTX(ctx, &in.lr, mtxLimits{
		genes: int64(len(genes)), cells: int64(len(barcodes)),
		maxNNZ: opts.MaxNNZ, maxDim: opts.MaxDim, counts: opts.Values == vocab.Counts,
	})
	if err != nil {
		return nil, err
	}
	if err := in.finish(); err != nil {
		return nil, err
	}
	if keep := keepGeneExpression(types); keep != nil {
		x = x.SelectCols(keep)
		kept := make([]Gene, len(keep))
		for i, k := range keep {
			kept[i] = genes[k]
		}
		genes = kept
	}
	values := opts.Values
	if values == "" {
		values = vocab.Normalized
		if hdr.field == "integer" {
			values = vocab.Counts
		}
	}
	ds := &Dataset{Format: FormatMTX, Source: dir, Values: values, X: x, Genes: genes, Barcodes: barcodes}
	return ds, nil
}
