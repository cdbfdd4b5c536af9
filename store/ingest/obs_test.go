package ingest

import (
	"errors"
	"strings"
	"testing"
)

// TestObsHeaderNames: a metadata column must have a name without control
// characters (a trailing delimiter made a column named "" that failed later
// without the file name); the barcode column may be unnamed, as pandas
// writes its index.
func TestObsHeaderNames(t *testing.T) {
	bc := []string{"AAAC-1", "AAAG-1"}
	for _, c := range []struct{ in, want string }{
		{"barcode,cell_type,\nAAAC-1,T,\n", "obs.csv:1: column 3 of the header has an empty name"},
		{"barcode,,cell_type\nAAAC-1,x,T\n", "obs.csv:1: column 2 of the header has an empty name"},
		{"\n\nbarcode,cell\x01type\nAAAC-1,T\n", "obs.csv:3: column 2 of the header, \"cell\\x01type\", contains a control character"},
		{"barcode,\"cell\ntype\"\nAAAC-1,T\n", "obs.csv:1: column 2 of the header"},
	} {
		cols, err := parseObs(memLines("obs.csv", []byte(c.in)), ',', bc)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: cols %+v, err = %v, want ErrFormat naming %q", c.in, cols, err, c.want)
		}
	}
	cols, err := parseObs(memLines("obs.csv", []byte(",cell_type\nAAAC-1,T\n")), ',', bc)
	if err != nil || len(cols) != 1 || cols[0].Name != "cell_type" || cols[0].Values[0] != "T" {
		t.Errorf("pandas-style unnamed index: %+v, %v", cols, err)
	}
}
