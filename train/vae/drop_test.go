package vae

import (
	"context"
	"errors"
	"slices"
	"testing"

	"genestore/train/sim"
)

// TestRemoveBatches trains on three batches, removes the middle one and
// checks that cells of the others embed bit-identically, with their batch
// indexes shifted past the removed one; removing every batch is refused.
func TestRemoveBatches(t *testing.T) {
	ctx := context.Background()
	cfg := sim.DefaultConfig()
	cfg.Cells, cfg.Genes = 150, 300
	in, _ := simInput(t, cfg, 100)
	for _, linear := range []bool{false, true} {
		o := DefaultOptions()
		o.Epochs, o.Seed, o.LinearDecoder = 3, 1, linear
		m, _, err := Train(ctx, in, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		before, err := m.Embed(ctx, in.X, in.Batch)
		if err != nil {
			t.Fatal(err)
		}
		gone := in.BatchNames[1]
		n, err := m.RemoveBatches(func(b string) bool { return b == gone })
		if err != nil || n != 1 || slices.Contains(m.BatchNames(), gone) || len(m.BatchNames()) != len(in.BatchNames)-1 {
			t.Fatalf("remove: %d %v, names %v", n, err, m.BatchNames())
		}
		// The model still encodes and decodes.
		if _, err := m.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
		var rows []int
		var batch []int
		for i, b := range in.Batch {
			switch {
			case b < 1:
				rows, batch = append(rows, i), append(batch, b)
			case b > 1:
				rows, batch = append(rows, i), append(batch, b-1)
			}
		}
		after, err := m.Embed(ctx, in.X.SelectRows(rows), batch)
		if err != nil {
			t.Fatal(err)
		}
		L := m.Latent()
		for j, i := range rows {
			if !slices.Equal(after[j*L:(j+1)*L], before[i*L:(i+1)*L]) {
				t.Fatalf("linear %v: cell %d embeds differently after removing batch %q", linear, i, gone)
			}
		}
		if _, err := m.RemoveBatches(func(string) bool { return true }); !errors.Is(err, ErrInput) {
			t.Fatalf("removing every batch: %v", err)
		}
		if err := m.RenameBatches(func(string) string { return "same" }); !errors.Is(err, ErrInput) {
			t.Fatalf("renaming two batches alike: %v", err)
		}
	}
}
