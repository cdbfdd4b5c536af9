package gnn

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"math"
	"math/rand"
	"strconv"
	"testing"
)

// tinyModel is a two-dataset model of 2 epochs, encoded.
func tinyModel(t testing.TB) []byte {
	rng := rand.New(rand.NewSource(1))
	o := DefaultOptions()
	o.Epochs, o.Dim, o.Hidden = 2, 4, 8
	in := []DatasetInput{randomInput(rng, "a", 8, 6, 0), randomInput(rng, "b", 8, 6, 3)}
	m, _, err := Train(context.Background(), in, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.MarshalBinary()
	return b
}

// rewrite replaces old by new in the JSON header and fixes its length and
// the checksum, as a crafted (not damaged) file would.
func rewrite(t *testing.T, b []byte, old, new string) []byte {
	hl := int(binary.LittleEndian.Uint32(b[12:]))
	hdr := b[16 : 16+hl]
	if !bytes.Contains(hdr, []byte(old)) {
		t.Fatalf("%s not in header %s", old, hdr)
	}
	nh := bytes.Replace(hdr, []byte(old), []byte(new), 1)
	out := append([]byte(nil), b[:12]...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(nh)))
	out = append(out, nh...)
	out = append(out, b[16+hl:len(b)-4]...)
	return binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(out))
}

// TestDecodeHugeEdges: an edge count past 2^61 wrapped 8·count to a
// length that passed, and make() panicked.
func TestDecodeHugeEdges(t *testing.T) {
	b := tinyModel(t)
	var m Model
	if err := m.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	n := len(m.ds[1].Edges)
	// last dataset: edges n → n + 2^61 (8× wraps to the same byte count)
	bad := rewrite(t, b, `"edges":`+strconv.Itoa(n)+`}]`, `"edges":`+strconv.Itoa(n+1<<61)+`}]`)
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("UnmarshalBinary panicked: %v", r)
		}
	}()
	if err := m.UnmarshalBinary(bad); err == nil {
		t.Fatal("accepted")
	}
}

// TestDecodeNegativeCells: a model of negative cells decoded and gave NaN
// consensus vectors.
func TestDecodeNegativeCells(t *testing.T) {
	b := tinyModel(t)
	bad := rewrite(t, b, `"cells":8`, `"cells":-8`)
	var m Model
	err := m.UnmarshalBinary(bad)
	if err == nil {
		c := m.Consensus(nil)
		nan := 0
		for _, v := range c.Vecs {
			if math.IsNaN(float64(v)) {
				nan++
			}
		}
		t.Fatalf("accepted negative cells; consensus has %d NaN values", nan)
	}
}

// TestDecodeDuplicateNames: two datasets of one name decoded, and lookups
// by name found the first.
func TestDecodeDuplicateNames(t *testing.T) {
	b := tinyModel(t)
	bad := rewrite(t, b, `"name":"b"`, `"name":"a"`)
	var m Model
	if err := m.UnmarshalBinary(bad); err == nil {
		t.Fatalf("accepted duplicate dataset names: %v", m.Datasets())
	}
}

// FuzzDecode: any bytes (with the checksum made right, so the fuzzer gets
// past it) decode to an error or a model that can be used and re-encoded.
func FuzzDecode(f *testing.F) {
	f.Add(tinyModel(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= 20 {
			b = append([]byte(nil), b...)
			binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
		}
		var m Model
		if m.UnmarshalBinary(b) == nil {
			m.Consensus(nil)
			m.MarshalBinary()
		}
	})
}
