package store

import (
	"errors"
	"fmt"
	"time"
)

// DefaultTimeout is how long a transaction waits for another process's
// hold on the file lock when Options.Timeout is zero.
const DefaultTimeout = 2 * time.Second

// DefaultLinger is how long a DB keeps its read-only handle (and so the
// shared lock) open after its last read transaction when Options.Linger is
// zero.
const DefaultLinger = 250 * time.Millisecond

// Options configure Open. The zero value works and equals DefaultOptions().
type Options struct {
	// Timeout bounds each wait for the file lock held by another process:
	// a transaction (View or Update) that cannot take it within Timeout
	// fails with ErrLocked naming the path and, when recorded, the holder.
	// Zero means DefaultTimeout; it must not be negative.
	Timeout time.Duration
	// Owner names this process in the lock-owner record a writer leaves
	// beside the store (the CLI passes its verb, "genestore train cells"),
	// so that others can say who holds the lock. Empty means the program's
	// name and arguments.
	Owner string
	// Linger is how long the read-only handle stays open after the last
	// read transaction (it is closed at once when a writer of another
	// process waits). Zero means DefaultLinger; negative closes it after
	// every transaction.
	Linger time.Duration
	// ReadOnly opens the file with a shared lock; every write returns
	// ErrReadOnly. Several read-only opens may share a file.
	ReadOnly bool
	// Version is the binary's version, recorded as created-by in a new
	// store and as last-written-by by every write transaction (Update),
	// not by opening or migrating. Empty means "unknown".
	Version string
	// AutoMigrate upgrades an older schema on Open (one transaction).
	// Off by default: an upgraded file can no longer be opened by the older
	// binary, so the upgrade is left to an explicit `genestore migrate`
	// (Migrate). New stores are always created at the latest schema.
	AutoMigrate bool
	// Clock returns the time recorded in new records (dataset added,
	// provenance created when zero). Nil means time.Now. Tests pass a fixed
	// clock to make stores byte-for-byte reproducible.
	Clock func() time.Time
	// InitialMmapSize is passed to bbolt: a larger initial mapping avoids
	// remaps (which wait for readers) while a big dataset is written.
	// Zero lets bbolt choose.
	InitialMmapSize int
}

// DefaultOptions returns the options Open uses for a nil *Options.
func DefaultOptions() *Options {
	return &Options{Timeout: DefaultTimeout}
}

// Validate reports every problem with o at once.
func (o *Options) Validate() error {
	var errs []error
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("%w: negative Timeout %v", ErrInvalid, o.Timeout))
	}
	if o.ReadOnly && o.AutoMigrate {
		errs = append(errs, fmt.Errorf("%w: AutoMigrate needs a writable store (ReadOnly is set)", ErrInvalid))
	}
	if o.InitialMmapSize < 0 {
		errs = append(errs, fmt.Errorf("%w: negative InitialMmapSize %d", ErrInvalid, o.InitialMmapSize))
	}
	return errors.Join(errs...)
}

func (o *Options) timeout() time.Duration {
	if o.Timeout == 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

func (o *Options) linger() time.Duration {
	if o.Linger == 0 {
		return DefaultLinger
	}
	return o.Linger
}

func (o *Options) now() time.Time {
	if o.Clock != nil {
		return o.Clock().UTC()
	}
	return time.Now().UTC()
}
