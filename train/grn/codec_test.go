package grn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/model_v1.bin")

// tinyModel is the model behind testdata/model_v1.bin.
func tinyModel() *Model {
	hp := hyper{Bins: 8, Conv1: 2, Conv2: 2, Hidden: 4, Embed: 3, Head: 2, Neighbours: 1, Views: 2, Genes: 5}
	return newModel(hp, rand.New(rand.NewPCG(1, 2)))
}

func TestCodecRoundTrip(t *testing.T) {
	for _, hp := range []hyper{tinyModel().hp, smallHyper(3, true)} {
		m := newModel(hp, rand.New(rand.NewPCG(3, 4)))
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var d Model
		if err := d.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if d.hp != m.hp {
			t.Fatalf("header %+v, want %+v", d.hp, m.hp)
		}
		b2, _ := d.MarshalBinary()
		if !bytes.Equal(b, b2) {
			t.Fatal("re-encoding differs")
		}
	}
}

func TestCodecGolden(t *testing.T) {
	path := filepath.Join("testdata", "model_v1.bin")
	want, err := tinyModel().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("version 1 encoding changed: a new layout needs a new version (and -update)")
	}
	if CodecVersion != 1 {
		t.Fatalf("CodecVersion %d: add a golden file for it and keep reading version 1", CodecVersion)
	}
}

func TestCodecCorrupt(t *testing.T) {
	b, _ := tinyModel().MarshalBinary()
	cases := map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("XXXXXXXX"), b[8:]...),
		"version":   append(append(append([]byte(nil), b[:8]...), 2), b[9:]...),
		"truncated": b[:len(b)-5],
		"bit flip":  func() []byte { c := bytes.Clone(b); c[20] ^= 1; return c }(),
	}
	for name, c := range cases {
		var m Model
		if err := m.UnmarshalBinary(c); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err %v, want ErrFormat", name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "model_v1.bin"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:20])
	f.Fuzz(func(t *testing.T, data []byte) {
		// Also decode the input with a valid checksum, so the fuzzer
		// reaches the header and shape checks behind the CRC.
		if len(data) >= 4 {
			fixed := bytes.Clone(data)
			binary.LittleEndian.PutUint32(fixed[len(fixed)-4:], crc32.Checksum(fixed[:len(fixed)-4], castagnoli))
			var m Model
			if err := m.UnmarshalBinary(fixed); err != nil && !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
		}
		var m Model
		if err := m.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		// decode → encode → decode gives the same bytes.
		e, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var m2 Model
		if err := m2.UnmarshalBinary(e); err != nil {
			t.Fatal(err)
		}
		e2, _ := m2.MarshalBinary()
		if !bytes.Equal(e, e2) {
			t.Fatal("round trip differs")
		}
	})
}
