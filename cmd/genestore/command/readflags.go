package command

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"genestore/store"
	"genestore/store/ingest"
	"genestore/vocab"
)

// readFlags are the input flags ingest and append share.
type readFlags struct {
	format    string
	obs       string
	values    string
	transpose bool
}

func (r *readFlags) register(f *pflag.FlagSet) {
	f.StringVar(&r.format, "format", "auto", "input format: auto, mtx, h5ad, 10x-h5 or csv")
	f.StringVar(&r.obs, "obs", "", "CSV/TSV of cell metadata joined on its barcode column")
	f.StringVar(&r.values, "values", "", "what the matrix holds: counts, normalized or log (default: inferred)")
	f.BoolVar(&r.transpose, "transpose", false, "CSV only: rows are cells and columns are genes")
}

// options returns the reader options the flags describe, validated.
func (r *readFlags) options() (ingest.Options, error) {
	o := ingest.DefaultOptions()
	o.Format, o.Obs, o.Values, o.Transpose = r.format, r.obs, vocab.ValueType(r.values), r.transpose
	return o, o.Validate()
}

// openForNewDataset opens the store for writing and reads the dataset at
// path, refusing a reserved name or one the store already has before
// spending time on parsing. verb prefixes the error. The caller closes the store.
func (r *readFlags) openForNewDataset(ctx context.Context, g *globalOptions, verb, name, path string) (*store.DB, *ingest.Dataset, error) {
	ropts, err := r.options()
	if err != nil {
		return nil, nil, err
	}
	if err := store.CheckDatasetName(name); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", verb, err)
	}
	db, err := openStore(g, false)
	if err != nil {
		return nil, nil, err
	}
	if _, err := db.DatasetByName(name); err == nil {
		db.Close()
		return nil, nil, fmt.Errorf("%s %s: %w", verb, name, store.ErrDatasetExists)
	}
	ds, err := ingest.Read(ctx, path, ropts)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, ds, nil
}
