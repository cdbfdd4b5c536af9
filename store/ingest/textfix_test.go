package ingest

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestBOMInBarcodesAndFeatures: a UTF-8 byte order mark before the first
// barcode or feature is not part of it, as for obs.csv (issue 16 §4).
func TestBOMInBarcodesAndFeatures(t *testing.T) {
	for _, gzipped := range []bool{false, true} {
		dir := t.TempDir()
		m := tinyMTX()
		m.gzipped = gzipped
		m.barcodes = append([]byte("\xef\xbb\xbf"), m.barcodes...)
		m.features = append([]byte("\xef\xbb\xbf"), m.features...)
		m.obs = []byte("\xef\xbb\xbfbarcode,cell_type\nAAAC-1,T\n")
		m.write(t, dir)
		ds, err := Read(context.Background(), dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if ds.Barcodes[0] != "AAAC-1" || ds.Genes[0].ID != "ENSG1" || ds.Column("cell_type").Values[0] != "T" {
			t.Errorf("gzip %v: first barcode %q, first gene %+v", gzipped, ds.Barcodes[0], ds.Genes[0])
		}
	}
}

// TestObsQuotedLineBreaks: a quoted obs field may hold line breaks and
// delimiters (RFC 4180); errors after it name the right line.
func TestObsQuotedLineBreaks(t *testing.T) {
	dir := t.TempDir()
	m := tinyMTX()
	m.obs = []byte("barcode,note,n\r\nAAAC-1,\"two\nlines, one \"\"quote\"\"\",4\nAAAG-1,\"\",5\n\nAACA-1,\"a\n\nb\",6\n")
	m.write(t, dir)
	ds, err := Read(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	note, n := ds.Column("note"), ds.Column("n")
	if got := note.Values[0]; got != "two\nlines, one \"quote\"" {
		t.Errorf("AAAC-1 note %q", got)
	}
	if note.Values[3] != "a\n\nb" || n.Values[3] != "6" || n.Values[1] != "5" || n.Categorical {
		t.Errorf("notes %q, n %q", note.Values, n.Values)
	}
	m.obs = []byte("barcode,note\nAAAC-1,\"a\nb\"\nZZZZ-1,x\n")
	dir = t.TempDir()
	m.write(t, dir)
	if _, err := Read(context.Background(), dir, Options{}); err == nil || !contains(err.Error(), "obs.csv:4: unknown barcode") {
		t.Errorf("error after a two-line record: %v", err)
	}
}

// TestCountsAbove2p24: counts float32 holds exactly are stored exactly;
// others are refused naming the file and line, never rounded (issue 16 §4).
func TestCountsAbove2p24(t *testing.T) {
	for _, tc := range []struct {
		v  string
		ok bool
	}{{"16777216", true}, {"16777218", true}, {"33554436", true}, {"16777217", false}, {"33554433", false}} {
		dir := t.TempDir()
		m := tinyMTX()
		m.matrix = mtxText("integer", "5 4 8", entriesWith(0, "1 1 "+tc.v)...)
		m.write(t, dir)
		ds, err := Read(context.Background(), dir, Options{})
		if !tc.ok {
			if err == nil || !contains(err.Error(), filepath.Join(dir, "matrix.mtx.gz")+":4: integer value "+tc.v+" is above 2^24") {
				t.Errorf("%s: %v", tc.v, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := ds.X.Data[0]; float64(got) != mustFloat(tc.v) {
			t.Errorf("%s stored as %.0f", tc.v, got)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func mustFloat(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	return v
}
