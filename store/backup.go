package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"genestore/internal/atomicfile"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the store to out: the state of one
// read transaction, so readers and writers of other processes go on before
// and after it (a writer waits only while the copy is written, as for any
// read). The copy is written to a temporary file beside out, synced, and
// renamed over out, so out is either the old file or the whole copy. It
// returns the bytes written. out may not be the store itself (ErrInvalid).
func (db *DB) Backup(ctx context.Context, out string) (int64, error) {
	if err := db.notSelf(out); err != nil {
		return 0, err
	}
	var n int64
	// The read transaction first: the temporary file is created only once
	// the copy can start, not left empty while the store is busy.
	err := db.boltView(func(btx *bolt.Tx) error {
		return atomicfile.Write(out, func(f *os.File) error {
			var err error
			n, err = btx.WriteTo(ctxWriter{ctx, f})
			return err
		})
	})
	return n, err
}

// CompactResult reports a compaction.
type CompactResult struct {
	Path   string `json:"path"`   // the compacted file
	Before int64  `json:"before"` // bytes of the store before
	After  int64  `json:"after"`  // bytes of the compacted file
	// Swept lists the temporary files of killed writers that an in-place
	// Compact removed from beside the store (see sweepStale), and
	// SweptBytes their size.
	Swept      []string `json:"swept,omitempty"`
	SweptBytes int64    `json:"swept_bytes"`
}

// staleAfter is how long a temporary file beside the store must have gone
// unmodified before an in-place Compact takes it for a dead writer's.
const staleAfter = 10 * time.Minute

// sweepStale removes the temporary files that a writer killed before its
// rename leaves beside the store: ".<store>.tmp-N" (Compact and Backup
// through atomicfile) and ".<store>.new-N" (the creation of a store), N
// the decimal digits os.CreateTemp puts there. A killed in-place Compact
// leaves a copy as large as the store. Only an in-place Compact calls it,
// holding the store's exclusive lock, so no other Compact of this store is
// writing one. A file is kept if it is not a regular file, was modified
// within staleAfter, or is locked by a process (removeUnlocked: bbolt
// locks every file it has open, a live compaction's copy or another store
// that happens to match the pattern).
func (db *DB) sweepStale(now time.Time) (swept []string, bytes int64) {
	dir, base := filepath.Dir(db.path), filepath.Base(db.path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0
	}
	for _, e := range entries {
		name := e.Name()
		if !isTempOf(name, "."+base+".tmp-") && !isTempOf(name, "."+base+".new-") {
			continue
		}
		path := filepath.Join(dir, name)
		fi, err := os.Lstat(path)
		if err != nil || !fi.Mode().IsRegular() || now.Sub(fi.ModTime()) < staleAfter {
			continue
		}
		if removeUnlocked(path) {
			swept = append(swept, path)
			bytes += fi.Size()
		}
	}
	return swept, bytes
}

// isTempOf reports whether name is prefix followed by a decimal uint32,
// os.CreateTemp's shape for the pattern prefix+"*".
func isTempOf(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return false
	}
	_, err := strconv.ParseUint(rest, 10, 32)
	return err == nil
}

// compactTxSize bounds each transaction compactCopy writes to the new file.
const compactTxSize = 64 << 20

// Compact rewrites the store without free pages (compactCopy: bbolt.Compact's
// copy, which ctx can interrupt; the store is then left as it was). With out
// empty the store itself is replaced: Compact holds the store's exclusive
// lock (recorded in the lock-owner file, like any writer) from before the
// copy until the compacted file is renamed over the store, so no write can
// be lost; another process holding the store past the lock timeout makes it
// fail with ErrLocked. With out set, the store is left as it is and the
// compacted copy (of one read transaction) goes to out. Either way the new
// file is written under a temporary name, synced and renamed, so a crash
// leaves the old file or the new one whole; an in-place Compact also
// removes such temporary files that killed writers left (sweepStale).
func (db *DB) Compact(ctx context.Context, out string) (_ CompactResult, err error) {
	res := CompactResult{Path: out}
	inPlace := out == ""
	if inPlace {
		if db.readOnly {
			return res, fmt.Errorf("%w: %s", ErrReadOnly, db.path)
		}
		res.Path = db.path
	} else if err := db.notSelf(out); err != nil {
		return res, err
	}
	var h *bolt.DB
	if inPlace {
		h, err = db.acquireCompact()
		if err != nil {
			return res, err
		}
		defer db.releaseCompact()
		res.Swept, res.SweptBytes = db.sweepStale(time.Now())
		if len(res.Swept) > 0 {
			defer func() { // a failure after the sweep still names what it removed
				if err != nil {
					err = fmt.Errorf("%w (before failing, removed the stale temporary files %s)", err, strings.Join(res.Swept, ", "))
				}
			}()
		}
		// No new write transaction starts (acquireAs), and this one waits
		// for those already on h to commit: every committed write is in
		// the copy, and none lands in the file the rename replaces.
		wtx, err := h.Begin(true)
		if err != nil {
			return res, db.writeError(err)
		}
		defer wtx.Rollback()
	} else {
		if h, err = db.acquire(false); err != nil {
			return res, err
		}
		defer db.release(false)
	}
	fi, err := os.Stat(db.path)
	if err != nil {
		return res, err
	}
	res.Before = fi.Size()
	err = atomicfile.Write(res.Path, func(f *os.File) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		dst, err := bolt.Open(f.Name(), fi.Mode().Perm(), &bolt.Options{NoSync: true, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
		if err != nil {
			return err
		}
		if err := compactCopy(ctx, dst, h, compactTxSize); err != nil {
			dst.Close()
			return err
		}
		// bbolt grows a file in steps of up to 16 MiB: cut the new file at
		// its last page in use.
		var used int64
		if err := dst.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil }); err != nil {
			dst.Close()
			return err
		}
		if err := dst.Close(); err != nil {
			return err
		}
		if err := f.Truncate(used); err != nil {
			return err
		}
		if testHookCompactBeforeRename != nil {
			testHookCompactBeforeRename()
		}
		return ctx.Err()
	})
	if err != nil {
		return res, db.writeError(err)
	}
	if fi, err = os.Stat(res.Path); err != nil {
		return res, err
	}
	res.After = fi.Size()
	return res, nil
}

// acquireCompact takes a write handle for an in-place Compact and closes
// the gate for other write transactions until releaseCompact; one in-place
// Compact runs at a time.
func (db *DB) acquireCompact() (*bolt.DB, error) {
	db.mu.Lock()
	for db.compact && !db.closed {
		db.cond.Wait()
	}
	db.compact = true
	db.mu.Unlock()
	h, err := db.acquireAs(true, true)
	if err != nil {
		db.mu.Lock()
		db.compact = false
		db.cond.Broadcast()
		db.mu.Unlock()
	}
	return h, err
}

// releaseCompact ends an in-place Compact: its handle holds the replaced
// file, so it takes no new transaction (reads that joined it finish on it)
// and the waiting writers open the new file.
func (db *DB) releaseCompact() {
	db.mu.Lock()
	db.compact, db.draining = false, true
	db.mu.Unlock()
	db.release(false)
}

// testHookCompactBeforeRename, when set by a test, runs after the
// compacted copy is written and before it replaces anything.
var testHookCompactBeforeRename func()

// notSelf refuses a destination that is the store file itself.
func (db *DB) notSelf(out string) error {
	if out == "" {
		return fmt.Errorf("%w: no output file", ErrInvalid)
	}
	a, err1 := os.Stat(out)
	b, err2 := os.Stat(db.path)
	if err1 == nil && err2 == nil && os.SameFile(a, b) {
		return fmt.Errorf("%w: %s is the store itself", ErrInvalid, out)
	}
	return nil
}

// ctxWriter fails writes once ctx is done, so a long copy can be stopped.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
