package ingest

import (
	"errors"
	"fmt"
	"genestore/vocab"
)

// Format names accepted by Options.Format and reported in Dataset.Format.
const (
	FormatAuto   = "auto"
	FormatMTX    = "mtx"
	FormatH5AD   = "h5ad"
	FormatTenxH5 = "10x-h5"
	FormatCSV    = "csv"
)

// Default limits. They guard against declared sizes that would make the
// reader allocate blindly; raise them for atlases larger than this.
const (
	// DefaultMaxNNZ is the default limit on stored values (and on the
	// number of elements of a dense matrix): 2^31-1.
	DefaultMaxNNZ = 1<<31 - 1
	// DefaultMaxDim is the default limit on cells and on genes: 2^31-1,
	// the most an int32 column index can address.
	DefaultMaxDim = 1<<31 - 1
)

// Options controls Read. The zero value is usable: it behaves like
// DefaultOptions().
type Options struct {
	// Format is "auto" (or ""), "mtx", "h5ad", "10x-h5" or "csv".
	Format string
	// Obs is the path of a CSV/TSV of per-cell metadata joined on barcode.
	// For a Matrix Market folder, an obs.csv inside the folder is used
	// when Obs is empty.
	Obs string
	// Values declares what the matrix holds; "" infers it (see the package
	// documentation). Declaring vocab.Counts makes non-integer values an error.
	Values vocab.ValueType
	// Transpose flips the CSV orientation. By default a CSV has one row per
	// gene and one column per cell (as 10x and Seurat export it); with
	// Transpose it has one row per cell and one column per gene.
	Transpose bool
	// Delimiter of a CSV matrix; 0 chooses by file extension (tab for .tsv
	// and .txt, comma otherwise). The obs file's delimiter always follows
	// its extension.
	Delimiter rune
	// MaxNNZ limits the number of stored values (0 = DefaultMaxNNZ).
	MaxNNZ int64
	// MaxDim limits the number of cells and of genes (0 = DefaultMaxDim).
	MaxDim int64
	// Coords names two obs columns holding each cell's x and y (spatial
	// data); empty reads them from obsm["spatial"] of an h5ad or from a
	// Space Ranger spatial/ folder beside the matrix, when present.
	Coords [2]string
	// Progress, when set, is called from Read's goroutine with the bytes of
	// the main input file read so far and its size: every 4 MiB and at the
	// end for mtx and CSV (compressed bytes for gzip), and at the start and
	// end of an HDF5 file, which the library reads in one go.
	Progress func(done, total int64)
}

// DefaultOptions returns the options Read uses when given a zero Options.
func DefaultOptions() Options {
	return Options{Format: FormatAuto, MaxNNZ: DefaultMaxNNZ, MaxDim: DefaultMaxDim}
}

// withDefaults fills zero fields with their defaults.
func (o Options) withDefaults() Options {
	if o.Format == "" {
		o.Format = FormatAuto
	}
	if o.MaxNNZ == 0 {
		o.MaxNNZ = DefaultMaxNNZ
	}
	if o.MaxDim == 0 {
		o.MaxDim = DefaultMaxDim
	}
	return o
}

// Validate reports every problem with o at once (errors.Join); each wraps
// ErrOptions.
func (o Options) Validate() error {
	var errs []error
	switch o.Format {
	case "", FormatAuto, FormatMTX, FormatH5AD, FormatTenxH5, FormatCSV:
	default:
		errs = append(errs, fmt.Errorf("%w: unknown format %q (want auto, mtx, h5ad, 10x-h5 or csv)", ErrOptions, o.Format))
	}
	switch o.Values {
	case "", vocab.Counts, vocab.Normalized, vocab.Log:
	default:
		errs = append(errs, fmt.Errorf("%w: unknown value type %q (want counts, normalized or log)", ErrOptions, o.Values))
	}
	switch o.Delimiter {
	case 0, ',', '\t', ';', ' ', '|':
	default:
		errs = append(errs, fmt.Errorf("%w: unsupported delimiter %q", ErrOptions, o.Delimiter))
	}
	if (o.Coords[0] == "") != (o.Coords[1] == "") || (o.Coords[0] != "" && o.Coords[0] == o.Coords[1]) {
		errs = append(errs, fmt.Errorf("%w: coordinates need two different obs columns, got %q and %q", ErrOptions, o.Coords[0], o.Coords[1]))
	}
	if o.MaxNNZ < 0 {
		errs = append(errs, fmt.Errorf("%w: MaxNNZ %d is negative", ErrOptions, o.MaxNNZ))
	}
	if o.MaxDim < 0 || o.MaxDim > DefaultMaxDim {
		errs = append(errs, fmt.Errorf("%w: MaxDim %d outside [0, %d]", ErrOptions, o.MaxDim, int64(DefaultMaxDim)))
	}
	return errors.Join(errs...)
}
