package prep

import (
	"errors"
	"fmt"

	"genestore/internal/sparse"
)

// QCOptions are the quality-control thresholds. The zero value keeps
// everything.
type QCOptions struct {
	// MinCellsPerGene drops genes with a non-zero value in fewer cells (among
	// the cells that pass MinGenesPerCell).
	MinCellsPerGene int
	// MinGenesPerCell drops cells with fewer genes with a non-zero value.
	MinGenesPerCell int
}

// DefaultQCOptions returns scanpy-like thresholds scaled for small panels:
// genes seen in at least 3 cells, cells with at least 10 detected genes.
func DefaultQCOptions() QCOptions { return QCOptions{MinCellsPerGene: 3, MinGenesPerCell: 10} }

// Validate reports every invalid field.
func (o QCOptions) Validate() error {
	var errs []error
	if o.MinCellsPerGene < 0 {
		errs = append(errs, fmt.Errorf("%w: MinCellsPerGene %d < 0", ErrOptions, o.MinCellsPerGene))
	}
	if o.MinGenesPerCell < 0 {
		errs = append(errs, fmt.Errorf("%w: MinGenesPerCell %d < 0", ErrOptions, o.MinGenesPerCell))
	}
	return errors.Join(errs...)
}

// QC returns the indices (increasing) of the cells and genes that pass the
// thresholds. Cells are filtered first on the whole matrix, then genes are
// counted over the kept cells only. Stored zeros do not count as detected.
func QC(X *sparse.CSR, opts QCOptions) (cells, genes []int, err error) {
	if err := opts.Validate(); err != nil {
		return nil, nil, err
	}
	if X == nil {
		return nil, nil, fmt.Errorf("%w: nil matrix", ErrInput)
	}
	cellsPerGene := make([]int, X.Cols)
	for r := 0; r < X.Rows; r++ {
		idx, val := X.Row(r)
		n := 0
		for _, v := range val {
			if v != 0 {
				n++
			}
		}
		if n < opts.MinGenesPerCell {
			continue
		}
		cells = append(cells, r)
		for k, c := range idx {
			if val[k] != 0 {
				cellsPerGene[c]++
			}
		}
	}
	for g, n := range cellsPerGene {
		if n >= opts.MinCellsPerGene {
			genes = append(genes, g)
		}
	}
	return cells, genes, nil
}
