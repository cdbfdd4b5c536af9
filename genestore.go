package genestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"genestore/index"
	"genestore/pipeline"
	"genestore/query"
	"genestore/query/backend"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/vecindex"
	"genestore/vocab"
)

// Errors, the same values as the packages underneath return: test them
// with errors.Is.
var (
	// ErrNotFound: no dataset, gene, cell or record of that name.
	ErrNotFound = store.ErrNotFound
	// ErrDatasetExists: a dataset of that name is already stored.
	ErrDatasetExists = store.ErrDatasetExists
	// ErrInvalid: a malformed argument (a reserved or empty name, a bad
	// filter...).
	ErrInvalid = store.ErrInvalid
	// ErrLocked: another process held the store past Options.LockTimeout.
	ErrLocked = store.ErrLocked
	// ErrReadOnly: a write on a store opened with Options.ReadOnly.
	ErrReadOnly = store.ErrReadOnly
	// ErrDamaged: the file cannot be read safely; restore a backup.
	ErrDamaged = store.ErrDamaged
	// ErrConflict: another writer changed what a job read while it
	// computed, three times in a row; nothing was written.
	ErrConflict = pipeline.ErrConflict
	// ErrClosed: the DB was used after Close.
	ErrClosed = store.ErrClosed
)

// Options configure Open. The zero value (or a nil *Options) works.
type Options struct {
	// ReadOnly opens the store for reading only (a shared lock per read).
	ReadOnly bool
	// LockTimeout is how long a transaction waits for another process's;
	// 0 means store.DefaultTimeout (2 s).
	LockTimeout time.Duration
	// Owner names this process to others waiting for the lock (the CLI
	// uses its verb, "genestore drop"); empty means a default.
	Owner string
	// Version is recorded in the store as the binary that wrote it.
	Version string
	// Log receives progress lines (indexes rebuilt, training steps); nil
	// discards them.
	Log io.Writer
	// Index configures HNSW indexes built by queries, drops and appends
	// when a stored snapshot is missing or stale; zero means the defaults.
	Index index.Options
}

// DefaultOptions returns the options Open uses for a nil *Options.
func DefaultOptions() *Options { return &Options{} }

// Validate reports every problem with o at once.
func (o *Options) Validate() error {
	var errs []error
	if o.LockTimeout < 0 {
		errs = append(errs, fmt.Errorf("%w: lock timeout %v is negative", ErrInvalid, o.LockTimeout))
	}
	if o.Index != (index.Options{}) {
		if err := o.Index.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// DB is an open store. It is safe for concurrent use; like the store
// underneath, it locks the file only while a transaction runs, so other
// processes (the CLI, a server) use the same file meanwhile.
type DB struct {
	st   *store.DB
	opts Options

	mu     sync.Mutex
	engine *query.Engine // built on first query
}

// Open opens the store at path, creating it when absent (unless
// opts.ReadOnly). Errors: ErrLocked, ErrDamaged, store.ErrNotStore,
// store.ErrTooNew, store.ErrNeedsMigration, ErrReadOnly.
func Open(path string, opts *Options) (*DB, error) {
	if opts == nil {
		opts = DefaultOptions()
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	so := store.DefaultOptions()
	so.ReadOnly, so.Owner, so.Version = opts.ReadOnly, opts.Owner, opts.Version
	if opts.LockTimeout > 0 {
		so.Timeout = opts.LockTimeout
	}
	st, err := store.Open(path, so)
	if err != nil {
		return nil, err
	}
	return &DB{st: st, opts: *opts}, nil
}

// Close releases the store. Queries and jobs running meanwhile fail with
// ErrClosed.
func (db *DB) Close() error { return db.st.Close() }

// Store returns the underlying store, for what this package does not wrap
// (transactions, blobs, exports).
func (db *DB) Store() *store.DB { return db.st }

// log returns the progress writer, never nil.
func (db *DB) log() io.Writer {
	if db.opts.Log == nil {
		return io.Discard
	}
	return db.opts.Log
}

// query returns the query engine, building it on first use.
func (db *DB) query() (*query.Engine, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.engine != nil {
		return db.engine, nil
	}
	bo := backend.DefaultOptions()
	bo.Log = db.opts.Log
	if db.opts.Index != (index.Options{}) {
		bo.Index = db.opts.Index
	}
	b, err := backend.New(db.st, bo)
	if err != nil {
		return nil, err
	}
	e, err := query.New(b, query.DefaultOptions())
	if err != nil {
		return nil, err
	}
	db.engine = e
	return e, nil
}

// Datasets lists the stored datasets in id order.
func (db *DB) Datasets(ctx context.Context) ([]store.DatasetInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return db.st.Datasets()
}

// IngestOptions configure Ingest and Append.
type IngestOptions struct {
	// Read configures the reader (format, obs file, value type); nil means
	// ingest.DefaultOptions() (format detected from the path).
	Read *ingest.Options
	// BatchKey names the obs column holding each cell's batch.
	BatchKey string
	// Modality is what the dataset measured (empty: spatial when the
	// reader found spot coordinates, else rna).
	Modality vocab.Modality
	// Species names the dataset's organism; a species other than the
	// store's home species joins home genes through Orthologs (nil: each
	// gene stays species-private; ingest.SymbolCaseOrthologs joins by
	// symbol case).
	Species   string
	Orthologs *ingest.Orthologs
}

// add is the store's view of o.
func (o IngestOptions) add() store.AddOptions {
	return store.AddOptions{BatchKey: o.BatchKey, Modality: o.Modality, Species: o.Species, Orthologs: o.Orthologs}
}

// readDataset reads the dataset at path, refusing a name that cannot be
// added before spending time on parsing.
func (db *DB) readDataset(ctx context.Context, name, path string, o IngestOptions) (*ingest.Dataset, error) {
	if err := store.CheckDatasetName(name); err != nil {
		return nil, err
	}
	if _, err := db.st.DatasetByName(name); err == nil {
		return nil, fmt.Errorf("%w: %q", ErrDatasetExists, name)
	}
	ro := ingest.DefaultOptions()
	if o.Read != nil {
		ro = *o.Read
	}
	if err := ro.Validate(); err != nil {
		return nil, err
	}
	return ingest.Read(ctx, path, ro)
}

// Ingest reads the dataset at path (10x Matrix Market folder, .h5ad, 10x
// .h5, CSV/TSV) and stores it under name in one transaction, without
// training anything. It returns the stored record (the CLI's `ingest
// --json`).
func (db *DB) Ingest(ctx context.Context, name, path string, o IngestOptions) (store.DatasetInfo, error) {
	ds, err := db.readDataset(ctx, name, path, o)
	if err != nil {
		return store.DatasetInfo{}, err
	}
	return db.st.AddDataset(ctx, name, ds, o.add())
}

// Append reads the dataset at path and adds it to a store whose models are
// trained, without retraining them (pipeline.Append): existing vectors stay
// byte-identical, the new ones join the saved indexes.
func (db *DB) Append(ctx context.Context, name, path string, o IngestOptions, ao pipeline.AppendOptions) (*pipeline.AppendResult, error) {
	ds, err := db.readDataset(ctx, name, path, o)
	if err != nil {
		return nil, err
	}
	ao.BatchKey, ao.Dataset = o.BatchKey, o.add()
	if ao.Index == (index.Options{}) {
		ao.Index = db.opts.Index
	}
	return pipeline.Append(ctx, db.st, name, ds, ao, db.log())
}

// TrainGenes trains the gene model on the stored datasets (all, or
// o.Datasets) and replaces the "genes" space, edges, weights and index in
// one transaction. pipeline.DefaultGeneOptions() is the usual start.
func (db *DB) TrainGenes(ctx context.Context, o pipeline.GeneOptions) (*pipeline.GeneResult, error) {
	return pipeline.TrainGenes(ctx, db.st, o, nil, db.log())
}

// TrainCells trains the cell model (a conditional VAE, batch = dataset or
// o.BatchKey) and replaces the "cells" and "cell-genes" spaces in one
// transaction. pipeline.DefaultCellOptions() is the usual start.
func (db *DB) TrainCells(ctx context.Context, o pipeline.CellOptions) (*pipeline.CellResult, error) {
	return pipeline.TrainCells(ctx, db.st, o, nil, db.log())
}

// Drop removes dataset name and everything derived from it in one
// transaction (pipeline.Drop): its records, its parts of both models, its
// index entries; consensus vectors of its genes are recomputed, and
// clusterings and predictions over it marked stale.
func (db *DB) Drop(ctx context.Context, name string) (*pipeline.DropResult, error) {
	return pipeline.Drop(ctx, db.st, name, pipeline.DropOptions{Index: db.opts.Index}, db.log())
}

// Rename gives dataset old the name new, in the store and in the models.
func (db *DB) Rename(ctx context.Context, old, new string) (*pipeline.RenameResult, error) {
	return pipeline.Rename(ctx, db.st, old, new)
}

// Backup writes a consistent copy of the store to out (one read
// transaction; temp file, fsync, rename) and returns its size.
func (db *DB) Backup(ctx context.Context, out string) (int64, error) {
	return db.st.Backup(ctx, out)
}

// Compact rewrites the store without free pages, in place (out empty) or
// into out, and reports the sizes before and after.
func (db *DB) Compact(ctx context.Context, out string) (store.CompactResult, error) {
	return db.st.Compact(ctx, out)
}

// Info describes the store: schema, sizes per bucket and space, datasets,
// models, free pages.
func (db *DB) Info(ctx context.Context) (*store.Info, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return db.st.Info()
}

// Indexes describes the index of every embedding space: its saved
// settings and what its snapshot's header says.
func (db *DB) Indexes(ctx context.Context) ([]vecindex.Description, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []vecindex.Description
	err := db.st.View(func(tx *store.Tx) error {
		spaces, err := tx.Spaces()
		if err != nil {
			return err
		}
		for _, sp := range spaces {
			d, err := vecindex.Describe(tx, sp.Name)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// Reindex saves s as space's index settings (quantization, M, beams) and
// rebuilds the space's index with them (vecindex.Reindex): later rebuilds,
// retraining and appends keep them. It returns the new description.
func (db *DB) Reindex(ctx context.Context, space string, s vecindex.Settings) (vecindex.Description, error) {
	opts := index.DefaultOptions()
	if db.opts.Index != (index.Options{}) {
		opts = db.opts.Index
	}
	if _, err := vecindex.Reindex(ctx, db.st, space, s, opts); err != nil {
		return vecindex.Description{}, err
	}
	var d vecindex.Description
	err := db.st.View(func(tx *store.Tx) (err error) { d, err = vecindex.Describe(tx, space); return err })
	return d, err
}

// SpatialGenes ranks a spatial dataset's genes by Moran's I over its spots'
// nearest-neighbour graph (pipeline.SpatialPattern; the CLI's `spatial`).
func (db *DB) SpatialGenes(ctx context.Context, dataset string, o pipeline.SpatialPatternOptions) (*pipeline.SpatialPatternResult, error) {
	return pipeline.SpatialPattern(ctx, db.st, dataset, o)
}
