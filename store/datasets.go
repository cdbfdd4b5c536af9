package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"genestore/store/ingest"
	"genestore/vocab"
)

// DatasetInfo describes one stored dataset. Its JSON form (snake_case keys)
// is what `genestore datasets --json` prints.
type DatasetInfo struct {
	ID               uint32          `json:"id"`
	Name             string          `json:"name"`
	Format           string          `json:"format"`
	Source           string          `json:"source"`
	SHA256           string          `json:"sha256"`
	Values           vocab.ValueType `json:"values"`
	Cells            int             `json:"cells"`
	Genes            int             `json:"genes"`
	NNZ              int64           `json:"nnz"`
	ObsColumns       []string        `json:"obs_columns"`
	BatchKey         string          `json:"batch_key"`
	Added            time.Time       `json:"added"`
	DuplicateSymbols int             `json:"duplicate_symbols"` // columns whose symbol already occurred earlier in the dataset
	// Modality is the kind of assay (schema 5; older records read "rna").
	Modality vocab.Modality `json:"modality"`
	// Species is the organism as given at ingest ("" = the store's home
	// species; see HomeSpecies).
	Species string `json:"species,omitempty"`
	// GeneJoin says how the dataset's genes were joined to the vocabulary
	// when its species is not the home species: "" (by symbol, home
	// species), "species-private" (kept apart), "orthologs <source>: <n>
	// one-to-one pairs, <m> genes joined" or "symbol-case: <m> genes
	// joined" (the explicit opt-in that matches symbols ignoring case).
	GeneJoin string `json:"gene_join,omitempty"`
	// Spots is the number of cells with stored x/y coordinates (0 when
	// the dataset has none).
	Spots int `json:"spots,omitempty"`
}

// MarshalJSON writes d with obs_columns [] rather than null when the dataset
// has no obs columns, so that clients can always iterate the array.
func (d DatasetInfo) MarshalJSON() ([]byte, error) {
	type plain DatasetInfo // without this method
	p := plain(d)
	if p.ObsColumns == nil {
		p.ObsColumns = []string{}
	}
	return json.Marshal(p)
}

// AddOptions tune AddDataset.
type AddOptions struct {
	// BatchKey names the obs column holding each cell's batch; empty means
	// the whole dataset is one batch. An unknown name is an error.
	BatchKey string
	// Modality of the dataset; empty means spatial when the dataset has
	// coordinates and rna otherwise.
	Modality vocab.Modality
	// Species of the dataset (lower case, e.g. "human", "mouse"); empty
	// means the store's home species. The first dataset that names a
	// species makes it the home species (unless Orthologs names another).
	Species string
	// Orthologs joins the genes of a dataset whose species is not the home
	// species to home genes (nil: its genes are kept apart). See
	// ingest.ReadOrthologs and ingest.SymbolCaseOrthologs.
	Orthologs *ingest.Orthologs
}

// MaxNameLen bounds dataset, space, blob and clustering names (bytes).
const MaxNameLen = 256

// checkName validates a user-given name.
// plainText reports whether s is UTF-8 without control characters (tabs,
// newlines, NUL…): what a barcode or a gene symbol must be to be written
// back as a TSV field or an HDF5 string.
func plainText(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}

func checkName(what, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty %s name", ErrInvalid, what)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: %s name is %d bytes (max %d)", ErrInvalid, what, len(name), MaxNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: %s name %q is not UTF-8", ErrInvalid, what, name)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: %s name %q has a control character", ErrInvalid, what, name)
	}
	return nil
}

// CheckDatasetName reports whether name may name a new dataset: it must be a
// valid name (not empty, at most MaxNameLen bytes of UTF-8 without control
// characters) and not reserved. Reserved: "consensus" in any letter case
// and "*" (queries and exports use them for the consensus vectors), "."
// and ".." (the HTTP API names datasets in URL paths, where those segments
// are resolved away), and names that are only whitespace. Surrounding whitespace does not make a
// reserved name valid (" Consensus " is refused). AddDataset checks it; a
// caller may check it before reading the data.
func CheckDatasetName(name string) error {
	if err := checkName("dataset", name); err != nil {
		return err
	}
	switch t := strings.TrimSpace(name); {
	case t == "":
		return fmt.Errorf("%w: dataset name %q is only whitespace (a dataset name needs a visible character)", ErrInvalid, name)
	case strings.EqualFold(t, vocab.ConsensusName), t == "*":
		return fmt.Errorf("%w: dataset name %q is reserved (%q in any case and \"*\" stand for the consensus vectors)",
			ErrInvalid, name, vocab.ConsensusName)
	case t == "." || t == "..":
		return fmt.Errorf("%w: dataset name %q is reserved (a URL path segment of . or .. is removed, so the HTTP API could not name it)", ErrInvalid, name)
	}
	return nil
}

// validateDataset checks everything AddDataset relies on before it writes.
func validateDataset(ds *ingest.Dataset, opts AddOptions) error {
	if ds == nil || ds.X == nil {
		return fmt.Errorf("%w: dataset has no matrix", ErrInvalid)
	}
	x := ds.X
	if x.Rows == 0 || x.Cols == 0 {
		return fmt.Errorf("%w: empty matrix (%d cells × %d genes)", ErrInvalid, x.Rows, x.Cols)
	}
	if int64(x.Rows) >= math.MaxUint32 || int64(x.Cols) >= math.MaxUint32 {
		return fmt.Errorf("%w: matrix %d × %d too large", ErrInvalid, x.Rows, x.Cols)
	}
	if err := x.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	switch ds.Values {
	case vocab.Counts, vocab.Normalized, vocab.Log:
	default:
		return fmt.Errorf("%w: value type %q (want counts, normalized or log)", ErrInvalid, ds.Values)
	}
	if len(ds.Genes) != x.Cols {
		return fmt.Errorf("%w: %d genes for %d matrix columns", ErrInvalid, len(ds.Genes), x.Cols)
	}
	// Genes are checked again where their keys are made (putDatasetGenes),
	// after AddDataset has begun writing: check them here, before it does.
	if _, _, _, err := geneVocabKeys(ds.Genes); err != nil {
		return err
	}
	if len(ds.Barcodes) != x.Rows {
		return fmt.Errorf("%w: %d barcodes for %d matrix rows", ErrInvalid, len(ds.Barcodes), x.Rows)
	}
	seen := make(map[string]int, len(ds.Barcodes))
	for i, b := range ds.Barcodes {
		if b == "" {
			return fmt.Errorf("%w: barcode %d is empty", ErrInvalid, i+1)
		}
		if !plainText(b) {
			return fmt.Errorf("%w: barcode %d, %q, is not UTF-8 or has a control character", ErrInvalid, i+1, b)
		}
		if j, dup := seen[b]; dup {
			return fmt.Errorf("%w: barcode %q repeated (cells %d and %d)", ErrInvalid, b, j+1, i+1)
		}
		seen[b] = i
	}
	cols := make(map[string]bool, len(ds.Obs))
	for _, c := range ds.Obs {
		if err := checkName("obs column", c.Name); err != nil {
			return err
		}
		if cols[c.Name] {
			return fmt.Errorf("%w: obs column %q repeated", ErrInvalid, c.Name)
		}
		cols[c.Name] = true
		if len(c.Values) != x.Rows {
			return fmt.Errorf("%w: obs column %q has %d values for %d cells", ErrInvalid, c.Name, len(c.Values), x.Rows)
		}
		for i, v := range c.Values {
			if strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
				return fmt.Errorf("%w: obs column %q, cell %d (%q): value %q is not UTF-8 or has a NUL byte", ErrInvalid, c.Name, i+1, ds.Barcodes[i], v)
			}
		}
	}
	m, err := ModalityOf(opts, ds.Coords)
	if err != nil {
		return err
	}
	if err := checkCoords(m, ds.Coords, ds.Barcodes); err != nil {
		return err
	}
	if opts.BatchKey != "" && ds.Column(opts.BatchKey) == nil {
		names := make([]string, len(ds.Obs))
		for i, c := range ds.Obs {
			names[i] = c.Name
		}
		return fmt.Errorf("%w: batch key %q is not an obs column (have: %s)", ErrUnknownColumn, opts.BatchKey, strings.Join(names, ", "))
	}
	return nil
}

// AddDataset stores ds under name inside tx: its genes (joined to the
// global vocabulary), cells, obs columns and matrix. Nothing is written
// unless everything is valid, and as part of tx it commits or rolls back as
// a whole. ctx is checked between matrix chunks.
func (tx *Tx) AddDataset(ctx context.Context, name string, ds *ingest.Dataset, opts AddOptions) (DatasetInfo, error) {
	if err := tx.writable(); err != nil {
		return DatasetInfo{}, err
	}
	if err := CheckDatasetName(name); err != nil {
		return DatasetInfo{}, err
	}
	if err := validateDataset(ds, opts); err != nil {
		return DatasetInfo{}, fmt.Errorf("store: dataset %q: %w", name, err)
	}
	sp, err := tx.planSpecies(opts, ds.Genes)
	if err != nil {
		return DatasetInfo{}, fmt.Errorf("store: dataset %q: %w", name, err)
	}
	names, err := tx.bucket(bDatasetNames)
	if err != nil {
		return DatasetInfo{}, err
	}
	if names.Get([]byte(name)) != nil {
		return DatasetInfo{}, fmt.Errorf("%w: %q (choose another --name)", ErrDatasetExists, name)
	}
	dsets, err := tx.bucket(bDatasets)
	if err != nil {
		return DatasetInfo{}, err
	}
	seq, err := dsets.NextSequence()
	if err != nil {
		return DatasetInfo{}, err
	}
	if seq >= uint64(vocab.Consensus) {
		return DatasetInfo{}, fmt.Errorf("%w: dataset ids exhausted", ErrInvalid)
	}
	id := uint32(seq)
	info := DatasetInfo{
		ID: id, Name: name, Format: ds.Format, Source: ds.Source, SHA256: ds.SHA256,
		Values: ds.Values, Cells: ds.X.Rows, Genes: ds.X.Cols, NNZ: int64(ds.X.NNZ()),
		BatchKey: opts.BatchKey, Added: tx.db.opts.now().Round(0),
		Species: sp.species, Spots: len(ds.Coords),
	}
	if info.Modality, err = ModalityOf(opts, ds.Coords); err != nil {
		return DatasetInfo{}, err
	}
	for _, c := range ds.Obs {
		info.ObsColumns = append(info.ObsColumns, c.Name)
	}
	var joined int
	if info.DuplicateSymbols, joined, err = tx.putDatasetGenes(id, ds.Genes, sp.join); err != nil {
		return DatasetInfo{}, err
	}
	info.GeneJoin = sp.describeJoin(joined)
	if sp.setHome {
		m, err := tx.bucket(bMeta)
		if err != nil {
			return DatasetInfo{}, err
		}
		if err := m.Put(kHome, []byte(sp.home)); err != nil {
			return DatasetInfo{}, err
		}
	}
	if ds.Coords != nil {
		b, err := tx.bucket(bSpatial)
		if err != nil {
			return DatasetInfo{}, err
		}
		if err := b.Put(u32key(id), encodeCoords(ds.Coords)); err != nil {
			return DatasetInfo{}, err
		}
	}
	if err := tx.putCells(ctx, id, ds.Barcodes); err != nil {
		return DatasetInfo{}, err
	}
	for _, c := range ds.Obs {
		if err := tx.putObs(id, c); err != nil {
			return DatasetInfo{}, err
		}
	}
	if err := tx.putMatrix(ctx, id, ds.X); err != nil {
		return DatasetInfo{}, err
	}
	if err := dsets.Put(u32key(id), encodeDataset(info)); err != nil {
		return DatasetInfo{}, err
	}
	if err := names.Put([]byte(name), u32key(id)); err != nil {
		return DatasetInfo{}, err
	}
	return info, nil
}

// AddDataset is Tx.AddDataset in its own transaction.
func (db *DB) AddDataset(ctx context.Context, name string, ds *ingest.Dataset, opts AddOptions) (DatasetInfo, error) {
	var info DatasetInfo
	err := db.Update(func(tx *Tx) error {
		var err error
		info, err = tx.AddDataset(ctx, name, ds, opts)
		return err
	})
	return info, err
}

// Datasets lists every dataset in id order.
func (tx *Tx) Datasets() ([]DatasetInfo, error) {
	b, err := tx.bucket(bDatasets)
	if err != nil {
		return nil, err
	}
	var out []DatasetInfo
	err = b.ForEach(func(k, v []byte) error {
		d, err := decodeDataset(v)
		if err != nil {
			return fmt.Errorf("dataset %x: %w", k, err)
		}
		out = append(out, d)
		return nil
	})
	return out, err
}

// DatasetByID returns one dataset's record, or ErrNotFound.
func (tx *Tx) DatasetByID(id uint32) (DatasetInfo, error) {
	b, err := tx.bucket(bDatasets)
	if err != nil {
		return DatasetInfo{}, err
	}
	v := b.Get(u32key(id))
	if v == nil {
		return DatasetInfo{}, fmt.Errorf("%w: dataset id %d", ErrNotFound, id)
	}
	return decodeDataset(v)
}

// DatasetByName returns one dataset's record, or ErrNotFound.
func (tx *Tx) DatasetByName(name string) (DatasetInfo, error) {
	b, err := tx.bucket(bDatasetNames)
	if err != nil {
		return DatasetInfo{}, err
	}
	v := b.Get([]byte(name))
	if v == nil {
		return DatasetInfo{}, fmt.Errorf("%w: dataset %q", ErrNotFound, name)
	}
	if len(v) != 4 {
		return DatasetInfo{}, fmt.Errorf("%w: dataset name %q maps to %d bytes", ErrCorrupt, name, len(v))
	}
	return tx.DatasetByID(binary.BigEndian.Uint32(v))
}

// Datasets lists every dataset in id order.
func (db *DB) Datasets() (out []DatasetInfo, err error) {
	err = db.View(func(tx *Tx) error { out, err = tx.Datasets(); return err })
	return out, err
}

// DatasetByName returns one dataset's record, or ErrNotFound.
func (db *DB) DatasetByName(name string) (d DatasetInfo, err error) {
	err = db.View(func(tx *Tx) error { d, err = tx.DatasetByName(name); return err })
	return d, err
}

// DatasetByID returns one dataset's record, or ErrNotFound.
func (db *DB) DatasetByID(id uint32) (d DatasetInfo, err error) {
	err = db.View(func(tx *Tx) error { d, err = tx.DatasetByID(id); return err })
	return d, err
}

// datasetVersion is the version byte of dataset records.
//
// Dataset record (bucket "datasets", key u32 id), version 2 (schema 5;
// migrations' v005 step rewrites version 1 records, which end after
// DuplicateSymbols, appending modality "rna", no species, no join, 0 spots):
//
//	u32 ID, str Name, str Format, str Source, str SHA256, str Values,
//	uv Cells, uv Genes, uv NNZ, uv n + n × str ObsColumns, str BatchKey,
//	sv Added (Unix nanoseconds), uv DuplicateSymbols,
//	str Modality, str Species, str GeneJoin, uv Spots
const datasetVersion = 2

func encodeDataset(d DatasetInfo) []byte {
	e := newEnc(datasetVersion, 128)
	e.u32(d.ID)
	e.str(d.Name)
	e.str(d.Format)
	e.str(d.Source)
	e.str(d.SHA256)
	e.str(string(d.Values))
	e.uv(uint64(d.Cells))
	e.uv(uint64(d.Genes))
	e.uv(uint64(d.NNZ))
	e.strs(d.ObsColumns)
	e.str(d.BatchKey)
	e.sv(timeNanos(d.Added))
	e.uv(uint64(d.DuplicateSymbols))
	e.str(string(d.Modality))
	e.str(d.Species)
	e.str(d.GeneJoin)
	e.uv(uint64(d.Spots))
	return e.seal()
}

func decodeDataset(v []byte) (DatasetInfo, error) {
	d, err := openRecord("dataset record", v, datasetVersion)
	if err != nil {
		return DatasetInfo{}, err
	}
	var r DatasetInfo
	r.ID = d.u32()
	r.Name = d.str()
	r.Format = d.str()
	r.Source = d.str()
	r.SHA256 = d.str()
	r.Values = vocab.ValueType(d.str())
	r.Cells = int(d.uvBounded(math.MaxUint32))
	r.Genes = int(d.uvBounded(math.MaxUint32))
	r.NNZ = int64(d.uvBounded(math.MaxInt64))
	if cols := d.strs(); len(cols) > 0 {
		r.ObsColumns = cols
	}
	r.BatchKey = d.str()
	r.Added = nanosTime(d.sv())
	r.DuplicateSymbols = int(d.uvBounded(math.MaxUint32))
	r.Modality = vocab.Modality(d.str())
	r.Species = d.str()
	r.GeneJoin = d.str()
	r.Spots = int(d.uvBounded(math.MaxUint32))
	if err := d.done(); err != nil {
		return DatasetInfo{}, err
	}
	return r, nil
}

// uvBounded reads a uv and fails if it exceeds max.
func (d *dec) uvBounded(max uint64) uint64 {
	v := d.uv()
	if v > max {
		d.fail("value %d exceeds %d", v, max)
		return 0
	}
	return v
}
