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
	coords    []string
	modality  string
	species   string
	orthologs string
}

func (r *readFlags) register(f *pflag.FlagSet) {
	f.StringVar(&r.format, "format", "auto", "input format: auto, mtx, h5ad, 10x-h5 or csv")
	f.StringVar(&r.obs, "obs", "", "CSV/TSV of cell metadata joined on its barcode column")
	f.StringVar(&r.values, "values", "", "what the matrix holds: counts, normalized or log (default: inferred)")
	f.BoolVar(&r.transpose, "transpose", false, "CSV only: rows are cells and columns are genes")
	f.StringSliceVar(&r.coords, "coords", nil, "X,Y: two obs columns holding spot coordinates (spatial data; default: obsm[\"spatial\"] or a Space Ranger spatial/ folder beside the matrix)")
	f.StringVar(&r.modality, "modality", "", "rna, spatial, atac-activity or bulk (default: spatial when the input has coordinates, else rna)")
	f.StringVar(&r.species, "species", "", "the dataset's species, e.g. human or mouse (default: the store's home species)")
	f.StringVar(&r.orthologs, "orthologs", "", "one-to-one ortholog table joining this species' genes to the home species' (TSV with <species>_symbol columns, or MGI's HOM_MouseHumanSequence.rpt), or symbol-case to match symbols ignoring case")
}

// addOptions returns the store options the species and modality flags
// describe, reading the ortholog table; home is the store's home species.
func (r *readFlags) addOptions(batchKey, home string) (store.AddOptions, error) {
	o := store.AddOptions{BatchKey: batchKey, Modality: vocab.Modality(r.modality)}
	if r.modality != "" && !o.Modality.Valid() {
		return o, fmt.Errorf("--modality %q: want one of %v", r.modality, vocab.Modalities())
	}
	if r.species != "" {
		sp, err := ingest.CheckSpecies(r.species)
		if err != nil {
			return o, err
		}
		o.Species = sp
	}
	switch {
	case r.orthologs == "":
	case r.species == "":
		return o, fmt.Errorf("--orthologs needs --species (the species of the dataset's genes)")
	case r.orthologs == "symbol-case":
		o.Orthologs = ingest.SymbolCaseOrthologs(o.Species, home)
	default:
		orth, err := ingest.ReadOrthologs(r.orthologs, o.Species, home)
		if err != nil {
			return o, err
		}
		o.Orthologs = orth
	}
	return o, nil
}

// options returns the reader options the flags describe, validated.
func (r *readFlags) options() (ingest.Options, error) {
	o := ingest.DefaultOptions()
	o.Format, o.Obs, o.Values, o.Transpose = r.format, r.obs, vocab.ValueType(r.values), r.transpose
	switch len(r.coords) {
	case 0:
	case 2:
		o.Coords = [2]string{r.coords[0], r.coords[1]}
	default:
		return o, fmt.Errorf("--coords wants two obs columns X,Y, got %d", len(r.coords))
	}
	return o, o.Validate()
}

// openForNewDataset opens the store for writing and reads the dataset at
// path, refusing a reserved name or one the store already has, and reading
// the ortholog table, before spending time on parsing. verb prefixes the
// error. It returns the options to add the dataset with. The caller closes
// the store.
func (r *readFlags) openForNewDataset(ctx context.Context, g *globalOptions, verb, name, path, batchKey string) (*store.DB, *ingest.Dataset, store.AddOptions, error) {
	ropts, err := r.options()
	if err != nil {
		return nil, nil, store.AddOptions{}, err
	}
	if err := store.CheckDatasetName(name); err != nil {
		return nil, nil, store.AddOptions{}, fmt.Errorf("%s: %w", verb, err)
	}
	db, err := openStore(g, false)
	if err != nil {
		return nil, nil, store.AddOptions{}, err
	}
	if _, err := db.DatasetByName(name); err == nil {
		db.Close()
		return nil, nil, store.AddOptions{}, fmt.Errorf("%s %s: %w", verb, name, store.ErrDatasetExists)
	}
	home, err := db.HomeSpecies()
	if err != nil {
		db.Close()
		return nil, nil, store.AddOptions{}, err
	}
	aopts, err := r.addOptions(batchKey, home)
	if err != nil {
		db.Close()
		return nil, nil, store.AddOptions{}, fmt.Errorf("%s: %w", verb, err)
	}
	ds, err := ingest.Read(ctx, path, ropts)
	if err != nil {
		db.Close()
		return nil, nil, store.AddOptions{}, err
	}
	return db, ds, aopts, nil
}
