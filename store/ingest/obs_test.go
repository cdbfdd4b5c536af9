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

// TestObsRejectsSilentDamage: inputs the reader once stored without a word,
// each of which a later query would trip over, are refused naming the line.
func TestObsRejectsSilentDamage(t *testing.T) {
	bc := []string{"AAAC-1", "AAAG-1"}
	for _, c := range []struct{ in, want string }{
		{"barcode,cell_type\n", "obs.csv:1: a header and no rows"},
		{"barcode,cell_type\n\n\n", "obs.csv:1: a header and no rows"},
		{"barcode,cell_type\nAAAC-1,T\nAAAG-1,B\xff\n", `obs.csv:3: column "cell_type": "B\xff" is not UTF-8 text`},
		{"barcode,cell\xfftype\nAAAC-1,T\n", "obs.csv:1: column 2 of the header, \"cell\\xfftype\", is not UTF-8 text"},
	} {
		cols, err := parseObs(memLines("obs.csv", []byte(c.in)), ',', bc)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: cols %+v, err = %v, want ErrFormat naming %q", c.in, cols, err, c.want)
		}
	}
	// What stays accepted: inf among text is a category, inf among numbers
	// a number kept as written, NA and nan are missing numbers, non-ASCII
	// UTF-8 is text.
	cols, err := parseObs(memLines("obs.csv", []byte("barcode,label,n,tissue,score\nAAAC-1,inf,NA,Lüneburg,1.5\nAAAG-1,B,nan,肝,-inf\n")), ',', bc)
	if err != nil || len(cols) != 4 || !cols[0].Categorical || cols[1].Categorical || cols[2].Values[1] != "肝" || cols[3].Categorical || cols[3].Values[1] != "-inf" {
		t.Errorf("accepted table: %+v, %v", cols, err)
	}
}
