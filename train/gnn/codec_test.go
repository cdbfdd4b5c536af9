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
	if ModelVersion != 3 || minModelVersion != 1 {
		t.Fatalf("ModelVersion %d, minModelVersion %d: update the layout doc, the decoder and this test", ModelVersion, minModelVersion)
	}
}

// v1Fixture rebuilds the inputs and options testdata/model_v1.bin was
// trained with (by the code at ModelVersion 1, GCN only, positives the
// edges themselves).
func v1Fixture() ([]DatasetInput, Options) {
	rng := rand.New(rand.NewSource(5))
	inputs := []DatasetInput{randomInput(rng, "a", 9, 7, 0), randomInput(rng, "b", 8, 6, 3)}
	o := DefaultOptions()
	o.Dim, o.Hidden, o.SharedLayers, o.MaxProfile = 3, 4, 2, 6
	o.Epochs, o.HoldOut, o.Seed = 5, 0, 5
	o.Conv, o.Heads = ConvGCN, 1
	o.WalkRestart, o.WalkSteps = 1, 1
	return inputs, o
}

// v2Fixture: testdata/model_v2.bin, trained by the code at ModelVersion 2
// (transformer layers, two heads; positives the edges themselves).
func v2Fixture() ([]DatasetInput, Options) {
	inputs, o := v1Fixture()
	o.Conv, o.Heads = ConvTransformer, 2
	return inputs, o
}

// TestDecodeOldVersions reads the frozen model of every older layout: it
// decodes with the options its version implies, training its recipe today
// gives its vectors (the edge-reconstruction path of WalkRestart 1 and both
// convolutions are unchanged), it re-encodes at the current version without
// loss, and it still takes a new dataset.
func TestDecodeOldVersions(t *testing.T) {
	for _, tc := range []struct {
		file    string
		version uint32
		fixture func() ([]DatasetInput, Options)
	}{
		{"testdata/model_v1.bin", 1, v1Fixture},
		{"testdata/model_v2.bin", 2, v2Fixture},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if v := binary.LittleEndian.Uint32(b[8:]); v != tc.version {
				t.Fatalf("fixture is version %d", v)
			}
			var m Model
			if err := m.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			inputs, opts := tc.fixture()
			if o := m.Options(); o.Conv != opts.Conv || o.Heads != opts.Heads || o.WalkRestart != 1 || o.WalkSteps != 1 {
				t.Fatalf("version %d model read as Conv %q, Heads %d, WalkRestart %v, WalkSteps %d",
					tc.version, o.Conv, o.Heads, o.WalkRestart, o.WalkSteps)
			}
			// To float32 rounding, in case another architecture fuses
			// multiply-adds differently.
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
						t.Fatalf("%s[%d]: %v today, %v in the version %d model", in.Name, i, cur.Vecs[i], old.Vecs[i], tc.version)
					}
				}
			}
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
			if b3, _ := m2.MarshalBinary(); !bytes.Equal(b2, b3) {
				t.Fatal("decode→encode of the re-encoded model changed the bytes")
			}
			rng := rand.New(rand.NewSource(6))
			emb, err := m2.AddDataset(context.Background(), randomInput(rng, "c", 8, 6, 5), m2.Options(), nil)
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
		})
	}
}

// TestDecodeRefusesMismatch: headers whose convolution or random-walk
// settings disagree with the version, and unknown versions, are format
// errors.
func TestDecodeRefusesMismatch(t *testing.T) {
	inputs, opts := v1Fixture()
	opts.Conv, opts.WalkRestart, opts.WalkSteps = ConvTransformer, 0.5, 3
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
	for _, v := range []uint32{0, 1, 2, ModelVersion + 1} {
		var back Model
		if err := back.UnmarshalBinary(withVersion(v)); !errors.Is(err, ErrFormat) {
			t.Errorf("version %d: got %v", v, err)
		}
	}
	var back Model
	if err := back.UnmarshalBinary(withVersion(ModelVersion)); err != nil {
		t.Fatal(err)
	}
	if o := back.Options(); o.Conv != ConvTransformer || back.shared[0].Heads != 1 || o.WalkRestart != 0.5 || o.WalkSteps != 3 {
		t.Fatalf("decoded conv %q, heads %d, walk restart %v, steps %d", o.Conv, back.shared[0].Heads, o.WalkRestart, o.WalkSteps)
	}
}
