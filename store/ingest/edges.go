package ingest

import (
	"io"
	"strings"
)

// EdgeRow is one line of a regulatory edge list: regulator → target with an
// optional sign (+1, −1, or 0 when absent).
type EdgeRow struct {
	Regulator, Target string
	Sign              int8
	Line              int64 // 1-based line in the file
}

// ReadEdges reads a regulatory edge list (a prior network for supervised
// training, or a reference network for evaluation): one edge a line,
// `regulator<sep>target[<sep>sign]`, the separator a tab or a comma (the
// first line decides), optionally gzip-compressed. The sign is one of + - 1
// -1 activation repression activates represses (case-insensitive) or empty.
// A first line whose third field is not a sign, or whose first two fields
// are Gene1,Gene2 / regulator,target / source,target / TF,target
// (BEELINE's refNetwork.csv header), is a header and skipped. Empty lines
// and lines starting with '#' are skipped. Self-loops are kept (callers
// decide). A pair listed again is kept once (reference networks such as
// BEELINE's repeat edges); listed with both signs it gets sign 0 (either).
// Empty symbols, extra fields and unknown signs are errors naming the file
// and line.
func ReadEdges(path string) ([]EdgeRow, error) {
	in, err := openText(path, nil)
	if err != nil {
		return nil, err
	}
	defer in.close()
	var (
		out  []EdgeRow
		sep  byte
		seen = map[[2]string]int{} // pair → index in out
	)
	for {
		line, err := in.lr.nextContent(true)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		n := in.lr.line
		f := splitGuessed(line, &sep)
		if len(out) == 0 && len(seen) == 0 && isEdgeHeader(f) {
			continue
		}
		if len(f) < 2 || len(f) > 3 {
			return nil, errLine(ErrFormat, path, n, "%d fields, want regulator, target[, sign]", len(f))
		}
		if f[0] == "" || f[1] == "" {
			return nil, errLine(ErrFormat, path, n, "empty gene symbol")
		}
		r := EdgeRow{Regulator: f[0], Target: f[1], Line: n}
		if len(f) == 3 {
			s, ok := parseSign(f[2])
			if !ok {
				return nil, errLine(ErrFormat, path, n, "sign %q: want +, -, 1, -1, activation or repression", f[2])
			}
			r.Sign = s
		}
		key := [2]string{r.Regulator, r.Target}
		if i, dup := seen[key]; dup {
			if out[i].Sign != r.Sign {
				out[i].Sign = 0
			}
			continue
		}
		seen[key] = len(out)
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, errLine(ErrFormat, path, 0, "no edges")
	}
	return out, nil
}

func isEdgeHeader(f []string) bool {
	if len(f) < 2 {
		return false
	}
	a, b := strings.ToLower(f[0]), strings.ToLower(f[1])
	switch {
	case a == "gene1" && b == "gene2", a == "regulator" && b == "target", a == "source" && b == "target",
		a == "tf" && b == "target", a == "from" && b == "to":
		return true
	}
	if len(f) == 3 {
		_, ok := parseSign(f[2])
		return !ok && strings.EqualFold(f[2], "type") || strings.EqualFold(f[2], "sign")
	}
	return false
}

func parseSign(s string) (int8, bool) {
	switch strings.ToLower(s) {
	case "":
		return 0, true
	case "+", "1", "+1", "activation", "activates", "activator":
		return 1, true
	case "-", "-1", "repression", "represses", "repressor", "inhibition":
		return -1, true
	}
	return 0, false
}
