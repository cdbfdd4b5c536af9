package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	"genestore/migrations"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DB is an open genestore store. It is safe for concurrent use: any number
// of View transactions run alongside at most one Update.
type DB struct {
	bolt     *bolt.DB
	path     string
	opts     Options
	readOnly bool
	schema   int
}

// Tx is a transaction on the store, valid only inside the function given to
// View or Update. Values it returns are copies, valid after it ends.
type Tx struct {
	btx *bolt.Tx
	db  *DB
}

// Open opens (creating if absent, unless ReadOnly) the store at path.
//
// Errors: ErrLocked when another holder keeps the lock past Timeout;
// ErrNotStore for a file that is not a genestore store; ErrTooNew for a
// schema newer than this binary; ErrNeedsMigration for an older schema
// without AutoMigrate; ErrReadOnly when ReadOnly is off and the file (or
// its directory, for a new file) cannot be written. A nil opts means
// DefaultOptions().
func Open(path string, opts *Options) (*DB, error) {
	if opts == nil {
		opts = DefaultOptions()
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	db := &DB{path: path, opts: *opts, readOnly: opts.ReadOnly}
	st, statErr := os.Stat(path)
	switch {
	case statErr == nil && st.IsDir():
		return nil, fmt.Errorf("%w: %s is a directory", ErrNotStore, path)
	case statErr != nil && errors.Is(statErr, fs.ErrNotExist) && opts.ReadOnly:
		return nil, fmt.Errorf("%w: %s does not exist", ErrNotFound, path)
	case statErr == nil && st.Size() > 0 && st.Size() < 2*1024:
		// Too small to hold bbolt's two meta pages: bbolt would misread it.
		return nil, fmt.Errorf("%w: %s (%d bytes, not a bbolt file)", ErrNotStore, path, st.Size())
	}
	bopts := &bolt.Options{
		Timeout:         opts.timeout(),
		ReadOnly:        opts.ReadOnly,
		NoFreelistSync:  true, // crash-safe: the free list is rebuilt on open
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: opts.InitialMmapSize,
	}
	b, err := bolt.Open(path, 0o644, bopts)
	if err != nil {
		return nil, openError(path, err)
	}
	db.bolt = b
	if err := db.init(); err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

// openError translates bbolt's open errors into the store's.
func openError(path string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("%w: %s (no lock within the timeout; is another genestore using it?)", ErrLocked, path)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		return fmt.Errorf("%w: %s: %v", ErrNotStore, path, err)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: %s cannot be opened for writing (%v); open it read-only to read it", ErrReadOnly, path, err)
	}
	return fmt.Errorf("store: open %s: %w", path, err)
}

// init checks identity and schema; creates a new store; migrates if asked.
func (db *DB) init() error {
	var (
		empty   bool
		version int
	)
	err := db.bolt.View(func(tx *bolt.Tx) error {
		empty = true
		_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		if empty {
			return nil
		}
		meta := tx.Bucket(bMeta)
		if meta == nil || !bytes.Equal(meta.Get(kMagic), magic) {
			return fmt.Errorf("%w: %s is a bbolt file without genestore's meta bucket", ErrNotStore, db.path)
		}
		v, err := migrations.Version(tx)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrNotStore, db.path, err)
		}
		version = v
		return nil
	})
	if err != nil {
		return err
	}
	latest := migrations.Latest()
	switch {
	case empty && db.readOnly:
		return fmt.Errorf("%w: %s is an empty bbolt file", ErrNotStore, db.path)
	case empty:
		err = db.bolt.Update(func(tx *bolt.Tx) error {
			if _, _, err := migrations.Run(tx); err != nil {
				return err
			}
			meta := tx.Bucket(bMeta)
			for _, kv := range [][2][]byte{
				{kMagic, magic},
				{kCreatedBy, []byte(db.versionString())},
				{kCreatedAt, []byte(db.opts.now().Format(time.RFC3339))},
				{kWrittenBy, []byte(db.versionString())},
			} {
				if err := meta.Put(kv[0], kv[1]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return db.writeError(err)
		}
		version = latest
	case version > latest:
		return fmt.Errorf("%w: %s has schema version %d, this binary (%s) supports up to %d: upgrade genestore",
			ErrTooNew, db.path, version, db.versionString(), latest)
	case version < latest && !db.opts.AutoMigrate:
		return fmt.Errorf("%w: %s has schema version %d, this binary uses %d: run `genestore migrate` (it cannot be undone)",
			ErrNeedsMigration, db.path, version, latest)
	case version < latest:
		err = db.bolt.Update(func(tx *bolt.Tx) error {
			_, to, err := migrations.Run(tx)
			version = to
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migrating %s: %w", db.path, db.writeError(err))
		}
	}
	db.schema = version
	return nil
}

func (db *DB) versionString() string {
	if db.opts.Version == "" {
		return "unknown"
	}
	return db.opts.Version
}

// writeError maps bbolt's read-only errors to ErrReadOnly and names the
// path on I/O errors (disk full, file too large).
func (db *DB) writeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, berrors.ErrDatabaseReadOnly), errors.Is(err, berrors.ErrTxNotWritable):
		return fmt.Errorf("%w: %s", ErrReadOnly, db.path)
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EFBIG), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w: %s: nothing was changed: %w", ErrNoSpace, db.path, err)
	}
	// bbolt formats some I/O errors with %s (e.g. "file resize error:"), so
	// the errno is only in the text.
	msg := err.Error()
	for _, e := range []syscall.Errno{syscall.ENOSPC, syscall.EFBIG, syscall.EDQUOT} {
		if strings.Contains(msg, e.Error()) {
			return fmt.Errorf("%w: %s: nothing was changed (%w): %w", ErrNoSpace, db.path, e, err)
		}
	}
	return err
}

// Migrate upgrades the store at path to this binary's schema in one
// transaction and returns the versions before and after (equal when nothing
// was to do). It refuses a newer schema with ErrTooNew.
func Migrate(ctx context.Context, path string, opts *Options) (from, to int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	o := DefaultOptions()
	if opts != nil {
		*o = *opts
	}
	if o.ReadOnly {
		return 0, 0, fmt.Errorf("%w: Migrate needs a writable store", ErrInvalid)
	}
	o.AutoMigrate = false
	db, err := Open(path, o)
	switch {
	case err == nil:
		v := db.schema
		return v, v, db.Close()
	case !errors.Is(err, ErrNeedsMigration):
		return 0, 0, err
	}
	o.AutoMigrate = true
	// Read the old version first, for the report.
	b, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: o.timeout(), ReadOnly: true})
	if err != nil {
		return 0, 0, openError(path, err)
	}
	_ = b.View(func(tx *bolt.Tx) error { from, err = migrations.Version(tx); return nil })
	b.Close()
	db, err = Open(path, o)
	if err != nil {
		return from, from, err
	}
	return from, db.schema, db.Close()
}

// Close releases the file. Transactions must have ended.
func (db *DB) Close() error { return db.bolt.Close() }

// Path is the file the store was opened from.
func (db *DB) Path() string { return db.path }

// SchemaVersion is the store's schema version (equal to the binary's after
// a successful Open).
func (db *DB) SchemaVersion() int { return db.schema }

// ReadOnly reports whether writes are refused.
func (db *DB) ReadOnly() bool { return db.readOnly }

// CreatedBy returns the binary version that created the store and the time.
func (db *DB) CreatedBy() (version string, at time.Time, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		version = string(m.Get(kCreatedBy))
		at, _ = time.Parse(time.RFC3339, string(m.Get(kCreatedAt)))
		return nil
	})
	return version, at, err
}

// View runs fn in a read-only transaction: a consistent snapshot of the
// last commit. Keep it short: a long read transaction delays a writer that
// must grow the file.
func (db *DB) View(fn func(*Tx) error) error {
	return db.bolt.View(func(btx *bolt.Tx) error { return fn(&Tx{btx: btx, db: db}) })
}

// Update runs fn in a read-write transaction that commits if fn returns nil
// and rolls back otherwise: every logical write is all-or-nothing. Writers
// are serialised.
func (db *DB) Update(fn func(*Tx) error) error {
	if db.readOnly {
		return fmt.Errorf("%w: %s", ErrReadOnly, db.path)
	}
	err := db.bolt.Update(func(btx *bolt.Tx) error {
		tx := &Tx{btx: btx, db: db}
		if err := fn(tx); err != nil {
			return err
		}
		return btx.Bucket(bMeta).Put(kWrittenBy, []byte(db.versionString()))
	})
	return db.writeError(err)
}

// writable returns ErrReadOnly inside a read-only transaction.
func (tx *Tx) writable() error {
	if !tx.btx.Writable() {
		return fmt.Errorf("%w: write inside a View transaction (%s)", ErrReadOnly, tx.db.path)
	}
	return nil
}

// Digest returns a SHA-256 over the store's logical content: every bucket
// path, key and value in key order, excluding the meta keys that record
// which binary last wrote. Two stores with equal digests hold the same data
// whatever their file layout. Tests use it to check crash safety.
func (db *DB) Digest() (string, error) {
	h := sha256.New()
	var walk func(path []byte, b *bolt.Bucket) error
	put := func(p []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	walk = func(path []byte, b *bolt.Bucket) error {
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(path) == len(bMeta) && bytes.Equal(path, bMeta) && bytes.Equal(k, kWrittenBy) {
				continue
			}
			put(path)
			put(k)
			if v == nil {
				h.Write([]byte{'B'})
				sub := append(append(append([]byte(nil), path...), '/'), k...)
				if err := walk(sub, b.Bucket(k)); err != nil {
					return err
				}
				continue
			}
			h.Write([]byte{'V'})
			put(v)
		}
		return nil
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(name, b) })
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Check runs bbolt's consistency check (page structure, free list) and
// returns the first problem found.
func (db *DB) Check(ctx context.Context) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		var first error
		for err := range tx.Check() { // drain: the checker goroutine sends until done
			if err != nil && first == nil {
				first = fmt.Errorf("%w: %s: %v", ErrCorrupt, db.path, err)
			}
		}
		if first == nil {
			first = ctx.Err()
		}
		return first
	})
}
