package ingest

import (
	"io"
	"strings"
)

// ReadSymbols reads a gene list: one gene a line, the symbol in the first
// tab- or comma-separated field (so a TSV whose first column is the symbol
// works too), optionally gzip-compressed. A first line whose first field is
// symbol, gene, gene_symbol or pr_gene_symbol (any case) is a header.
// Empty lines and lines starting with '#' are skipped; a symbol listed
// twice is kept once. An empty list is an error naming the file.
func ReadSymbols(path string) ([]string, error) {
	in, err := openText(path, nil)
	if err != nil {
		return nil, err
	}
	defer in.close()
	var out []string
	seen := map[string]bool{}
	first := true
	for {
		line, err := in.lr.nextContent(true)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		f := string(line)
		if i := strings.IndexAny(f, "\t,"); i >= 0 {
			f = f[:i]
		}
		f = strings.TrimSpace(f)
		if first {
			first = false
			switch strings.ToLower(f) {
			case "symbol", "gene", "gene_symbol", "pr_gene_symbol", "genes", "tf":
				continue
			}
		}
		if f == "" {
			return nil, errLine(ErrFormat, path, in.lr.line, "empty gene symbol")
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, errLine(ErrFormat, path, 0, "no genes")
	}
	return out, nil
}
