package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeTemp(t testing.TB, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadEdges(t *testing.T) {
	tests := []struct {
		name, body string
		want       []EdgeRow
		err        string
	}{
		{"beeline", "Gene1,Gene2,Type\nWT1,SOX9,+\nFOG2,SRY,-\n", []EdgeRow{{"WT1", "SOX9", 1, 2}, {"FOG2", "SRY", -1, 3}}, ""},
		{"tsv no header no sign", "\xef\xbb\xbfTF1\tG1\n# comment\n\nTF1\tG2\n", []EdgeRow{{"TF1", "G1", 0, 1}, {"TF1", "G2", 0, 4}}, ""},
		{"header regulator", "regulator\ttarget\tsign\nA\tB\trepression\n", []EdgeRow{{"A", "B", -1, 2}}, ""},
		{"bad sign", "A,B,maybe\nA,C,+\n", nil, ":1: sign \"maybe\""},
		{"repeats merge", "A,B,+\nC,D,-\nA,B,+\nC,D,+\n", []EdgeRow{{"A", "B", 1, 1}, {"C", "D", 0, 2}}, ""},
		{"fields", "A,B\nA\n", nil, ":2: 1 fields"},
		{"empty symbol", "A,B\n,C\n", nil, ":2: empty gene symbol"},
		{"empty file", "Gene1,Gene2\n", nil, "no edges"},
	}
	for _, tt := range tests {
		p := writeTemp(t, "e.csv", tt.body)
		got, err := ReadEdges(p)
		if tt.err != "" {
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), p) {
				t.Errorf("%s: err = %v, want ErrFormat naming %s and %q", tt.name, err, p, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
}

func FuzzReadEdges(f *testing.F) {
	f.Add([]byte("Gene1,Gene2,Type\nWT1,SOX9,+\n"))
	f.Add([]byte("A\tB\t-1\nC\tD\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "e")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		rows, err := ReadEdges(p)
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.Regulator == "" || r.Target == "" || r.Sign < -1 || r.Sign > 1 || r.Line < 1 {
				t.Fatalf("bad row %+v", r)
			}
		}
	})
}

func TestReadSymbols(t *testing.T) {
	p := writeTemp(t, "s.tsv", "symbol\tentrez\nSOX2\t6657\n\n# x\nPOU5F1\t5460\nSOX2\t6657\n")
	got, err := ReadSymbols(p)
	if err != nil || !reflect.DeepEqual(got, []string{"SOX2", "POU5F1"}) {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := ReadSymbols(writeTemp(t, "e.txt", "\n# only\n")); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "no genes") {
		t.Fatalf("empty list: %v", err)
	}
}
