package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"genestore/migrations"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// How a DB holds the file. bbolt locks a file (flock) for as long as a
// bbolt handle is open: shared when read-only, exclusive otherwise. So a DB
// keeps a handle open only while transactions use it:
//
//   - View uses a read-only handle (shared lock), opened when none is open;
//     after the last transaction it lingers for Options.Linger, so a busy
//     reader (a server) does not reopen the file for every request.
//   - Update uses a read-write handle (exclusive lock), opened for it and
//     closed as soon as its transaction — and any View that joined it —
//     ends. Views of this process run alongside it on the same handle.
//   - A writer of another process waiting for the lock records itself in
//     PATH.lock-owner; a DB that sees a live one there stops starting new
//     transactions on its lingering handle, closes it once idle, and holds
//     back from reopening for up to half its timeout, so the writer gets in
//     between requests even under constant load.
//
// Another process can only commit while no handle of ours is open, and every
// handle reads the file's meta page when it opens: a handle never sees a
// file that another process changed under it.

const (
	retryEvery   = 10 * time.Millisecond // between attempts to take the lock
	ownerRecheck = 5 * time.Millisecond  // how often a lingering handle looks for a waiting writer
)

// acquire returns a handle able to run a transaction of the given kind,
// opening one if needed; the caller must release it. While an in-place
// Compact runs, a write transaction waits for it (reads go on).
func (db *DB) acquire(write bool) (*bolt.DB, error) {
	return db.acquireAs(write, false)
}

// acquireAs is acquire; compacting is the in-place Compact itself, which
// is not held back by its own gate.
func (db *DB) acquireAs(write, compacting bool) (*bolt.DB, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	for {
		switch {
		case db.closed:
			return nil, fmt.Errorf("%w: %s", ErrClosed, db.path)
		case db.compact && write && !compacting:
			db.cond.Wait()
		case db.h != nil && !db.draining && (db.hw || !write):
			if !db.hw && time.Since(db.checked) > ownerRecheck {
				db.checked = time.Now()
				if o := ReadLockOwner(db.path); o != nil && o.ID != db.id {
					db.draining = true // a writer waits: let it in
					continue
				}
			}
			db.users++
			return db.h, nil
		case db.h != nil: // wrong kind, or draining: close once idle
			db.draining = true
			if db.users == 0 {
				db.closeHandle()
				continue
			}
			db.cond.Wait()
		case db.opening:
			// Share the outcome of the open in progress: when it gave up
			// waiting for the lock, so do transactions of its kind that
			// waited on it, rather than each wait a timeout in turn.
			seq := db.openSeq
			for db.opening && db.openSeq == seq {
				db.cond.Wait()
			}
			if db.openSeq != seq && db.openWrite == write && errors.Is(db.openErr, ErrLocked) {
				return nil, db.openErr
			}
		default:
			db.opening = true
			db.mu.Unlock()
			h, err := db.openHandle(write)
			db.mu.Lock()
			db.opening = false
			db.openSeq++
			db.openWrite, db.openErr = write, err
			db.cond.Broadcast()
			if err != nil {
				return nil, err
			}
			if db.closed {
				h.Close()
				continue
			}
			db.h, db.hw, db.draining, db.checked = h, write, false, time.Now()
		}
	}
}

// release ends a transaction's use of the handle. broken marks the handle
// as unusable (a damaged file): it is closed once idle.
func (db *DB) release(broken bool) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.users--
	if broken {
		db.draining = true
	}
	defer db.cond.Broadcast()
	if db.users > 0 {
		return
	}
	if db.hw || db.draining || db.closed || db.opts.Linger < 0 {
		db.closeHandle()
		return
	}
	db.idleSince = time.Now()
	if db.linger == nil {
		db.linger = time.AfterFunc(lingerTick, db.lingerCheck)
	} else {
		db.linger.Reset(lingerTick)
	}
}

// lingerTick is how often an idle read-only handle looks whether to close:
// its Linger ran out, or a writer of another DB waits.
const lingerTick = 20 * time.Millisecond

// lingerCheck closes the idle handle when its time is up or a writer
// waits, and otherwise looks again a tick later.
func (db *DB) lingerCheck() {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.h == nil || db.users > 0 || db.closed {
		return
	}
	if time.Since(db.idleSince) >= db.opts.linger() {
		db.closeHandle()
		db.cond.Broadcast()
		return
	}
	if o := ReadLockOwner(db.path); o != nil && o.ID != db.id {
		db.closeHandle()
		db.cond.Broadcast()
		return
	}
	db.linger.Reset(lingerTick)
}

// closeHandle closes the open handle; db.mu is held and no transaction
// uses it.
func (db *DB) closeHandle() {
	if db.h == nil {
		return
	}
	if db.hw {
		removeLockOwner(db.path, db.id)
	}
	db.h.Close()
	db.h, db.hw, db.draining = nil, false, false
}

// openHandle opens a bbolt handle, waiting up to the timeout for the lock.
// A writer records itself in the lock-owner file meanwhile; a reader defers
// to a live writer recorded there for the first half of its wait.
func (db *DB) openHandle(write bool) (*bolt.DB, error) {
	start := time.Now()
	timeout := db.opts.timeout()
	deadline, deferUntil := start.Add(timeout), start.Add(timeout/2)
	if write && ReadLockOwner(db.path) == nil {
		writeLockOwner(db.path, db.id, db.owner, "waiting", start)
	}
	fail := func(err error) (*bolt.DB, error) {
		if write {
			removeLockOwner(db.path, db.id)
		}
		return nil, err
	}
	for {
		if err := checkFile(db.path); err != nil {
			return fail(err)
		}
		if !write && time.Now().Before(deferUntil) {
			if o := ReadLockOwner(db.path); o != nil && o.ID != db.id {
				time.Sleep(retryEvery)
				continue
			}
		}
		if write && !db.walked {
			switch err := walkTree(db.path, db.opts.InitialMmapSize); {
			case err == nil:
				db.walked = true // openHandle runs one at a time (db.opening)
			case errors.Is(err, berrors.ErrTimeout): // locked: the write open below waits
			default:
				return fail(err)
			}
		}
		before, _ := os.Stat(db.path)
		h, err := openBolt(db.path, write, db.opts.InitialMmapSize)
		if err == nil && !sameFileNow(db.path, before) {
			// The file was replaced (Compact renamed a new one into place)
			// while we opened it: we may hold the old one. Open again.
			h.Close()
			continue
		}
		if err == nil {
			if err := db.sameSchema(h); err != nil {
				h.Close()
				return fail(err)
			}
			if write {
				writeLockOwner(db.path, db.id, db.owner, "writing", time.Now())
			}
			return h, nil
		}
		if !errors.Is(err, berrors.ErrTimeout) {
			return fail(err)
		}
		if time.Now().After(deadline) {
			return fail(db.lockedError(timeout))
		}
		if write && ReadLockOwner(db.path) == nil {
			writeLockOwner(db.path, db.id, db.owner, "waiting", start) // a finished writer removed ours
		}
		time.Sleep(retryEvery)
	}
}

// sameSchema checks, on a handle just opened, that the file still has the
// schema this DB opened it at: another process may have migrated it since
// (a long-running server beside a newer binary's migrate), and this DB
// must not read or write the new records with the old layouts. Before
// init has read the schema (db.schema 0) there is nothing to compare.
func (db *DB) sameSchema(h *bolt.DB) (err error) {
	if db.schema == 0 {
		return nil
	}
	defer guard(db.path, &err, debug.SetPanicOnFault(true))
	var v int
	if err := h.View(func(tx *bolt.Tx) (err error) { v, err = migrations.Version(tx); return err }); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrNotStore, db.path, err)
	}
	if v != db.schema {
		return fmt.Errorf("%w: %s was migrated from schema %d to %d by another process after this one opened it: reopen it with a binary that supports schema %d",
			ErrTooNew, db.path, db.schema, v, v)
	}
	return nil
}

// sameFileNow reports whether path still names the file before described.
func sameFileNow(path string, before os.FileInfo) bool {
	now, err := os.Stat(path)
	return err == nil && before != nil && os.SameFile(before, now)
}

// openBolt makes one attempt at opening path (bbolt's ErrTimeout when the
// lock is held), turning a bbolt panic or a fault into ErrDamaged.
func openBolt(path string, write bool, mmapSize int) (h *bolt.DB, err error) {
	defer guard(path, &err, debug.SetPanicOnFault(true))
	h, err = bolt.Open(path, 0o644, &bolt.Options{
		Timeout:         time.Nanosecond, // one try: the caller loops
		ReadOnly:        !write,
		NoFreelistSync:  true, // crash-safe: the free list is rebuilt on open
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: mmapSize,
	})
	if err != nil && !errors.Is(err, berrors.ErrTimeout) {
		err = openError(path, err)
	}
	return h, err
}

// walkTree reads every page of the store's tree (each bucket's keys, in a
// read-only handle) in this goroutine, where a panic on a damaged page is
// caught and becomes ErrDamaged. It runs before a DB's first write open:
// bbolt then rebuilds its free list (the store syncs none) by walking the
// same pages in a goroutine of its own, where such a panic kills the
// process (etcd-io/bbolt#778). It returns bbolt's ErrTimeout when a writer
// holds the file.
func walkTree(path string, mmapSize int) (err error) {
	h, err := openBolt(path, false, mmapSize)
	if err != nil {
		return err
	}
	defer h.Close()
	defer guard(path, &err, debug.SetPanicOnFault(true))
	return h.View(func(tx *bolt.Tx) error { return walkBuckets(context.Background(), tx) })
}

// walkBuckets visits every key of every bucket of tx, nested ones too,
// and stops with ctx's error within cancelEvery keys of ctx ending.
func walkBuckets(ctx context.Context, tx *bolt.Tx) error {
	keys := 0
	var walk func(b *bolt.Bucket) error
	walk = func(b *bolt.Bucket) error {
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if keys++; keys%cancelEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if v == nil {
				if sub := b.Bucket(k); sub != nil {
					if err := walk(sub); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	return tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walk(b) })
}

// lockedError is ErrLocked naming whoever is recorded as the writer.
func (db *DB) lockedError(waited time.Duration) error {
	who := "locked by another process (readers: a query, export, verify or a busy server; or a writer that recorded no name)"
	if o := ReadLockOwner(db.path); o != nil && o.ID != db.id {
		who = o.describe()
	}
	return &lockedError{path: db.path, who: who, waited: waited}
}

type lockedError struct {
	path, who string
	waited    time.Duration
}

func (e *lockedError) Error() string {
	return fmt.Sprintf("store: %s is %s; waited %v: retry later or raise the lock timeout (--lock-timeout)", e.path, e.who, e.waited)
}

func (e *lockedError) Is(target error) bool { return target == ErrLocked }

// boltView runs fn in a bbolt read transaction.
func (db *DB) boltView(fn func(*bolt.Tx) error) (err error) {
	h, err := db.acquire(false)
	if err != nil {
		return err
	}
	defer func() { db.release(errors.Is(err, ErrDamaged)) }()
	defer guard(db.path, &err, debug.SetPanicOnFault(true))
	return h.View(fn)
}

// boltUpdate runs fn in a bbolt write transaction.
func (db *DB) boltUpdate(fn func(*bolt.Tx) error) (err error) {
	h, err := db.acquire(true)
	if err != nil {
		return err
	}
	defer func() { db.release(errors.Is(err, ErrDamaged)) }()
	defer guard(db.path, &err, debug.SetPanicOnFault(true))
	return h.Update(fn)
}
