package pipeline

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"genestore/index"
	"genestore/store"
	"genestore/train/sim"
	"genestore/train/vae"
	"genestore/vecindex"
	"genestore/vocab"

	"genestore/internal/cputime"
)

// BenchmarkAppendIntoLargeStore appends a 10k-cell dataset to a store that
// already holds a large embedded dataset (100k cells; 1M with -long) and a
// saved HNSW index over its cells, and reports the append's wall and CPU
// time and whether the index had to be rebuilt (it must not be).
//
// Setup (not timed): the large dataset is simulated (300 genes, to keep
// simulation cheap) and ingested; the cell model is trained on its first 20k
// cells, every cell is embedded with it under the space's model version, and
// the index over all of them is built and saved.
func BenchmarkAppendIntoLargeStore(b *testing.B) {
	n := 100_000
	if *long {
		n = 1_000_000
	}
	ctx := context.Background()
	cfg := sim.DefaultConfig()
	cfg.Genes, cfg.Modules, cfg.CellTypes, cfg.Seed = 300, 10, 6, 11
	big := cfg
	big.Datasets, big.Cells = 1, n
	add := cfg
	add.Datasets, add.Cells = 2, 10_000

	sb, err := sim.Generate(ctx, big)
	if err != nil {
		b.Fatal(err)
	}
	sa, err := sim.Generate(ctx, add)
	if err != nil {
		b.Fatal(err)
	}
	db := openAt(b, filepath.Join(b.TempDir(), "s.db"))
	defer db.Close()
	d1 := sb.Datasets[0]
	ref := d1
	rows := make([]int, 20_000)
	for i := range rows {
		rows[i] = i
	}
	ref.X, ref.Barcodes, ref.CellTypes, ref.Batches = d1.X.SelectRows(rows), d1.Barcodes[:20_000], d1.CellTypes[:20_000], d1.Batches[:20_000]
	if _, err := db.AddDataset(ctx, "ref", simDataset(ref), store.AddOptions{}); err != nil {
		b.Fatal(err)
	}
	bigInfo, err := db.AddDataset(ctx, "big", simDataset(d1), store.AddOptions{})
	if err != nil {
		b.Fatal(err)
	}
	c := DefaultCellOptions()
	c.Datasets, c.HVG, c.Model.Epochs, c.Model.Seed = []string{"ref"}, 300, 10, 1
	res, err := TrainCells(ctx, db, c, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	// Embed every cell of the big dataset with the trained model, as an
	// append of it would, under the same model version.
	var (
		weights []byte
		genesB  []byte
		prov    store.Provenance
	)
	if err := db.View(func(tx *store.Tx) (err error) {
		if weights, err = tx.Blob(vocab.BlobModel, vocab.ModelCells); err != nil {
			return err
		}
		if genesB, err = tx.Blob(vocab.BlobModel, ModelCellGenes); err != nil {
			return err
		}
		info, err := tx.Space(vocab.SpaceCells)
		prov = info.Sets[0].Provenance
		return err
	}); err != nil {
		b.Fatal(err)
	}
	m := new(vae.Model)
	if err := m.UnmarshalBinary(weights); err != nil {
		b.Fatal(err)
	}
	modelGenes, _ := decodeIDs(genesB)
	var colGenes []uint32
	if err := db.View(func(tx *store.Tx) (err error) { colGenes, err = tx.DatasetGenes(bigInfo.ID); return err }); err != nil {
		b.Fatal(err)
	}
	x := selectOrZero(d1.X, colGenes, modelGenes)
	emb, err := m.Embed(ctx, x, make([]int, n)) // batch 0: the reference's batch
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]uint32, n)
	for i := range ids {
		ids[i] = uint32(i)
	}
	if err := db.Update(func(tx *store.Tx) error {
		return tx.PutEmbeddings(vocab.SpaceCells, bigInfo.ID, ids, m.Latent(), emb, prov)
	}); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if _, err := vecindex.Rebuild(ctx, db, vocab.SpaceCells, index.DefaultOptions()); err != nil {
		b.Fatal(err)
	}
	b.Logf("setup: %d cells embedded (model %s), index built in %.0fs", n+20_000, res.ModelVersion, time.Since(start).Seconds())

	b.ResetTimer()
	for i := range b.N {
		name := "new"
		if i > 0 {
			b.Fatal("run with -benchtime 1x: each iteration appends a new dataset")
		}
		var log logBuf
		c0, t0 := cputime.Seconds(), time.Now()
		r, err := Append(ctx, db, name, simDataset(sa.Datasets[1]), AppendOptions{Seed: 1, Index: index.DefaultOptions()}, &log)
		if err != nil {
			b.Fatal(err)
		}
		wall, cpu := time.Since(t0).Seconds(), cputime.Seconds()-c0
		if log.n != 0 {
			b.Error("the index was rebuilt during the append")
		}
		var total int
		if err := db.View(func(tx *store.Tx) error {
			info, err := tx.Space(vocab.SpaceCells)
			for _, s := range info.Sets {
				total += s.Count
			}
			return err
		}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(wall, "append_s")
		b.ReportMetric(cpu, "append_cpu_s")
		b.ReportMetric(r.CellSeconds, "surgery_s")
		b.ReportMetric(float64(r.CellVectors)/wall, "cells/s")
		b.ReportMetric(float64(total), "cells_in_store")
	}
}
