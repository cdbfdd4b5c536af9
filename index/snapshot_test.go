package index

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// snapshot returns the bytes of ix's snapshot.
func snapshot(t testing.TB, ix *Index) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := ix.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo = %d, %v; wrote %d", n, err, buf.Len())
	}
	return buf.Bytes()
}

// smallIndex is a graph with upper layers, tombstones and a re-added key.
func smallIndex(t testing.TB, n int) *Index {
	t.Helper()
	base, _ := split(21, n, 0, 8)
	ix := build(t, 8, Options{Seed: 7, M: 4, EfConstruction: 16, ExactBelow: -1}, base)
	for k := uint64(0); k < uint64(n); k += 7 {
		if err := ix.Delete(k); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Add(0, base[8:16]); err != nil {
		t.Fatal(err)
	}
	ix.SetGeneration(42)
	return ix
}

// onlyReader hides bytes.Reader's Len, so Read cannot size arrays up front.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestSnapshotRoundTrip(t *testing.T) {
	ix := smallIndex(t, 600)
	data := snapshot(t, ix)
	file := filepath.Join(t.TempDir(), "ix.snap")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	readers := map[string]io.Reader{"bytes": bytes.NewReader(data), "stream": onlyReader{bytes.NewReader(data)}, "file": f}
	for name, r := range readers {
		t.Run(name, func(t *testing.T) {
			got, err := Read(r)
			if err != nil {
				t.Fatal(err)
			}
			if again := snapshot(t, got); !bytes.Equal(again, data) {
				t.Error("snapshot of the loaded index differs")
			}
			if got.Generation() != 42 || got.Len() != ix.Len() || got.Dim() != 8 || !slices.Equal(got.Keys(), ix.Keys()) {
				t.Errorf("loaded: generation %d, len %d, dim %d", got.Generation(), got.Len(), got.Dim())
			}
			ctx := context.Background()
			q := []float32{1, 0.5, 0, -1, 2, 0, 0.25, 1}
			a, err1 := ix.Search(ctx, q, 10, SearchOptions{})
			b, err2 := got.Search(ctx, q, 10, SearchOptions{})
			if err1 != nil || err2 != nil || !slices.Equal(a, b) {
				t.Errorf("search differs after load: %v %v / %v %v", a, err1, b, err2)
			}
			// The loaded index accepts inserts.
			if err := got.Add(1_000_000, q); err != nil {
				t.Error(err)
			}
		})
	}
	// Same graph, same bytes: a second identical build.
	if !bytes.Equal(snapshot(t, smallIndex(t, 600)), data) {
		t.Error("two identical builds give different snapshots")
	}
	empty, _ := New(3, Options{})
	if got, err := Read(bytes.NewReader(snapshot(t, empty))); err != nil || got.Len() != 0 {
		t.Errorf("empty round trip: %v", err)
	}
}

func TestSnapshotCorrupt(t *testing.T) {
	data := snapshot(t, smallIndex(t, 200))
	// Every truncation fails.
	for _, cut := range []int{0, 1, 8, headerSize - 1, headerSize, headerSize + 100, len(data) / 2, len(data) - 4, len(data) - 1} {
		for _, stream := range []bool{false, true} {
			var r io.Reader = bytes.NewReader(data[:cut])
			if stream {
				r = onlyReader{r}
			}
			if _, err := Read(r); !errors.Is(err, ErrSnapshot) {
				t.Errorf("truncated at %d (stream %v): %v, want ErrSnapshot", cut, stream, err)
			}
		}
	}
	// Every flipped bit fails (the CRC catches what the checks do not).
	bad := slices.Clone(data)
	for i := range bad {
		for _, bit := range []byte{1, 0x80} {
			bad[i] ^= bit
			if _, err := Read(bytes.NewReader(bad)); !errors.Is(err, ErrSnapshot) {
				t.Fatalf("byte %d bit %#x flipped: %v, want ErrSnapshot", i, bit, err)
			}
			bad[i] ^= bit
		}
	}
	// Trailing garbage after the CRC is left unread, not misparsed.
	if _, err := Read(bytes.NewReader(append(slices.Clone(data), 1, 2, 3))); err != nil {
		t.Errorf("trailing bytes: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(snapshot(f, smallIndex(f, 60)))
	empty, _ := New(2, Options{})
	f.Add(snapshot(f, empty))
	f.Add([]byte("gsHNSW\x00\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Also decode a copy whose CRC trailer is made right, so mutations
		// reach the structural checks behind the CRC.
		fixed := slices.Clone(data)
		if len(fixed) >= 4 {
			binary.LittleEndian.PutUint32(fixed[len(fixed)-4:], crc32.Checksum(fixed[:len(fixed)-4], castagnoli))
		}
		for _, r := range []io.Reader{bytes.NewReader(data), onlyReader{bytes.NewReader(data)}, bytes.NewReader(fixed)} {
			ix, err := Read(r)
			if err != nil {
				if !errors.Is(err, ErrSnapshot) {
					t.Fatalf("error does not wrap ErrSnapshot: %v", err)
				}
				continue
			}
			// Whatever decodes must re-encode to a snapshot that decodes
			// to the same bytes, and must be searchable.
			b1 := snapshot(t, ix)
			ix2, err := Read(bytes.NewReader(b1))
			if err != nil {
				t.Fatalf("re-read: %v", err)
			}
			if !bytes.Equal(snapshot(t, ix2), b1) {
				t.Fatal("decode→encode→decode not stable")
			}
			q := make([]float32, ix.Dim())
			q[0] = 1
			want, err := ix.Search(context.Background(), q, 3, SearchOptions{Ef: 8})
			if err != nil {
				t.Fatalf("search: %v", err)
			}
			// Packed, it must answer the same and write the same bytes.
			ix.PackLinks()
			got, err := ix.Search(context.Background(), q, 3, SearchOptions{Ef: 8})
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("packed search: %v, %v; unpacked %v", got, err, want)
			}
			if !bytes.Equal(snapshot(t, ix), b1) {
				t.Fatal("packed index writes other bytes")
			}
			for _, k := range ix.Keys() {
				if _, ok := ix.Neighbors(nil, k); !ok {
					t.Fatalf("packed: live key %d not found", k)
				}
			}
		}
	})
}

func TestReadSnapshotInfo(t *testing.T) {
	base, _ := split(45, 500, 0, 8)
	ix := build(t, 8, Options{Seed: 4, M: 10, EfSearch: 30, Quantize: Int8}, base)
	ix.SetGeneration(7)
	data := snapshot(t, ix)
	h, err := ReadSnapshotInfo(data)
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != SnapshotVersion || h.Dim != 8 || h.Nodes != 500 || h.Deleted != 0 || h.Generation != 7 ||
		h.Options.Quantize != Int8 || h.Options.M != 10 || h.Options.EfSearch != 30 || h.Options.Metric != Cosine {
		t.Errorf("header %+v", h)
	}
	if _, err := ReadSnapshotInfo(data[:SnapshotHeaderSize-1]); !errors.Is(err, ErrSnapshot) {
		t.Errorf("short header: %v", err)
	}
	bad := append([]byte(nil), data[:SnapshotHeaderSize]...)
	bad[17] = 9 // quantization
	if _, err := ReadSnapshotInfo(bad); !errors.Is(err, ErrSnapshot) {
		t.Errorf("bad quantization: %v", err)
	}
}
