package store

import "errors"

// Sentinel errors. Functions wrap them with %w and add the path, name or id
// concerned; test with errors.Is.
var (
	// ErrNotStore: the file is not a bbolt file, or is a bbolt file that
	// genestore did not create.
	ErrNotStore = errors.New("store: not a genestore store")
	// ErrLocked: another process (or another DB on the same file in this
	// process) held the file lock past Options.Timeout. Its message names
	// the holder when the holder recorded itself (see LockOwner).
	ErrLocked = errors.New("store: locked by another process")
	// ErrDamaged: the file is a bbolt file that cannot be read safely
	// (truncated, a meta page or a page structure corrupt). Its message
	// names the path and the problem and suggests `genestore verify` and
	// restoring a copy.
	ErrDamaged = errors.New("store: store file is damaged")
	// ErrClosed: the DB was used after Close.
	ErrClosed = errors.New("store: store is closed")
	// ErrTooNew: the file's schema is newer than this binary's.
	ErrTooNew = errors.New("store: store was written by a newer genestore")
	// ErrNeedsMigration: the file's schema is older than this binary's and
	// Options.AutoMigrate is off; run Migrate (the CLI's migrate verb).
	ErrNeedsMigration = errors.New("store: store needs migration")
	// ErrReadOnly: a write was attempted on a store opened read-only or
	// whose file cannot be written.
	ErrReadOnly = errors.New("store: store is read-only")
	// ErrNoSpace: a write failed because the disk (or the file-size limit)
	// is full; the transaction was rolled back.
	ErrNoSpace = errors.New("store: no space left to write")
	// ErrDatasetExists: a dataset with that name is already stored.
	ErrDatasetExists = errors.New("store: dataset exists")
	// ErrNotFound: the dataset, gene, cell, space, blob or record asked for
	// is not stored.
	ErrNotFound = errors.New("store: not found")
	// ErrCorrupt: a stored value fails its checksum or cannot be decoded.
	ErrCorrupt = errors.New("store: corrupt value")
	// ErrInvalid: an argument is malformed (bad dataset, shape mismatch,
	// empty name, unknown column...).
	ErrInvalid = errors.New("store: invalid argument")
	// ErrUnknownColumn: the batch key names no obs column of the dataset.
	ErrUnknownColumn = errors.New("store: unknown obs column")
)

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
