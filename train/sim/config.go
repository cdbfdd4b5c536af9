package sim

import (
	"errors"
	"fmt"
	"math"
)

// ErrInvalidConfig is wrapped by every error Validate reports.
var ErrInvalidConfig = errors.New("sim: invalid config")

// Config describes one simulation. Every field maps 1:1 to a flag of
// `genestore simulate` (the flag name is given in brackets). Start from
// DefaultConfig and change what you need; the zero Config is not valid.
type Config struct {
	// Datasets is the number of datasets (batches) to simulate, named D1, D2, … [--datasets].
	Datasets int `json:"datasets"`
	// Cells is the number of cells per dataset [--cells].
	Cells int `json:"cells"`
	// Genes is the size of the gene universe G0001…; each dataset measures the
	// shared genes plus its own share of the rest (see GeneOverlap) [--genes].
	Genes int `json:"genes"`
	// Modules is the number of co-expressed gene programs [--modules].
	Modules int `json:"modules"`
	// ModuleGenes is the fraction of genes that belong to a module; the rest
	// are background genes [--module-genes].
	ModuleGenes float64 `json:"module_genes"`
	// CellTypes is the number of cell types, named T1, T2, … [--cell-types].
	CellTypes int `json:"cell_types"`
	// Seed makes the simulation reproducible: the same Config gives the same
	// bytes [--seed].
	Seed uint64 `json:"seed"`
	// BatchEffect is the strength of the per-dataset batch effect: the SD of
	// the log-normal per-dataset-per-gene factor; 1% of each dataset's genes
	// are also raised by 4×BatchEffect in log space (batch-specific genes).
	// 0 turns batch effects off [--batch-effect].
	BatchEffect float64 `json:"batch_effect"`
	// Rewire is the fraction of each dataset's module genes that are moved to
	// another module or to the background in that dataset only
	// (dataset-specific co-expression) [--rewire].
	Rewire float64 `json:"rewire"`
	// GeneOverlap is the fraction of the gene universe that every dataset
	// measures; every other gene is measured by exactly one dataset, so
	// datasets have different gene counts when it is below 1 [--gene-overlap].
	GeneOverlap float64 `json:"gene_overlap"`
	// LibSizeMean is the median library size (expected UMIs per cell) [--lib-size-mean].
	LibSizeMean float64 `json:"lib_size_mean"`
	// LibSizeSD is the SD of the natural log of the library size across cells
	// of one dataset; each dataset's median is also moved by a log-normal
	// factor with SD LibSizeSD/2 [--lib-size-sd].
	LibSizeSD float64 `json:"lib_size_sd"`
	// Dispersion is the mean negative-binomial dispersion φ (variance =
	// μ + φμ²); each gene's φ is Dispersion × a log-normal factor (SD 0.5).
	// 0 gives Poisson counts [--dispersion].
	Dispersion float64 `json:"dispersion"`
	// DropDatasetTypes is the number of cell types absent from each dataset
	// after the first (D1 always has every type) [--drop-dataset-types].
	DropDatasetTypes int `json:"drop_dataset_types"`
	// ProgramStrength is the log-scale activity of a module in the cell types
	// that activate it (each type activates 2–3 modules) [--program-strength].
	ProgramStrength float64 `json:"program_strength"`
	// ProgramNoise is the SD of the per-cell, per-module activity noise that
	// makes module genes co-vary inside a cell type [--program-noise].
	ProgramNoise float64 `json:"program_noise"`
	// Spatial is the number of datasets, counted back from the last, that
	// are spatial sections: their cells are spots on a grid whose module
	// activities mix the cell types of nearby tissue domains and follow a
	// smooth field per module (doc.go, Spatial) [--spatial].
	Spatial int `json:"spatial,omitempty"`
	// OtherSpecies is the number of datasets just before the spatial ones
	// that come from a second species: their genes carry that species'
	// names (G0001 → Sg0001), joined to the universe by the ortholog table
	// written to truth/orthologs.tsv [--other-species].
	OtherSpecies int `json:"other_species,omitempty"`
	// OrthologLoss is the fraction of universe genes that have no ortholog
	// in the table: in second-species datasets they stay that species' own
	// genes (one-to-none) [--ortholog-loss].
	OrthologLoss float64 `json:"ortholog_loss,omitempty"`
}

// DefaultConfig returns the configuration of `genestore simulate` without
// flags: 3 datasets × 2,000 cells, 2,000 genes, 20 modules, 8 cell types and
// a strong batch effect (a PCA of the pooled data separates the datasets).
func DefaultConfig() Config {
	return Config{
		Datasets:         3,
		Cells:            2000,
		Genes:            2000,
		Modules:          20,
		ModuleGenes:      0.6,
		CellTypes:        8,
		Seed:             1,
		BatchEffect:      0.5,
		Rewire:           0.05,
		GeneOverlap:      0.9,
		LibSizeMean:      3000,
		LibSizeSD:        0.4,
		Dispersion:       0.2,
		DropDatasetTypes: 0,
		ProgramStrength:  2.0,
		ProgramNoise:     0.7,
		OrthologLoss:     0.1,
	}
}

// Limits on sizes, so indices fit the int32 columns of sparse.CSR and names
// stay reasonable.
const (
	maxGenes    = 1 << 24
	maxCells    = 1 << 31
	maxDatasets = 1 << 16
	maxModules  = 1 << 16
)

// Validate reports every problem of c at once (errors.Join); each error
// wraps ErrInvalidConfig.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...))
	}
	finite := func(name string, v float64) bool {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			bad("%s = %v is not finite", name, v)
			return false
		}
		return true
	}
	if c.Datasets < 1 || c.Datasets > maxDatasets {
		bad("datasets = %d, want 1..%d", c.Datasets, maxDatasets)
	}
	if c.Cells < 1 || c.Cells > maxCells {
		bad("cells = %d, want 1..%d", c.Cells, maxCells)
	}
	if c.Genes < 1 || c.Genes > maxGenes {
		bad("genes = %d, want 1..%d", c.Genes, maxGenes)
	}
	if c.Modules < 1 || c.Modules > maxModules {
		bad("modules = %d, want 1..%d", c.Modules, maxModules)
	}
	if c.CellTypes < 1 || c.CellTypes > maxModules {
		bad("cell types = %d, want 1..%d", c.CellTypes, maxModules)
	}
	if finite("module genes", c.ModuleGenes) {
		if c.ModuleGenes <= 0 || c.ModuleGenes > 1 {
			bad("module genes = %v, want a fraction in (0, 1]", c.ModuleGenes)
		} else if c.Genes >= 1 && c.Modules >= 1 && moduleGeneCount(c) < 2*c.Modules {
			bad("module genes × genes = %d genes for %d modules, want at least 2 per module", moduleGeneCount(c), c.Modules)
		}
	}
	if finite("batch effect", c.BatchEffect) && (c.BatchEffect < 0 || c.BatchEffect > 10) {
		bad("batch effect = %v, want 0..10", c.BatchEffect)
	}
	if finite("rewire", c.Rewire) && (c.Rewire < 0 || c.Rewire > 1) {
		bad("rewire = %v, want a fraction in [0, 1]", c.Rewire)
	}
	if finite("gene overlap", c.GeneOverlap) {
		if c.GeneOverlap <= 0 || c.GeneOverlap > 1 {
			bad("gene overlap = %v, want a fraction in (0, 1]", c.GeneOverlap)
		} else if c.Genes >= 1 && sharedGeneCount(c) < 1 {
			bad("gene overlap = %v leaves no gene shared by all datasets", c.GeneOverlap)
		}
	}
	if finite("library size mean", c.LibSizeMean) && (c.LibSizeMean <= 0 || c.LibSizeMean > 1e9) {
		bad("library size mean = %v, want > 0 and ≤ 1e9", c.LibSizeMean)
	}
	if finite("library size SD", c.LibSizeSD) && (c.LibSizeSD < 0 || c.LibSizeSD > 5) {
		bad("library size SD = %v, want 0..5 (log scale)", c.LibSizeSD)
	}
	if finite("dispersion", c.Dispersion) && (c.Dispersion < 0 || c.Dispersion > 10) {
		bad("dispersion = %v, want 0..10", c.Dispersion)
	}
	if c.DropDatasetTypes < 0 || (c.CellTypes >= 1 && c.DropDatasetTypes >= c.CellTypes) {
		bad("drop dataset types = %d, want 0..%d (cell types - 1)", c.DropDatasetTypes, max(c.CellTypes-1, 0))
	}
	if finite("program strength", c.ProgramStrength) && (c.ProgramStrength < 0 || c.ProgramStrength > 10) {
		bad("program strength = %v, want 0..10 (log scale)", c.ProgramStrength)
	}
	if finite("program noise", c.ProgramNoise) && (c.ProgramNoise < 0 || c.ProgramNoise > 5) {
		bad("program noise = %v, want 0..5 (log scale)", c.ProgramNoise)
	}
	if c.Spatial < 0 || c.OtherSpecies < 0 || (c.Datasets >= 1 && c.Spatial+c.OtherSpecies >= c.Datasets) {
		bad("spatial = %d and other species = %d datasets, want ≥ 0 and together below datasets = %d (D1 is always the home species' scRNA)",
			c.Spatial, c.OtherSpecies, c.Datasets)
	}
	if finite("ortholog loss", c.OrthologLoss) && (c.OrthologLoss < 0 || c.OrthologLoss >= 1) {
		bad("ortholog loss = %v, want a fraction in [0, 1)", c.OrthologLoss)
	}
	return errors.Join(errs...)
}

// sharedGeneCount is the number of genes every dataset measures.
func sharedGeneCount(c Config) int {
	if c.Datasets <= 1 {
		return c.Genes
	}
	return int(math.Round(c.GeneOverlap * float64(c.Genes)))
}

// moduleGeneCount is the number of genes that belong to some module.
func moduleGeneCount(c Config) int {
	return int(math.Round(c.ModuleGenes * float64(c.Genes)))
}
