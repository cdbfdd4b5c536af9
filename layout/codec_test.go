package layout

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func sampleLayout() *Layout {
	return &Layout{Space: "cells", Generation: 7, ModelVersion: "cells-abc", Fitted: 2,
		Params: Params{NNeighbors: 15, MinDist: 0.1, Spread: 1, A: 1.577, B: 0.895, Epochs: 500, NegativeRate: 5,
			LearningRate: 1, Repulsion: 1, Init: InitSpectral, Threads: 1, Seed: 42},
		Keys: []uint64{1<<32 | 0, 1<<32 | 1, 2<<32 | 5}, Coords: []float32{0, 1, 2, 3, -4.5, 5}}
}

func TestCodecRoundTrip(t *testing.T) {
	l := sampleLayout()
	b, err := Encode(l)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := Encode(got)
	if !bytes.Equal(b, b2) {
		t.Fatal("encode(decode(b)) != b")
	}
	if got.Params != l.Params || got.Space != l.Space || got.ModelVersion != l.ModelVersion || got.Generation != 7 || got.Index(2<<32|5) != 2 || got.Index(3) != -1 {
		t.Fatalf("round trip: %+v", got)
	}
}

func TestDecodeRejects(t *testing.T) {
	good, _ := Encode(sampleLayout())
	flip := bytes.Clone(good)
	flip[20] ^= 1
	ver := bytes.Clone(good)
	ver[4] = 9
	unsorted := sampleLayout()
	unsorted.Keys[1], unsorted.Keys[2] = unsorted.Keys[2], unsorted.Keys[1]
	nan := sampleLayout()
	nan.Coords[3] = float32(math.NaN())
	for name, b := range map[string][]byte{
		"empty": nil, "magic": []byte("GLAX\x01xxxxxxxxxxxx"), "version": ver, "bit flip": flip,
		"truncated": good[:len(good)-9], "trailing": append(bytes.Clone(good), 0),
	} {
		if _, err := Decode(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, l := range map[string]*Layout{"unsorted": unsorted, "nan": nan} {
		if _, err := Encode(l); !errors.Is(err, ErrCorrupt) {
			t.Errorf("encode %s: %v", name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := Encode(sampleLayout())
	f.Add(good)
	f.Add(good[:30])
	f.Add([]byte("GLAY\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error not ErrCorrupt: %v", err)
			}
			return
		}
		b2, err := Encode(l)
		if err != nil {
			t.Fatalf("decoded layout does not encode: %v", err)
		}
		if !bytes.Equal(b, b2) {
			t.Fatal("decode→encode changed the bytes")
		}
	})
}
