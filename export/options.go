package export

import (
	"errors"
	"fmt"

	"genestore/vocab"
)

// Formats Export writes.
const (
	FormatTSV  = "tsv"
	FormatH5AD = "h5ad"
)

// Options choose what Write and WriteFile write. The zero value exports
// the genes space as TSV.
type Options struct {
	Space      string // vocab.SpaceGenes (default), vocab.SpaceCells, vocab.SpaceCellGenes or vocab.SpaceCellsFromGenes
	Format     string // FormatTSV (default) or FormatH5AD
	WithCounts bool   // cells as h5ad only: X = the raw matrix of the exported cells
	NoLayers   bool   // cells as h5ad: leave out the datasets' derived layers (obsm "layer_<name>")
	Force      bool   // WriteFile: replace an existing file
}

// DefaultOptions exports the genes space as TSV.
func DefaultOptions() Options {
	return Options{Space: vocab.SpaceGenes, Format: FormatTSV}
}

// withDefaults fills empty fields with DefaultOptions' values.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.Space == "" {
		o.Space = d.Space
	}
	if o.Format == "" {
		o.Format = d.Format
	}
	return o
}

// Validate reports every problem of o at once.
func (o Options) Validate() error {
	o = o.withDefaults()
	var errs []error
	switch o.Space {
	case vocab.SpaceGenes, vocab.SpaceCells, vocab.SpaceCellGenes, vocab.SpaceCellsFromGenes:
	default:
		errs = append(errs, fmt.Errorf("%w: unknown space %q (genes, cells, cell-genes or cells-from-genes)", ErrOptions, o.Space))
	}
	switch o.Format {
	case FormatTSV, FormatH5AD:
	default:
		errs = append(errs, fmt.Errorf("%w: unknown format %q (tsv or h5ad)", ErrOptions, o.Format))
	}
	if o.WithCounts && (!vocab.IsCellSpace(o.Space) || o.Format != FormatH5AD) {
		errs = append(errs, fmt.Errorf("%w: counts go with a cell space as h5ad", ErrOptions))
	}
	return errors.Join(errs...)
}

var (
	// ErrOptions reports invalid Options.
	ErrOptions = errors.New("export: invalid options")
	// ErrExists reports an output file that exists while Options.Force is
	// false.
	ErrExists = errors.New("export: output file exists")
)
