package ingest

import (
	"bufio"
	"fmt"
	"genestore/vocab"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// BadInput is one entry of a malformed-input corpus (testdata/bad): reading
// Path with Options must fail with an error that wraps Sentinel, contains
// Expect and names the file.
type BadInput struct {
	Path     string // joined with the corpus folder
	Options  Options
	Expect   string
	Sentinel error
	Note     string
}

// sentinels maps the names used in MANIFEST.tsv to the errors.
var sentinels = map[string]error{
	"ErrFormat": ErrFormat, "ErrDuplicate": ErrDuplicate, "ErrValue": ErrValue,
	"ErrMismatch": ErrMismatch, "ErrEmpty": ErrEmpty, "ErrLimit": ErrLimit,
}

// LoadBadInputs parses dir/MANIFEST.tsv. Its lines are tab-separated:
// path, format, options, expected error text, sentinel name, note; "#"
// starts a comment line and "-" is an empty field. Options are
// comma-separated key=value pairs: values=counts|normalized|log,
// transpose=true, obs=PATH (relative to dir), maxnnz=N, maxdim=N.
func LoadBadInputs(dir string) ([]BadInput, error) {
	name := filepath.Join(dir, "MANIFEST.tsv")
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []BadInput
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cols := strings.Split(text, "\t")
		if len(cols) != 6 {
			return nil, fmt.Errorf("%s:%d: %d columns, want 6", name, line, len(cols))
		}
		in := BadInput{Path: filepath.Join(dir, cols[0]), Expect: cols[3], Note: cols[5]}
		if in.Note == "-" {
			in.Note = ""
		}
		in.Options.Format = cols[1]
		if cols[2] != "-" {
			for _, kv := range strings.Split(cols[2], ",") {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "values":
					in.Options.Values = vocab.ValueType(v)
				case "transpose":
					in.Options.Transpose = v == "true"
				case "obs":
					in.Options.Obs = filepath.Join(dir, v)
				case "maxnnz", "maxdim":
					n, err := strconv.ParseInt(v, 10, 64)
					if err != nil {
						return nil, fmt.Errorf("%s:%d: option %s: %v", name, line, kv, err)
					}
					if k == "maxnnz" {
						in.Options.MaxNNZ = n
					} else {
						in.Options.MaxDim = n
					}
				default:
					return nil, fmt.Errorf("%s:%d: unknown option %q", name, line, kv)
				}
			}
		}
		s, ok := sentinels[cols[4]]
		if !ok {
			return nil, fmt.Errorf("%s:%d: unknown sentinel %q", name, line, cols[4])
		}
		in.Sentinel = s
		out = append(out, in)
	}
	return out, sc.Err()
}
