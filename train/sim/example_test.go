package sim_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"genestore/train/sim"
)

func ExampleGenerate() {
	cfg := sim.DefaultConfig()
	cfg.Datasets, cfg.Cells, cfg.Genes, cfg.Modules, cfg.CellTypes = 2, 100, 200, 5, 3
	s, err := sim.Generate(context.Background(), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range s.Datasets {
		fmt.Println(d.Name, d.X.Rows, "cells", len(d.Genes) >= 180, d.Barcodes[0], d.Batches[0])
	}
	fmt.Println(len(s.Truth.Genes), "genes,", len(s.Truth.CellTypes), "cell types, first gene", s.Truth.Genes[0])
	// Output:
	// D1 100 cells true D1_C000001 D1
	// D2 100 cells true D2_C000001 D2
	// 200 genes, 3 cell types, first gene G0001
}

func ExampleWriteDir() {
	dir, err := os.MkdirTemp("", "sim-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	cfg := sim.DefaultConfig()
	cfg.Datasets, cfg.Cells, cfg.Genes, cfg.Modules, cfg.CellTypes = 1, 50, 100, 4, 2
	if err := sim.WriteDir(context.Background(), cfg, dir, nil); err != nil {
		fmt.Println(err)
		return
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			fmt.Println(filepath.ToSlash(rel))
		}
		return err
	})
	// Output:
	// D1/barcodes.tsv.gz
	// D1/features.tsv.gz
	// D1/matrix.mtx.gz
	// D1/obs.csv
	// truth/D1_gene_modules.tsv
	// truth/batch_genes.tsv
	// truth/cell_types.tsv
	// truth/config.json
	// truth/gene_modules.tsv
	// truth/gene_sets.gmt
}
