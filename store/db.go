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
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"genestore/migrations"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DB is an open genestore store. It is safe for concurrent use: any number
// of View transactions run alongside at most one Update.
//
// A DB holds the file's lock only while transactions run (see handle.go and
// the package documentation), so other processes read and write the same
// store between them.
type DB struct {
	path     string
	opts     Options
	owner    string // Options.Owner or a default
	id       string // this DB in the lock-owner file
	readOnly bool
	schema   int

	mu        sync.Mutex
	cond      *sync.Cond
	h         *bolt.DB // open handle, or nil
	hw        bool     // h is read-write
	users     int      // transactions running on h
	draining  bool     // h takes no new transactions; closed when idle
	compact   bool     // an in-place Compact runs: no new write transaction starts
	walked    bool     // the tree was walked safely before the first write open (walkTree)
	opening   bool     // a goroutine is opening a handle
	openSeq   uint64   // counts finished opens
	openWrite bool     // the last open was for writing
	openErr   error    // and failed with this
	closed    bool
	checked   time.Time   // when the lock-owner file was last looked at
	idleSince time.Time   // when the last transaction on h ended
	linger    *time.Timer // runs lingerCheck while h is idle
}

// Tx is a transaction on the store, valid only inside the function given to
// View or Update. Values it returns are copies, valid after it ends.
type Tx struct {
	btx *bolt.Tx
	db  *DB
}

// sizeHint bounds a capacity taken from a stored count: no record can hold
// more bytes than the file, so a count that claims more (a damaged or
// hostile header whose checksum still matches) reserves at most the file's
// size in elements of size bytes, and the decode that follows reports the
// mismatch instead of the allocation exhausting memory.
func (tx *Tx) sizeHint(n uint64, size int) int {
	limit := uint64(tx.btx.Size()) / uint64(max(size, 1))
	return int(min(n, limit))
}

// Open opens (creating if absent, unless ReadOnly) the store at path.
//
// A new store is built under a temporary name in the same folder and
// renamed into place only once whole, so a creation that fails (no space)
// leaves nothing behind. An existing file is checked before bbolt maps it
// (size, meta pages, pages in use), so a truncated or damaged file gives
// ErrDamaged instead of a crash.
//
// Errors: ErrLocked when another holder keeps the lock past Timeout;
// ErrNotStore for a file that is not a genestore store (an empty file
// included); ErrDamaged for a damaged one; ErrTooNew for a schema newer
// than this binary; ErrNeedsMigration for an older schema without
// AutoMigrate; ErrReadOnly when ReadOnly is off and the file (or its
// directory, for a new file) cannot be written; ErrNoSpace when a new store
// does not fit. A nil opts means DefaultOptions().
func Open(path string, opts *Options) (*DB, error) {
	if opts == nil {
		opts = DefaultOptions()
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	db := &DB{path: path, opts: *opts, readOnly: opts.ReadOnly, owner: opts.Owner, id: newOwnerID()}
	if db.owner == "" {
		db.owner = ownerName()
	}
	db.cond = sync.NewCond(&db.mu)
	st, statErr := os.Stat(path)
	switch {
	case statErr == nil && st.IsDir():
		return nil, fmt.Errorf("%w: %s is a directory", ErrNotStore, path)
	case statErr != nil && errors.Is(statErr, fs.ErrNotExist) && opts.ReadOnly:
		return nil, fmt.Errorf("%w: %s does not exist", ErrNotFound, path)
	case statErr != nil && errors.Is(statErr, fs.ErrNotExist):
		if err := db.create(); err != nil {
			return nil, err
		}
	case statErr != nil:
		return nil, openError(path, statErr)
	case !opts.ReadOnly:
		// Writes happen in later transactions: refuse an unwritable file now.
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return nil, openError(path, err)
		}
		f.Close()
	}
	if err := db.init(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// create builds a new, empty store at the latest schema under a temporary
// name beside db.path and moves it into place once it is whole and synced.
// The temporary file is removed on any failure.
func (db *DB) create() (err error) {
	dir, base := filepath.Split(db.path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".new-*")
	if err != nil {
		return db.createError(err)
	}
	tmp := f.Name()
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	h, err := openBolt(tmp, true, 0)
	if err != nil {
		return db.createError(err)
	}
	err = h.Update(db.initTx)
	if cerr := h.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return db.createError(err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return db.createError(err)
	}
	// A link fails rather than replace a store another process created
	// meanwhile; where links are not supported, rename.
	switch lerr := os.Link(tmp, db.path); {
	case lerr == nil:
		os.Remove(tmp)
	case errors.Is(lerr, fs.ErrExist):
		os.Remove(tmp)
		return nil // someone else's new store: use it
	default:
		if err := os.Rename(tmp, db.path); err != nil {
			return db.createError(err)
		}
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// createError maps an error creating a new store, which left nothing behind.
func (db *DB) createError(err error) error {
	if e := noSpaceErrno(err); e != 0 {
		return fmt.Errorf("%w: %s: no store was created (%w): %w", ErrNoSpace, db.path, e, err)
	}
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) || errors.Is(err, ErrReadOnly) {
		return fmt.Errorf("%w: cannot create %s (%v)", ErrReadOnly, db.path, err)
	}
	return fmt.Errorf("store: creating %s: %w", db.path, err)
}

// noSpaceErrno returns the errno of a write that failed for lack of space
// (disk full, file-size limit, quota), or 0. bbolt formats some I/O errors
// with %s (e.g. "file resize error:"), so the errno may only be in the text.
func noSpaceErrno(err error) syscall.Errno {
	for _, e := range []syscall.Errno{syscall.ENOSPC, syscall.EFBIG, syscall.EDQUOT} {
		if errors.Is(err, e) || strings.Contains(err.Error(), e.Error()) {
			return e
		}
	}
	return 0
}

// initTx writes the schema and the meta keys of a new store.
func (db *DB) initTx(tx *bolt.Tx) error {
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
	err := db.boltView(func(tx *bolt.Tx) error {
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
	case empty: // a bbolt file made by another tool, or by an older genestore
		err = db.boltUpdate(db.initTx)
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
		err = db.boltUpdate(func(tx *bolt.Tx) error {
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
// was to do). It refuses a newer schema with ErrTooNew, and a path with no
// file with ErrNotFound (it does not create a store).
func Migrate(ctx context.Context, path string, opts *Options) (from, to int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return 0, 0, fmt.Errorf("%w: no store at %s to migrate", ErrNotFound, path)
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
	ro := *o
	ro.ReadOnly, ro.AutoMigrate = true, false
	old := &DB{path: path, opts: ro, readOnly: true, owner: o.Owner, id: newOwnerID()}
	old.cond = sync.NewCond(&old.mu)
	_ = old.boltView(func(tx *bolt.Tx) error { from, _ = migrations.Version(tx); return nil })
	old.Close()
	db, err = Open(path, o)
	if err != nil {
		return from, from, err
	}
	return from, db.schema, db.Close()
}

// Close releases the file. Transactions must have ended. Using db after
// Close gives ErrClosed.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.closed = true
	if db.linger != nil {
		db.linger.Stop()
	}
	for db.users > 0 {
		db.cond.Wait()
	}
	db.closeHandle()
	db.cond.Broadcast()
	return nil
}

// Path is the file the store was opened from.
func (db *DB) Path() string { return db.path }

// SchemaVersion is the store's schema version (equal to the binary's after
// a successful Open).
func (db *DB) SchemaVersion() int { return db.schema }

// ReadOnly reports whether writes are refused.
func (db *DB) ReadOnly() bool { return db.readOnly }

// CreatedBy returns the binary version that created the store and the time.
func (db *DB) CreatedBy() (version string, at time.Time, err error) {
	err = db.boltView(func(tx *bolt.Tx) error {
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
	return db.boltView(func(btx *bolt.Tx) error { return fn(&Tx{btx: btx, db: db}) })
}

// Update runs fn in a read-write transaction that commits if fn returns nil
// and rolls back otherwise: every logical write is all-or-nothing. Writers
// are serialised.
func (db *DB) Update(fn func(*Tx) error) error {
	if db.readOnly {
		return fmt.Errorf("%w: %s", ErrReadOnly, db.path)
	}
	err := db.boltUpdate(func(btx *bolt.Tx) error {
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
	err := db.boltView(func(tx *bolt.Tx) error {
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
	return db.boltView(func(tx *bolt.Tx) error {
		// tx.Check rebuilds the free list in a goroutine that a damaged
		// page crashes: walk the tree here first (walkTree).
		if err := walkBuckets(ctx, tx); err != nil {
			return err
		}
		// bbolt's own check cannot be interrupted: it runs only if the walk
		// was not.
		if err := ctx.Err(); err != nil {
			return err
		}
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
