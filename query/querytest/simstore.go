// Package querytest writes genestore stores with planted structure, for the
// query engine's tests and benchmarks: genes in modules, cells in types
// across datasets, gene loadings that point at the matching cell type,
// co-expression edges inside modules, a gene-set collection naming the
// modules, and an alias map.
//
// # Model
//
// With T = Config.Modules and e_m the m-th unit vector of R^Dim (Dim ≥ T):
//
//   - gene i (symbol "G%05d") is in module i mod T; its consensus vector
//     (space "genes", dataset vocab.Consensus) is e_m + Noise·z/√Dim, and its
//     vector in each dataset adds another Noise/2·z/√Dim;
//   - cell r of dataset d has type t drawn uniformly (obs column "cell_type",
//     values "T<t>"), obs column "bucket" = "b%02d" of r mod 100 (for
//     filters of a known selectivity: b00 admits 1%, b00–b09 10%) and obs
//     column "curated" = its type, missing ("") when r is a multiple of 3
//     (a partly annotated label column); its vector (space "cells") is e_t + 0.1·shift_d +
//     Noise·z/√Dim, shift_d a fixed random direction per dataset;
//   - gene i's loading (space "cell-genes", dataset Consensus) is
//     e_m + Noise·z/√Dim, so the top genes of a type-t cell are module t's;
//   - edges (per dataset): each gene to the next three genes of its module
//     (weights 0.5–0.9), in every dataset for even modules and only in the
//     first dataset for odd ones; plus negative edges (−0.4) between module 0
//     and module 1 genes of the same rank, in every dataset;
//   - collection "modules": set "MOD:<m>" = module m's genes, plus sets
//     "RAND:<j>" of Genes/T random genes;
//   - aliases: "OLD<symbol>" → symbol for every gene.
//
// Model versions: gene sets are "gene-model-1", cell sets "cell-model-1";
// with Config.OldModel a dataset "old" is added whose gene vectors carry
// "gene-model-0" (to test the model-version guard).
//
// Every random draw comes from Config.Seed.
package querytest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"genestore/internal/sparse"
	"genestore/query/backend"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/vocab"
)

// Config sizes a simulated store. The zero value is not valid: start from
// DefaultConfig.
type Config struct {
	Genes   int     // number of genes
	Modules int     // gene modules = cell types
	Dim     int     // embedding dimension (≥ Modules)
	Cells   []int   // cells per dataset; datasets are named "ds1", "ds2", ...
	Noise   float64 // isotropic noise scale
	Edges   bool    // write co-expression edges
	// OldModel adds dataset "old" (10 cells) whose gene vectors are of
	// another model version.
	OldModel bool
	Seed     uint64
}

// DefaultConfig is a small store: 240 genes in 8 modules, 16 dimensions,
// two datasets of 300 cells, noise 0.3, edges on.
func DefaultConfig() Config {
	return Config{Genes: 240, Modules: 8, Dim: 16, Cells: []int{300, 300}, Noise: 0.3, Edges: true, Seed: 1}
}

// Validate reports a config that cannot be built.
func (c Config) Validate() error {
	switch {
	case c.Genes < c.Modules || c.Modules < 2:
		return fmt.Errorf("querytest: %d genes, %d modules", c.Genes, c.Modules)
	case c.Dim < c.Modules:
		return fmt.Errorf("querytest: dim %d < %d modules", c.Dim, c.Modules)
	case len(c.Cells) == 0:
		return fmt.Errorf("querytest: no dataset")
	}
	return nil
}

// Model versions written.
const (
	GeneModel    = "gene-model-1"
	OldGeneModel = "gene-model-0"
	CellModel    = "cell-model-1"
	Collection   = "modules"
)

// Truth is what was planted.
type Truth struct {
	Symbols    []string   // gene i's symbol
	GeneIDs    []uint32   // gene i's global id in the store
	Module     []int      // gene i's module
	Datasets   []string   // dataset names, in Cells order
	DatasetIDs []uint32   // their store ids
	Types      [][]int    // Types[d][r]: type of cell r of dataset d
	Barcodes   [][]string // Barcodes[d][r]
}

// Symbol returns gene i's symbol.
func Symbol(i int) string { return fmt.Sprintf("G%05d", i) }

// Barcode returns the barcode of cell r of dataset d (0-based).
func Barcode(d, r int) string { return fmt.Sprintf("D%dC%07d", d+1, r) }

// Bucket returns the "bucket" obs value of cell r of any dataset.
func Bucket(r int) string { return fmt.Sprintf("b%02d", r%100) }

// BucketWhere returns the filters that admit pct percent of the cells
// (pct in 1..100): bucket=b00 … bucket=b<pct-1>.
func BucketWhere(pct int) []string {
	out := make([]string, pct)
	for i := range out {
		out[i] = "bucket=" + Bucket(i)
	}
	return out
}

func gauss(rng *rand.Rand, v []float32, center int, scale float64) {
	s := scale / math.Sqrt(float64(len(v)))
	for j := range v {
		v[j] = float32(rng.NormFloat64() * s)
	}
	if center >= 0 {
		v[center] += 1
	}
}

// Build writes the simulated store into db and returns the truth.
func Build(ctx context.Context, db *store.DB, c Config) (*Truth, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x5157))
	tr := &Truth{}
	genes := make([]ingest.Gene, c.Genes)
	for i := range genes {
		s := Symbol(i)
		genes[i] = ingest.Gene{ID: "ENSG" + s[1:], Symbol: s}
		tr.Symbols = append(tr.Symbols, s)
		tr.Module = append(tr.Module, i%c.Modules)
	}
	names := []string{}
	for d := range c.Cells {
		names = append(names, fmt.Sprintf("ds%d", d+1))
	}
	if c.OldModel {
		names = append(names, "old")
	}
	for d, name := range names {
		n := 10
		if d < len(c.Cells) {
			n = c.Cells[d]
		}
		types := make([]int, n)
		bcs := make([]string, n)
		labels := make([]string, n)
		buckets := make([]string, n)
		curated := make([]string, n)
		for r := range types {
			types[r] = rng.IntN(c.Modules)
			bcs[r] = Barcode(d, r)
			labels[r] = fmt.Sprintf("T%d", types[r])
			buckets[r] = Bucket(r)
			if r%3 != 0 {
				curated[r] = labels[r]
			}
		}
		x := &sparse.CSR{Rows: n, Cols: c.Genes, Indptr: make([]int64, n+1)}
		ds := &ingest.Dataset{Format: "sim", Source: "querytest", Values: vocab.Counts, X: x, Genes: genes, Barcodes: bcs,
			Obs: []ingest.ObsColumn{{Name: "cell_type", Categorical: true, Values: labels}, {Name: "bucket", Categorical: true, Values: buckets},
				{Name: "curated", Categorical: true, Values: curated}}}
		info, err := db.AddDataset(ctx, name, ds, store.AddOptions{})
		if err != nil {
			return nil, err
		}
		if d < len(c.Cells) {
			tr.Datasets = append(tr.Datasets, name)
			tr.DatasetIDs = append(tr.DatasetIDs, info.ID)
			tr.Types = append(tr.Types, types)
			tr.Barcodes = append(tr.Barcodes, bcs)
		}
	}
	err := db.View(func(tx *store.Tx) error {
		for _, s := range tr.Symbols {
			gs, err := tx.GenesBySymbol(s)
			if err != nil || len(gs) != 1 {
				return fmt.Errorf("querytest: gene %s: %d found, %v", s, len(gs), err)
			}
			tr.GeneIDs = append(tr.GeneIDs, gs[0].ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	prov := func(kind, ver string, ds ...uint32) store.Provenance {
		return store.Provenance{Kind: kind, ModelVersion: ver, Datasets: ds}
	}
	// gene vectors
	base := make([]float32, c.Genes*c.Dim)
	load := make([]float32, c.Genes*c.Dim)
	for i := 0; i < c.Genes; i++ {
		gauss(rng, base[i*c.Dim:(i+1)*c.Dim], tr.Module[i], c.Noise)
		gauss(rng, load[i*c.Dim:(i+1)*c.Dim], tr.Module[i], c.Noise)
	}
	err = db.Update(func(tx *store.Tx) error {
		if err := tx.PutEmbeddings(vocab.SpaceGenes, vocab.Consensus, tr.GeneIDs, c.Dim, base, prov("gene-model", GeneModel, tr.DatasetIDs...)); err != nil {
			return err
		}
		if err := tx.PutEmbeddings(vocab.SpaceCellGenes, vocab.Consensus, tr.GeneIDs, c.Dim, load, prov("cell-model", CellModel, tr.DatasetIDs...)); err != nil {
			return err
		}
		all := tx
		ds, err := all.Datasets()
		if err != nil {
			return err
		}
		for _, d := range ds {
			v := make([]float32, len(base))
			z := make([]float32, c.Dim)
			for i := 0; i < c.Genes; i++ {
				gauss(rng, z, -1, c.Noise/2)
				for j := range z {
					v[i*c.Dim+j] = base[i*c.Dim+j] + z[j]
				}
			}
			ver := GeneModel
			if d.Name == "old" {
				ver = OldGeneModel
			}
			if err := tx.PutEmbeddings(vocab.SpaceGenes, d.ID, tr.GeneIDs, c.Dim, v, prov("gene-model", ver, d.ID)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// cell vectors, written in blocks so a million cells stay within memory
	for d := range tr.Datasets {
		shift := make([]float32, c.Dim)
		gauss(rng, shift, -1, 1)
		n := len(tr.Types[d])
		const block = 100_000
		for lo := 0; lo < n; lo += block {
			hi := min(lo+block, n)
			ids := make([]uint32, hi-lo)
			vecs := make([]float32, (hi-lo)*c.Dim)
			for r := lo; r < hi; r++ {
				ids[r-lo] = uint32(r)
				v := vecs[(r-lo)*c.Dim : (r-lo+1)*c.Dim]
				gauss(rng, v, tr.Types[d][r], c.Noise)
				for j := range v {
					v[j] += 0.1 * shift[j]
				}
			}
			err := db.Update(func(tx *store.Tx) error {
				return tx.PutEmbeddings(vocab.SpaceCells, tr.DatasetIDs[d], ids, c.Dim, vecs, prov("cell-model", CellModel, tr.DatasetIDs...))
			})
			if err != nil {
				return nil, err
			}
		}
	}
	// edges, collection, aliases
	return tr, db.Update(func(tx *store.Tx) error {
		if c.Edges {
			byMod := make([][]int, c.Modules)
			for i, m := range tr.Module {
				byMod[m] = append(byMod[m], i)
			}
			for d, id := range tr.DatasetIDs {
				var es []store.Edge
				for m, members := range byMod {
					if m%2 == 1 && d > 0 {
						continue
					}
					for a := range members {
						for s := 1; s <= 3 && a+s < len(members); s++ {
							es = append(es, store.Edge{A: tr.GeneIDs[members[a]], B: tr.GeneIDs[members[a+s]], Weight: 0.9 - 0.1*float32(s) + 0.01*float32(d)})
						}
					}
				}
				for r := 0; r < len(byMod[0]) && r < len(byMod[1]); r++ {
					es = append(es, store.Edge{A: tr.GeneIDs[byMod[0][r]], B: tr.GeneIDs[byMod[1][r]], Weight: -0.4})
				}
				if err := tx.PutEdges(id, es, prov("coexpr", "pearson-1", id)); err != nil {
					return err
				}
			}
		}
		var sets []store.GeneSet
		for m := 0; m < c.Modules; m++ {
			var g []string
			for i, mm := range tr.Module {
				if mm == m {
					g = append(g, tr.Symbols[i])
				}
			}
			sets = append(sets, store.GeneSet{ID: fmt.Sprintf("MOD:%d", m), Name: fmt.Sprintf("module %d", m), Genes: g})
		}
		for j := 0; j < c.Modules; j++ {
			seen := map[int]bool{}
			var g []string
			for len(g) < c.Genes/c.Modules {
				i := rng.IntN(c.Genes)
				if !seen[i] {
					seen[i] = true
					g = append(g, tr.Symbols[i])
				}
			}
			sets = append(sets, store.GeneSet{ID: fmt.Sprintf("RAND:%d", j), Name: "random", Genes: g})
		}
		if err := tx.PutCollection(Collection, sets); err != nil {
			return err
		}
		al := map[string]string{}
		for _, s := range tr.Symbols {
			al[strings.ToLower("OLD"+s)] = s
		}
		return backend.PutAliases(tx, al)
	})
}

// BenchConfig is the benchmark store of issue 6: 20,000 genes in 32 modules,
// 32 dimensions, cells split over two datasets, noise 0.5, no edges.
func BenchConfig(cells int) Config {
	return Config{Genes: 20000, Modules: 32, Dim: 32, Cells: []int{cells / 2, cells - cells/2}, Noise: 0.5, Seed: 1}
}
