package ingest

import (
	"genestore/internal/sparse"
	"genestore/vocab"
)

// Gene is one feature (column) of a dataset as the source file names it.
type Gene struct {
	ID     string // stable identifier (e.g. Ensembl id); may equal Symbol when the source has none
	Symbol string // gene symbol as given (not made unique)
}

// ObsColumn is one column of per-cell metadata. Values has one entry per cell,
// in the order of Dataset.Barcodes; a missing value is the empty string.
type ObsColumn struct {
	Name        string
	Categorical bool // true when the source stored it as a category (h5ad) or it is non-numeric text
	Values      []string
}

// Dataset is one count matrix with its annotations, as read from a source
// file, before it is given an id in a store. X is cells × genes.
type Dataset struct {
	Format   string          // "mtx", "h5ad", "10x-h5" or "csv"
	Source   string          // path the dataset was read from
	SHA256   string          // hex SHA-256 over the bytes of every input file, in a fixed order
	Values   vocab.ValueType // what X holds
	X        *sparse.CSR
	Genes    []Gene   // len X.Cols
	Barcodes []string // len X.Rows, unique
	Obs      []ObsColumn
	// Coords holds each cell's (spot's) x/y position for spatial data, in
	// the order of Barcodes; nil when the input has none.
	Coords [][2]float64
}

// Column returns the obs column with the given name, or nil.
func (d *Dataset) Column(name string) *ObsColumn {
	for i := range d.Obs {
		if d.Obs[i].Name == name {
			return &d.Obs[i]
		}
	}
	return nil
}
