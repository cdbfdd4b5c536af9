package genestore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"genestore"
	"genestore/pipeline"
	"genestore/query"
	"genestore/store/ingest"
)

// The examples run on the sample data shipped in internal/sampledata
// (testdata/sample links to it): two PBMC subsets of one 10x run, as 10x
// Matrix Market folders, and a mouse lung .h5ad.
const (
	pbmcSmall = "testdata/sample/pbmc_small"
	pbmc3k    = "testdata/sample/pbmc3k_sct283"
	lung      = "testdata/sample/lung_treutlein2014_mouse/lung_treutlein2014_mouse.h5ad"
)

var (
	tmpDir    string
	trainOnce sync.Once
	trained   string // a store with the three datasets and both models
)

func TestMain(m *testing.M) {
	var err error
	if tmpDir, err = os.MkdirTemp("", "genestore-example-"); err != nil {
		log.Fatal(err)
	}
	code := m.Run()
	os.RemoveAll(tmpDir)
	os.Exit(code)
}

// newPath returns a fresh store path in the examples' temporary folder.
func newPath(name string) string { return filepath.Join(tmpDir, name+".db") }

// ingestSamples adds the three sample datasets to db.
func ingestSamples(ctx context.Context, db *genestore.DB) {
	for _, d := range [][2]string{{"pbmc_small", pbmcSmall}, {"pbmc3k", pbmc3k}, {"lung", lung}} {
		if _, err := db.Ingest(ctx, d[0], d[1], genestore.IngestOptions{}); err != nil {
			log.Fatal(err)
		}
	}
}

// geneOptions and cellOptions are quick, seeded trainings.
func geneOptions() pipeline.GeneOptions {
	o := pipeline.DefaultGeneOptions()
	o.Model.Seed, o.Model.Epochs = 1, 20
	return o
}

func cellOptions(datasets ...string) pipeline.CellOptions {
	o := pipeline.DefaultCellOptions()
	o.Model.Seed, o.Model.Epochs, o.Datasets = 1, 10, datasets
	return o
}

// trainedStore opens a copy of a store holding the sample datasets with
// both models trained (the gene model on all three, the cell model on the
// two PBMC sets). The template is built once and copied with Backup.
func trainedStore(name string) *genestore.DB {
	ctx := context.Background()
	trainOnce.Do(func() {
		trained = newPath("trained")
		db, err := genestore.Open(trained, nil)
		if err != nil {
			log.Fatal(err)
		}
		defer db.Close()
		ingestSamples(ctx, db)
		if _, err := db.TrainGenes(ctx, geneOptions()); err != nil {
			log.Fatal(err)
		}
		if _, err := db.TrainCells(ctx, cellOptions("pbmc_small", "pbmc3k")); err != nil {
			log.Fatal(err)
		}
	})
	src, err := genestore.Open(trained, &genestore.Options{ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	path := newPath(name)
	if _, err := src.Backup(ctx, path); err != nil {
		log.Fatal(err)
	}
	db, err := genestore.Open(path, nil)
	if err != nil {
		log.Fatal(err)
	}
	return db
}

func ExampleOpen() {
	db, err := genestore.Open(newPath("open"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	info, err := db.Info(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("schema", info.SchemaVersion, "datasets", len(info.Datasets))
	// Output: schema 5 datasets 0
}

func ExampleDB_Ingest() {
	ctx := context.Background()
	db, err := genestore.Open(newPath("ingest"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	d, err := db.Ingest(ctx, "pbmc_small", pbmcSmall, genestore.IngestOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Name, d.Format, d.Values, d.Cells, "cells", d.Genes, "genes")
	fmt.Println(d.ObsColumns[:3])
	// Output:
	// pbmc_small mtx counts 80 cells 230 genes
	// [RNA_snn_res.0.8 RNA_snn_res.1 letter.idents]
}

func ExampleDB_TrainGenes() {
	ctx := context.Background()
	db, err := genestore.Open(newPath("train-genes"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ingestSamples(ctx, db)
	res, err := db.TrainGenes(ctx, geneOptions())
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range res.Datasets {
		fmt.Println(d.Name, d.Genes > 0, d.Edges > 0)
	}
	fmt.Println("consensus vectors:", res.Consensus > 1000)
	// Output:
	// pbmc_small true true
	// pbmc3k true true
	// lung true true
	// consensus vectors: true
}

func ExampleDB_TrainCells() {
	ctx := context.Background()
	db, err := genestore.Open(newPath("train-cells"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ingestSamples(ctx, db)
	res, err := db.TrainCells(ctx, cellOptions("pbmc_small", "pbmc3k"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Cells, "cells", res.Batches)
	// Output: 363 cells [pbmc_small pbmc3k]
}

func ExampleDB_Append() {
	ctx := context.Background()
	db, err := genestore.Open(newPath("append"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Ingest(ctx, "pbmc_small", pbmcSmall, genestore.IngestOptions{}); err != nil {
		log.Fatal(err)
	}
	if _, err := db.TrainGenes(ctx, geneOptions()); err != nil {
		log.Fatal(err)
	}
	if _, err := db.TrainCells(ctx, cellOptions()); err != nil {
		log.Fatal(err)
	}
	// A later dataset joins the trained models without retraining them.
	res, err := db.Append(ctx, "pbmc3k", pbmc3k, genestore.IngestOptions{}, pipeline.AppendOptions{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Dataset.Name, res.CellVectors, "cell vectors", res.GeneVectors > 0)
	// Output: pbmc3k 283 cell vectors true
}

func ExampleDB_NearestGenes() {
	db := trainedStore("nearest-genes")
	defer db.Close()
	res, err := db.NearestGenes(context.Background(), query.GeneNeighborsRequest{Symbol: "cd79a", K: 5})
	if err != nil {
		log.Fatal(err)
	}
	var near []string
	for _, h := range res.Neighbors {
		near = append(near, h.Symbol)
	}
	fmt.Println(res.Gene.Symbol, len(near), "neighbours; CD79B among them:", slices.Contains(near, "CD79B"))
	// Output: CD79A 5 neighbours; CD79B among them: true
}

func ExampleDB_NearestCells() {
	db := trainedStore("nearest-cells")
	defer db.Close()
	res, err := db.NearestCells(context.Background(), query.CellNeighborsRequest{Dataset: "pbmc3k", Barcode: "ACTCTCCTGCATAC", K: 5})
	if err != nil {
		log.Fatal(err)
	}
	sorted := slices.IsSortedFunc(res.Neighbors, func(a, b query.CellHit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	fmt.Println(res.Cell.Barcode, len(res.Neighbors), "neighbours, best first:", sorted)
	// Output: ACTCTCCTGCATAC 5 neighbours, best first: true
}

func ExampleDB_Coexpr() {
	db := trainedStore("coexpr")
	defer db.Close()
	res, err := db.Coexpr(context.Background(), query.CoexprRequest{Symbol: "CD79A", Dataset: "pbmc3k", K: 10})
	if err != nil {
		log.Fatal(err)
	}
	var partners []string
	for _, p := range res.Partners {
		partners = append(partners, p.Symbol)
	}
	fmt.Println(res.Datasets, "CD79B is a partner:", slices.Contains(partners, "CD79B"))
	// Output: [pbmc3k] CD79B is a partner: true
}

func ExampleDB_Clusters() {
	db := trainedStore("clusters")
	defer db.Close()
	res, err := db.Clusters(context.Background(), query.ClusterRequest{Space: "cells", Compute: true, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Name, res.Entities, "cells in", len(res.Clusters) > 1, "clusters")
	// Output: leiden_r1.0 363 cells in true clusters
}

func ExampleDB_AnnotateCells() {
	db := trainedStore("annotate")
	defer db.Close()
	res, err := db.AnnotateCells(context.Background(), query.AnnotateCellsRequest{
		References: []string{"pbmc_small"}, Label: "letter.idents", Query: "pbmc3k"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Query, res.Cells, "cells labelled by", res.Label)
	// Output: pbmc3k 283 cells labelled by letter.idents
}

func ExampleDB_Drop() {
	ctx := context.Background()
	db := trainedStore("drop")
	defer db.Close()
	res, err := db.Drop(ctx, "pbmc_small")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("cells removed:", res.Removed.Vectors["cells"])
	fmt.Println(res.CellModel)
	left, err := db.Datasets(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range left {
		fmt.Println("left:", d.Name)
	}
	// Output:
	// cells removed: 80
	// 1 batch(es) of "pbmc_small" removed from the cell model; gene loadings (cell-genes) kept
	// left: pbmc3k
	// left: lung
}

func ExampleDB_Rename() {
	db := trainedStore("rename")
	defer db.Close()
	res, err := db.Rename(context.Background(), "lung", "lung_mouse")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.OldName, "→", res.Dataset.Name, "gene model:", res.GeneModel, "cell model:", res.CellModel)
	// Output: lung → lung_mouse gene model: true cell model: false
}

func ExampleDB_Backup() {
	ctx := context.Background()
	db := trainedStore("backup-src")
	defer db.Close()
	out := newPath("backup")
	if _, err := db.Backup(ctx, out); err != nil {
		log.Fatal(err)
	}
	cp, err := genestore.Open(out, &genestore.Options{ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	defer cp.Close()
	if err := cp.Store().Verify(ctx); err != nil {
		log.Fatal(err)
	}
	d, err := cp.Datasets(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("the copy verifies and holds", len(d), "datasets")
	// Output: the copy verifies and holds 3 datasets
}

func ExampleDB_Compact() {
	ctx := context.Background()
	db := trainedStore("compact")
	defer db.Close()
	if _, err := db.Drop(ctx, "pbmc3k"); err != nil {
		log.Fatal(err)
	}
	res, err := db.Compact(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("smaller after compaction:", res.After < res.Before)
	// Output: smaller after compaction: true
}

func ExampleDB_Info() {
	db := trainedStore("info")
	defer db.Close()
	info, err := db.Info(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range info.Spaces {
		fmt.Println(s.Name, s.Vectors > 0, s.IndexBytes > 0)
	}
	fmt.Println("parts add up to the file:", info.Sum() == info.FileBytes)
	// Output:
	// cell-genes true true
	// cells true true
	// genes true true
	// parts add up to the file: true
}

func ExampleDB_Genes() {
	db := trainedStore("genes")
	defer db.Close()
	res, err := db.Genes(context.Background(), genestore.GenesRequest{Dataset: "pbmc_small"})
	if err != nil {
		log.Fatal(err)
	}
	for _, g := range res.Genes[:3] {
		fmt.Println(g.ID, g.Symbol, g.Datasets)
	}
	// Output:
	// 1 MS4A1 2
	// 2 CD79B 2
	// 3 CD79A 2
}

func ExampleDB_Cells() {
	db := trainedStore("cells")
	defer db.Close()
	res, err := db.Cells(context.Background(), genestore.CellsRequest{Dataset: "pbmc_small", Where: []string{"groups=g1", "letter.idents=A"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(res.Cells), "of", res.Total, "cells; first:", res.Cells[0].Barcode, res.Cells[0].Obs["groups"], res.Cells[0].Embedded)
	// Output: 30 of 80 cells; first: CATGGCCTGTGCAT g1 true
}

func ExampleDB_SpatialGenes() {
	db, err := genestore.Open(newPath("spatial"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	read := ingest.DefaultOptions()
	read.Coords = [2]string{"x", "y"} // obs columns holding each spot's position
	if _, err := db.Ingest(ctx, "mob", "testdata/sample/mob_spatial", genestore.IngestOptions{Read: &read, Species: "mouse"}); err != nil {
		log.Fatal(err)
	}
	res, err := db.SpatialGenes(ctx, "mob", pipeline.SpatialPatternOptions{Top: 3})
	if err != nil {
		log.Fatal(err)
	}
	for _, g := range res.Genes {
		fmt.Printf("%s %.2f\n", g.Symbol, g.I)
	}
	// Output:
	// Fabp7 0.56
	// Scd1 0.48
	// Apod 0.47
}

func ExampleDB_Close() {
	db, err := genestore.Open(newPath("close"), nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := db.Close(); err != nil {
		log.Fatal(err)
	}
	_, err = db.Datasets(context.Background())
	fmt.Println(err != nil)
	// Output: true
}
