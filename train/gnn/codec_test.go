package gnn

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"math/rand"
	"os"
	"slices"
	"testing"
)

// TestModelVersionPinned fails when the layout version changes: a new
// version needs a decoder case in UnmarshalBinary, a frozen fixture of the
// version before it in testdata/ and an entry here.
func TestModelVersionPinned(t *testing.T) {
	if ModelVersion != 2 || minModelVersion != 1 {
		t.Fatalf("ModelVersion %d, minModelVersion %d: update the layout doc, the decoder and this test", ModelVersion, minModelVersion)
	}
}

// v1Fixture rebuilds the inputs and options testdata/model_v1.bin was
// trained with (by the code at ModelVersion 1, GCN only).
func v1Fixture() ([]DatasetInput, Options) {
	rng := rand.New(rand.NewSource(5))
	inputs := []DatasetInput{randomInput(rng, "a", 9, 7, 0), randomInput(rng, "b", 8, 6, 3)}
	o := DefaultOptions()
	o.Dim, o.Hidden, o.SharedLayers, o.MaxProfile = 3, 4, 2, 6
	o.Epochs, o.HoldOut, o.Seed = 5, 0, 5
	o.Conv, o.Heads = ConvGCN, 1
	return inputs, o
}

func TestDecodeVersion1(t *testing.T) {
	b, err := os.ReadFile("testdata/model_v1.bin")
	if err != nil {
		t.Fatal(err)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != 1 {
		t.Fatalf("fixture is version %d", v)
	}
	var m Model
	if err := m.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if o := m.Options(); o.Conv != ConvGCN || o.Heads != 1 {
		t.Fatalf("version 1 model read as Conv %q, Heads %d", o.Conv, o.Heads)
	}
	// The GCN path is unchanged: training the fixture's recipe today gives
	// its vectors (to float32 rounding, in case another architecture fuses
	// multiply-adds differently).
	inputs, opts := v1Fixture()
	now, _, err := Train(context.Background(), inputs, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		old, _ := m.Embedding(in.Name)
		cur, _ := now.Embedding(in.Name)
		if len(old.Vecs) != len(cur.Vecs) {
			t.Fatalf("%s: %d values, want %d", in.Name, len(cur.Vecs), len(old.Vecs))
		}
		for i := range old.Vecs {
			if math.Abs(float64(old.Vecs[i]-cur.Vecs[i])) > 1e-4 {
				t.Fatalf("%s[%d]: %v today, %v in the version 1 model", in.Name, i, cur.Vecs[i], old.Vecs[i])
			}
		}
	}
	// re-encoding writes the current version and keeps every value
	b2, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if v := binary.LittleEndian.Uint32(b2[8:]); v != ModelVersion {
		t.Fatalf("re-encoded as version %d", v)
	}
	var m2 Model
	if err := m2.UnmarshalBinary(b2); err != nil {
		t.Fatal(err)
	}
	b3, _ := m2.MarshalBinary()
	if !bytes.Equal(b2, b3) {
		t.Fatal("decode→encode of the re-encoded model changed the bytes")
	}
	// a version 1 model still takes a new dataset
	rng := rand.New(rand.NewSource(6))
	emb, err := m2.AddDataset(context.Background(), randomInput(rng, "c", 8, 6, 5), opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(emb.Vecs) != 6*opts.Dim {
		t.Fatalf("appended %d values", len(emb.Vecs))
	}
	for _, in := range inputs {
		old, _ := m.Embedding(in.Name)
		cur, _ := m2.Embedding(in.Name)
		if !slices.Equal(old.Vecs, cur.Vecs) {
			t.Fatalf("%s vectors changed on append", in.Name)
		}
	}
}

// TestDecodeRefusesMismatch: headers whose convolution disagrees with the
// version, and unknown versions, are format errors.
func TestDecodeRefusesMismatch(t *testing.T) {
	inputs, opts := v1Fixture()
	opts.Conv = ConvTransformer
	m, _, err := Train(context.Background(), inputs, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.MarshalBinary()
	withVersion := func(v uint32) []byte {
		c := append([]byte(nil), b...)
		binary.LittleEndian.PutUint32(c[8:], v)
		body := c[:len(c)-4]
		binary.LittleEndian.PutUint32(c[len(c)-4:], crc32.ChecksumIEEE(body))
		return c
	}
	for _, v := range []uint32{0, 1, ModelVersion + 1} {
		var back Model
		if err := back.UnmarshalBinary(withVersion(v)); !errors.Is(err, ErrFormat) {
			t.Errorf("version %d: got %v", v, err)
		}
	}
	var back Model
	if err := back.UnmarshalBinary(withVersion(ModelVersion)); err != nil {
		t.Fatal(err)
	}
	if back.Options().Conv != ConvTransformer || back.shared[0].Heads != 1 {
		t.Fatalf("decoded conv %q, heads %d", back.Options().Conv, back.shared[0].Heads)
	}
}
