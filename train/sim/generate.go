package sim

import (
	"context"
	"fmt"
	"slices"

	"genestore/internal/sparse"
)

// Simulation is an in-memory simulation: the datasets and the truth that
// generated them.
type Simulation struct {
	Datasets []Dataset
	Truth    Truth
}

// Dataset is one simulated dataset (one batch). X is cells × genes raw
// counts (non-negative integers stored as float32); Genes, Barcodes,
// CellTypes and Batches label its columns and rows.
type Dataset struct {
	Name      string      // D1, D2, …
	X         *sparse.CSR // cells × genes counts
	Genes     []string    // len X.Cols: gene names, a subset of Truth.Genes in its order (a second species's renamed, Sg0001 for G0001: Truth.DatasetGenes maps them)
	Barcodes  []string    // len X.Rows: D1_C000001, …
	CellTypes []string    // len X.Rows: T1, T2, …
	Batches   []string    // len X.Rows: the batch of each cell (the dataset name)
	Species   string      // SpeciesHome, or SpeciesOther (genes named Sg0001, …)
	Modality  string      // ModalityRNA, or ModalitySpat (cells are spots)
	// Coords holds each spot's grid position (x, y) for a spatial dataset;
	// nil otherwise.
	Coords [][2]float64
}

// Truth is what generated the data: use it to score gene and cell models.
// Module numbers are 0-based here; files (WriteDir) write them 1-based, so
// module m is MODULE_{m+1} in the GMT file (see ModuleName).
type Truth struct {
	Genes  []string // the gene universe G0001, …
	Module []int    // canonical module of each universe gene, -1 = background
	// DatasetModule gives, per dataset name, the module of each of that
	// dataset's genes (aligned with Dataset.Genes) after rewiring; -1 = none.
	DatasetModule map[string][]int
	// DatasetGenes gives, per dataset name, the universe index of each of
	// that dataset's genes (aligned with Dataset.Genes).
	DatasetGenes map[string][]int
	// BatchGenes gives, per dataset name, the batch-specific genes (names).
	BatchGenes map[string][]string
	// CellTypes names the cell types; CellTypePrograms[t] lists the modules
	// that type t strongly activates (sorted).
	CellTypes        []string
	CellTypePrograms [][]int
	// DatasetCellTypes gives, per dataset name, the cell types it contains.
	DatasetCellTypes map[string][]string
	// Orthologs pairs (home, second-species) gene names, in universe
	// order, for every universe gene that has an ortholog; nil without a
	// second species. Genes missing here are one-to-none.
	Orthologs [][2]string
}

// ModuleName is the name of 0-based module m in files written by WriteDir
// (MODULE_01 for m = 0 when there are fewer than 100 modules).
func ModuleName(m, modules int) string {
	return fmt.Sprintf("MODULE_%0*d", max(2, digits(modules)), m+1)
}

// truth builds the Truth of m.
func (m *model) truth() Truth {
	t := Truth{
		Genes:            slices.Clone(m.geneNames),
		Module:           slices.Clone(m.module),
		DatasetModule:    map[string][]int{},
		DatasetGenes:     map[string][]int{},
		BatchGenes:       map[string][]string{},
		CellTypes:        slices.Clone(m.typeNames),
		CellTypePrograms: make([][]int, len(m.typePrograms)),
		DatasetCellTypes: map[string][]string{},
		Orthologs:        m.orthologs(),
	}
	for i, p := range m.typePrograms {
		t.CellTypePrograms[i] = slices.Clone(p)
	}
	for _, ds := range m.datasets {
		t.DatasetModule[ds.name] = slices.Clone(ds.module)
		t.DatasetGenes[ds.name] = slices.Clone(ds.genes)
		var bg []string
		for _, j := range ds.batchGenes {
			bg = append(bg, m.geneName(ds, ds.genes[j]))
		}
		t.BatchGenes[ds.name] = bg
		var types []string
		for ti, ok := range ds.present {
			if ok {
				types = append(types, m.typeNames[ti])
			}
		}
		t.DatasetCellTypes[ds.name] = types
	}
	return t
}

func (ds *datasetModel) barcode(buf []byte, cell int) []byte {
	buf = append(buf, ds.name...)
	buf = append(buf, "_C"...)
	return appendPadded(buf, int64(cell+1), ds.barcodeW)
}

// appendPadded appends v in decimal, left-padded with zeros to width w.
func appendPadded(buf []byte, v int64, w int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for v >= 10 {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	tmp[i] = byte('0' + v)
	for n := len(tmp) - i; n < w; n++ {
		buf = append(buf, '0')
	}
	return append(buf, tmp[i:]...)
}

// Generate simulates cfg in memory. It holds every count, so it is meant for
// tests and small data; use WriteDir for large simulations. The data equal
// what WriteDir writes for the same cfg.
func Generate(ctx context.Context, cfg Config) (*Simulation, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := newModel(cfg)
	sim := &Simulation{Truth: m.truth()}
	workers := defaultWorkers()
	scratches := make([]scratch, workers)
	for _, ds := range m.datasets {
		X := &sparse.CSR{Rows: cfg.Cells, Cols: len(ds.genes), Indptr: make([]int64, 1, cfg.Cells+1)}
		out := Dataset{
			Name:      ds.name,
			X:         X,
			Genes:     make([]string, len(ds.genes)),
			Barcodes:  make([]string, 0, cfg.Cells),
			CellTypes: make([]string, 0, cfg.Cells),
			Batches:   make([]string, cfg.Cells),
			Species:   SpeciesHome,
			Modality:  ModalityRNA,
		}
		if ds.otherSpecies {
			out.Species = SpeciesOther
		}
		if ds.spatial != nil {
			out.Modality = ModalitySpat
			out.Coords = make([][2]float64, cfg.Cells)
			for i := range out.Coords {
				out.Coords[i][0], out.Coords[i][1] = ds.spatial.coords(i)
			}
		}
		for j, g := range ds.genes {
			out.Genes[j] = m.geneName(ds, g)
		}
		for i := range out.Batches {
			out.Batches[i] = ds.name
		}
		var buf []byte
		err := pipeline(ctx, m.numBlocks(), workers,
			func(w, blk int) (*cellBlock, error) {
				b := &cellBlock{}
				m.fillBlock(ds, blk, b, &scratches[w])
				return b, nil
			},
			func(_ int, b *cellBlock) error {
				base := X.Indptr[len(X.Indptr)-1]
				for i := range b.len() {
					out.CellTypes = append(out.CellTypes, m.typeNames[b.types[i]])
					buf = ds.barcode(buf[:0], b.first+i)
					out.Barcodes = append(out.Barcodes, string(buf))
					X.Indptr = append(X.Indptr, base+b.indptr[i+1])
				}
				X.Indices = append(X.Indices, b.genes...)
				for _, c := range b.counts {
					X.Data = append(X.Data, float32(c))
				}
				return nil
			})
		if err != nil {
			return nil, err
		}
		sim.Datasets = append(sim.Datasets, out)
	}
	return sim, nil
}
