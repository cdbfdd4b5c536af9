package vae

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"testing"

	"genestore/internal/sparse"
)

// TestEveryBatchTrained: a batch whose cells all fall in the random
// hold-out gets one of them back for training (its batch weights were
// never trained, and AddBatches then trained nothing), for every seed.
func TestEveryBatchTrained(t *testing.T) {
	in := toyInput(40, 1)
	in.Batch = make([]int, 40)
	in.Batch[17] = 1 // batch 1 is one cell
	d, names, values := prepared(t, in)
	for seed := range uint64(30) {
		o := smallOptions()
		o.Seed, o.Epochs = seed, 1
		rng := rand.New(rand.NewPCG(seed, 1))
		m := newModel(hyper{Genes: in.X.Cols, Latent: 4, Hidden: 16, Likelihood: NB, Values: values, BatchNames: names}, rng)
		trained := false
		if _, err := fit(context.Background(), m, d, o.withDefaults(in.X.Rows), rng, m.params(), nil, func(rows []int) {
			for _, r := range rows {
				trained = trained || r == 17
			}
		}); err != nil {
			t.Fatal(err)
		}
		if !trained {
			t.Errorf("seed %d: the one cell of batch 1 was never trained on", seed)
		}
	}
}

// craft is a model file with header hp and parameter bytes params, its CRC
// made right (anyone can: the CRC guards against damage, not crafting).
func craft(hp map[string]any, params []byte) []byte {
	var buf bytes.Buffer
	le := binary.LittleEndian
	buf.WriteString(magic)
	buf.Write(le.AppendUint32(nil, formatVersion))
	h, _ := json.Marshal(hp)
	buf.Write(le.AppendUint32(nil, uint32(len(h))))
	buf.Write(h)
	buf.Write(params)
	buf.Write(le.AppendUint32(nil, crc32.ChecksumIEEE(buf.Bytes())))
	return buf.Bytes()
}

// TestUnmarshalCraftedHeaders: sizes whose product overflows (a makeslice
// panic before), an unknown value type and repeated batch names (which
// Embed and AddBatches would have trusted) are ErrFormat.
func TestUnmarshalCraftedHeaders(t *testing.T) {
	le := binary.LittleEndian
	p := le.AppendUint32(nil, 11)
	p = le.AppendUint16(p, 5)
	p = append(p, "enc.W"...)
	p = le.AppendUint32(p, 1<<31)
	p = le.AppendUint32(p, 1<<31)
	m, _, err := Train(context.Background(), toyInput(30, 3), smallOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	good, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	hl := le.Uint32(good[len(magic)+4:])
	rest := good[len(magic)+8+int(hl) : len(good)-4]
	var hp map[string]any
	if err := json.Unmarshal(good[len(magic)+8:len(magic)+8+int(hl)], &hp); err != nil {
		t.Fatal(err)
	}
	with := func(k string, v any) map[string]any {
		c := map[string]any{}
		for a, b := range hp {
			c[a] = b
		}
		c[k] = v
		return c
	}
	for name, b := range map[string][]byte{
		"overflowing sizes": craft(map[string]any{"genes": 1 << 31, "latent": 1, "hidden": 1 << 31, "likelihood": "nb", "values": "counts", "batch_names": []string{"a"}}, p),
		"unknown values":    craft(with("values", "bogus"), rest),
		"repeated names":    craft(with("batch_names", []string{"x", "x"}), rest),
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: panic %v", name, r)
				}
			}()
			var back Model
			if err := back.UnmarshalBinary(b); !errors.Is(err, ErrFormat) {
				t.Errorf("%s: %v, want ErrFormat", name, err)
			}
		}()
	}
	// The untouched header still decodes through craft.
	var back Model
	if err := back.UnmarshalBinary(craft(hp, rest)); err != nil {
		t.Fatalf("re-crafted good model: %v", err)
	}
}

// TestAddBatchesNoCells: no cells is ErrInput (it was a NaN loss,
// ErrNumeric, which sent the user looking for a numeric problem).
func TestAddBatchesNoCells(t *testing.T) {
	m, _, err := Train(context.Background(), toyInput(30, 3), smallOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.AddBatches(context.Background(), Input{X: &sparse.CSR{Rows: 0, Cols: 40, Indptr: []int64{0}}, BatchNames: []string{"new"}}, DefaultSurgeryOptions())
	if !errors.Is(err, ErrInput) {
		t.Fatalf("AddBatches with no cells: %v, want ErrInput", err)
	}
}
