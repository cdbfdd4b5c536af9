package expr

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/small.model")

// smallModel fits a tiny model (12 landmarks, 5 targets, MLP 8 units).
func smallModel(t testing.TB) *Model {
	t.Helper()
	data := simData(7, 2, 60, 12, 5, 3)
	o := DefaultOptions()
	o.Landmarks = simLandmarks(12)
	o.Hidden = []int{8}
	o.Epochs = 5
	o.KNNKs = []int{1, 3}
	o.KNNDims = 4
	o.Threads = 1
	m, err := Fit(context.Background(), data, o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func predictAll(t testing.TB, m *Model, q *Dataset, k Kind) []float32 {
	t.Helper()
	var out []float32
	if _, err := m.Predict(context.Background(), q, PredictOptions{Model: k, BlockRows: 7}, func(_, _ int, v []float32) error {
		out = append(out, v...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCodecRoundTrip(t *testing.T) {
	m := smallModel(t)
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var m2 Model
	if err := m2.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	b2, err := m2.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Fatal("encode → decode → encode changed the bytes")
	}
	q := simData(8, 1, 30, 12, 5, 3)[0]
	for k := range Kind(NumKinds) {
		a, c := predictAll(t, m, &q, k), predictAll(t, &m2, &q, k)
		if len(a) != 30*5 || len(a) != len(c) {
			t.Fatalf("%v: %d and %d values", k, len(a), len(c))
		}
		for i := range a {
			if a[i] != c[i] {
				t.Fatalf("%v: value %d: %v before, %v after the round trip", k, i, a[i], c[i])
			}
		}
	}
	if b[8] != FormatVersion || FormatVersion != 1 {
		t.Fatalf("version byte %d, FormatVersion %d: a new version needs a decoder case", b[8], FormatVersion)
	}
	// Every single-byte corruption is refused (the checksum covers all).
	for i := 0; i < len(b); i += 97 {
		c := append([]byte(nil), b...)
		c[i] ^= 0x40
		if err := new(Model).UnmarshalBinary(c); err == nil {
			t.Fatalf("corrupt byte %d accepted", i)
		}
	}
	if *update {
		if err := os.WriteFile(filepath.Join("testdata", "small.model"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "small.model"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte(codecMagic))
	q := simData(8, 1, 5, 12, 5, 3)[0]
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeAndUse(t, b, &q)
		// Again with a valid checksum, so that the fuzzer reaches the
		// size checks and the decoded values behind it.
		if len(b) >= 4 {
			c := append([]byte(nil), b...)
			binary.LittleEndian.PutUint32(c[len(c)-4:], crc32.Checksum(c[:len(c)-4], castagnoli))
			decodeAndUse(t, c, &q)
		}
	})
}

func decodeAndUse(t *testing.T, b []byte, q *Dataset) {
	var m Model
	if err := m.UnmarshalBinary(b); err != nil {
		return
	}
	b2, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var m2 Model
	if err := m2.UnmarshalBinary(b2); err != nil {
		t.Fatalf("re-encoded model refused: %v", err)
	}
	// A decoded model must predict without panicking.
	_, _ = m.Predict(context.Background(), q, PredictOptions{}, func(_, _ int, _ []float32) error { return nil })
}
