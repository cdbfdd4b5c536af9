package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"genestore/vocab"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		errs int
	}{
		{"zero", Options{}, 0},
		{"default", DefaultOptions(), 0},
		{"all formats", Options{Format: FormatTenxH5, Values: vocab.Log, Delimiter: '\t'}, 0},
		{"bad format", Options{Format: "xlsx"}, 1},
		{"everything wrong", Options{Format: "x", Values: "tpm", Delimiter: 'x', MaxNNZ: -1, MaxDim: -1}, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.opts.Validate()
			n := 0
			if err != nil {
				n = strings.Count(err.Error(), "\n") + 1
				if !errors.Is(err, ErrOptions) {
					t.Errorf("%v does not wrap ErrOptions", err)
				}
			}
			if n != c.errs {
				t.Errorf("%d problems reported (%v), want %d", n, err, c.errs)
			}
		})
	}
	if _, err := Read(context.Background(), ".", Options{Format: "xlsx"}); !errors.Is(err, ErrOptions) {
		t.Errorf("Read with bad options: %v", err)
	}
}

func TestSHA256(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "testdata", "ingest")
	sum := func(paths ...string) string {
		h := sha256.New()
		for _, p := range paths {
			b, err := os.ReadFile(filepath.Join(dir, p))
			if err != nil {
				t.Fatal(err)
			}
			h.Write(b)
		}
		return hex.EncodeToString(h.Sum(nil))
	}
	cases := []struct {
		path  string
		opts  Options
		files []string
	}{
		{"tiny_csr.h5ad", Options{}, []string{"tiny_csr.h5ad"}},
		{"tiny_genes_by_cells.csv", Options{}, []string{"tiny_genes_by_cells.csv"}},
		{"tiny_v3.h5", Options{Obs: filepath.Join(dir, "tiny_obs.csv")}, []string{"tiny_v3.h5", "tiny_obs.csv"}},
		{"tiny_v3", Options{}, []string{"tiny_v3/barcodes.tsv.gz", "tiny_v3/features.tsv.gz", "tiny_v3/matrix.mtx.gz", "tiny_v3/obs.csv"}},
	}
	for _, c := range cases {
		ds, err := Read(context.Background(), filepath.Join(dir, c.path), c.opts)
		if err != nil {
			t.Fatal(err)
		}
		if want := sum(c.files...); ds.SHA256 != want {
			t.Errorf("%s: SHA256 %s, want %s", c.path, ds.SHA256, want)
		}
	}
}

func TestReadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Read(ctx, filepath.Join(repoRoot(t), "testdata", "ingest", "tiny_v3"), Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestDetectFormat(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.xlsx", "b.h5ad"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		path, format, want string
	}{
		{"a.xlsx", "", "cannot detect the format"},
		{"missing.csv", "", "no such file"},
		{".", "", "no matrix.mtx"},
		{".", FormatH5AD, "wants a file"},
		{"b.h5ad", FormatMTX, "wants a folder"},
	}
	for _, c := range cases {
		_, err := Read(context.Background(), filepath.Join(dir, c.path), Options{Format: c.format})
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s (%s): err = %v, want ErrFormat containing %q", c.path, c.format, err, c.want)
		}
	}
}

// TestValuesInference checks the value-type rules on real and integer mtx
// fields and declared types.
func TestValuesInference(t *testing.T) {
	cases := []struct {
		field, entry string
		declared     vocab.ValueType
		want         vocab.ValueType
		wantErr      error
	}{
		{"integer", "1 1 3", "", vocab.Counts, nil},
		{"real", "1 1 3", "", vocab.Normalized, nil},
		{"real", "1 1 3.5", "", vocab.Normalized, nil},
		{"real", "1 1 3.5", vocab.Log, vocab.Log, nil},
		{"real", "1 1 3", vocab.Counts, vocab.Counts, nil},
		{"real", "1 1 3.5", vocab.Counts, "", ErrValue},
		{"integer", "1 1 3", vocab.Normalized, vocab.Normalized, nil},
		{"integer", "1 1 3.5", vocab.Normalized, "", ErrValue},
	}
	for _, c := range cases {
		dir := t.TempDir()
		m := mtxDir{matrix: mtxText(c.field, "1 1 1", c.entry), features: []byte("G1\tA\n"), barcodes: []byte("C1\n")}
		m.write(t, dir)
		ds, err := Read(context.Background(), dir, Options{Values: c.declared})
		if c.wantErr != nil {
			if !errors.Is(err, c.wantErr) {
				t.Errorf("%s %q declared %q: err = %v, want %v", c.field, c.entry, c.declared, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q declared %q: %v", c.field, c.entry, c.declared, err)
			continue
		}
		if ds.Values != c.want {
			t.Errorf("%s %q declared %q: values %s, want %s", c.field, c.entry, c.declared, ds.Values, c.want)
		}
	}
}

func TestSplitFields(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		ok   bool
	}{
		{"a,b,c", []string{"a", "b", "c"}, true},
		{"a,,c,", []string{"a", "", "c", ""}, true},
		{`"a,b",c`, []string{"a,b", "c"}, true},
		{`"say ""hi""",x`, []string{`say "hi"`, "x"}, true},
		{`a,""`, []string{"a", ""}, true},
		{`"open,x`, nil, false},
		{`"a"b,c`, nil, false},
	}
	for _, c := range cases {
		got, ok := splitFields(nil, []byte(c.in), ',')
		if ok != c.ok {
			t.Errorf("%q: ok %v, want %v", c.in, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
			continue
		}
		for i := range got {
			if string(got[i]) != c.want[i] {
				t.Errorf("%q: field %d = %q, want %q", c.in, i, got[i], c.want[i])
			}
		}
	}
}

func TestParseFloatMatchesStrconv(t *testing.T) {
	for _, s := range []string{"0", "1", "-0", "3.25", "34.63544", "0.1", "123456789012345", "1234567890123456789",
		"1e5", "2.5E-3", ".5", "5.", "nan", "Inf", "-inf", "1e400", "0.000000000000000000000001", "abc", "", "-", "1.2.3", "+7"} {
		got, ok := parseFloat([]byte(s))
		want, err := parseFloatRef(s)
		if ok != (err == nil) || (ok && got != want && !(got != got && want != want)) {
			t.Errorf("parseFloat(%q) = %v, %v; strconv says %v, %v", s, got, ok, want, err)
		}
	}
}

func TestProgress(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "testdata", "ingest")
	for _, p := range []string{"tiny_v3", "tiny_genes_by_cells.csv", "tiny_csr.h5ad"} {
		var calls int
		var last, total int64
		_, err := Read(context.Background(), filepath.Join(dir, p), Options{Progress: func(done, tot int64) {
			calls++
			last, total = done, tot
		}})
		if err != nil {
			t.Fatal(err)
		}
		if calls == 0 || last != total || total == 0 {
			t.Errorf("%s: %d calls, last %d of %d; want a final call with done == total > 0", p, calls, last, total)
		}
	}
}

// TestFeaturesNUL: a NUL byte in features.tsv is refused naming the file
// and line (it reached the store, whose error named neither).
func TestFeaturesNUL(t *testing.T) {
	dir := t.TempDir()
	m := tinyMTX()
	m.features = featuresText(tinyIDs, []string{tinySymbols[0], "Gene\x00B", tinySymbols[2], tinySymbols[3], tinySymbols[4]}, true)
	m.write(t, dir)
	_, err := Read(context.Background(), dir, DefaultOptions())
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "features.tsv") || !strings.Contains(err.Error(), ":2: NUL byte") {
		t.Errorf("NUL in a feature name: %v", err)
	}
}
