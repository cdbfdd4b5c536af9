package annot

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseGMTGood(t *testing.T) {
	f, err := os.Open("testdata/good.gmt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ParseGMT(f, "good.gmt")
	if err != nil {
		t.Fatal(err)
	}
	want := []GeneSet{
		{ID: "T1", Name: "first set", Genes: []string{"A", "B", "C"}},
		{ID: "T2", Name: "second set", Genes: []string{"C", "D"}},
		{ID: "T3", Name: "", Genes: []string{"E"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestParseGAFGood(t *testing.T) {
	cases := []struct {
		aspects string
		want    []GeneSet
	}{
		{"", []GeneSet{
			{ID: "GO:0003677", Genes: []string{"TP53"}},
			{ID: "GO:0005634", Genes: []string{"TP53"}},
			{ID: "GO:0006915", Genes: []string{"BAX", "TP53"}}, // MYC is NOT
		}},
		{"P", []GeneSet{{ID: "GO:0006915", Genes: []string{"BAX", "TP53"}}}},
		{"FC", []GeneSet{{ID: "GO:0003677", Genes: []string{"TP53"}}, {ID: "GO:0005634", Genes: []string{"TP53"}}}},
	}
	for _, c := range cases {
		f, err := os.Open("testdata/good.gaf")
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseGAF(f, "good.gaf", GAFOptions{Aspects: c.aspects})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("aspects %q: got %+v\nwant %+v", c.aspects, got, c.want)
		}
	}
	if _, err := ParseGAF(strings.NewReader(""), "x", GAFOptions{Aspects: "Q"}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("bad aspect option: %v", err)
	}
}

func TestBadFiles(t *testing.T) {
	m, err := os.Open("testdata/bad/MANIFEST.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	sc := bufio.NewScanner(m)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		name, want, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("manifest line %q", line)
		}
		n++
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata/bad", name))
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(name, ".gmt") {
				_, err = ParseGMT(bytes.NewReader(data), name)
			} else {
				_, err = ParseGAF(bytes.NewReader(data), name, GAFOptions{})
			}
			if !errors.Is(err, ErrParse) || !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v, want ErrParse containing %q", err, want)
			}
		})
	}
	if n < 8 {
		t.Errorf("manifest lists %d files", n)
	}
}

func TestWriteGMTRoundTrip(t *testing.T) {
	sets := []GeneSet{{ID: "A", Name: "x y", Genes: []string{"G1", "G2"}}, {ID: "B", Genes: []string{"G3"}}}
	var buf bytes.Buffer
	if err := WriteGMT(&buf, sets); err != nil {
		t.Fatal(err)
	}
	got, err := ParseGMT(&buf, "rt")
	if err != nil || !reflect.DeepEqual(got, sets) {
		t.Errorf("round trip: %+v, %v", got, err)
	}
	if err := WriteGMT(&buf, []GeneSet{{ID: "a\tb", Genes: []string{"x"}}}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("tab in ID: %v", err)
	}
}

func FuzzParseGMT(f *testing.F) {
	for _, p := range []string{"testdata/good.gmt", "testdata/bad/too_few_fields.gmt", "testdata/bad/duplicate_id.gmt", "testdata/bad/empty_id.gmt"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sets, err := ParseGMT(bytes.NewReader(data), "fuzz.gmt")
		if err != nil {
			if !errors.Is(err, ErrParse) {
				t.Fatalf("error does not wrap ErrParse: %v", err)
			}
			return
		}
		for _, s := range sets {
			if s.ID == "" || len(s.Genes) == 0 {
				t.Fatalf("empty set %+v", s)
			}
		}
		var buf bytes.Buffer
		if err := WriteGMT(&buf, sets); err != nil {
			t.Fatalf("write: %v", err)
		}
		again, err := ParseGMT(&buf, "again.gmt")
		if err != nil {
			t.Fatalf("reparse: %v", err)
		}
		if len(sets) == 0 && len(again) == 0 {
			return
		}
		if !reflect.DeepEqual(sets, again) {
			t.Fatalf("round trip differs:\n%q\n%q", sets, again)
		}
	})
}

func FuzzParseGAF(f *testing.F) {
	for _, p := range []string{"testdata/good.gaf", "testdata/bad/short_line.gaf", "testdata/bad/bad_aspect.gaf"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, "")
			f.Add(b, "P")
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, aspects string) {
		sets, err := ParseGAF(bytes.NewReader(data), "fuzz.gaf", GAFOptions{Aspects: aspects})
		if err != nil {
			if !errors.Is(err, ErrParse) && !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		for i, s := range sets {
			if !strings.HasPrefix(s.ID, "GO:") || len(s.Genes) == 0 {
				t.Fatalf("bad set %+v", s)
			}
			if i > 0 && sets[i-1].ID >= s.ID {
				t.Fatalf("sets not sorted: %q then %q", sets[i-1].ID, s.ID)
			}
			for j := 1; j < len(s.Genes); j++ {
				if s.Genes[j-1] >= s.Genes[j] {
					t.Fatalf("genes not sorted and unique: %q", s.Genes)
				}
			}
		}
	})
}
