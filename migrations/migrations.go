package migrations

import (
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// MetaBucket is the top-level bucket that holds the schema version and the
// store's identity. It is the same at every version.
const MetaBucket = "meta"

// VersionKey is the key in [MetaBucket] whose value is the schema version as
// a big-endian uint32 (4 bytes).
const VersionKey = "schema_version"

// ErrTooNew is returned by [Run] when the file was written by a newer
// schema than this binary knows.
var ErrTooNew = errors.New("migrations: schema version is newer than this binary supports")

// ErrBadVersion is returned when the stored version value is malformed.
var ErrBadVersion = errors.New("migrations: malformed schema version")

// Step is one numbered schema change. Apply moves a file from Version-1 to
// Version; it runs inside the read-write transaction given and must not
// commit or roll it back.
type Step struct {
	Version int
	Name    string
	Apply   func(tx *bolt.Tx) error
}

// Steps returns the ordered list of schema steps. The slice is new on each
// call (callers may not change the package's list).
func Steps() []Step {
	return []Step{
		{Version: 1, Name: "initial layout", Apply: v001Init},
		{Version: 2, Name: "case-folded gene symbol index", Apply: v002GeneFold},
		{Version: 3, Name: "regulatory networks", Apply: v003Regulation},
		{Version: 4, Name: "derived layers and model records", Apply: v004Layers},
		{Version: 5, Name: "dataset modality, species and spot coordinates", Apply: v005Modality},
	}
}

// Latest is the schema version a store has after every step has run.
func Latest() int {
	s := Steps()
	return s[len(s)-1].Version
}

// Version reads the schema version of the file open in tx. A file without a
// meta bucket or without a version key is at version 0.
func Version(tx *bolt.Tx) (int, error) {
	meta := tx.Bucket([]byte(MetaBucket))
	if meta == nil {
		return 0, nil
	}
	v := meta.Get([]byte(VersionKey))
	if v == nil {
		return 0, nil
	}
	if len(v) != 4 {
		return 0, fmt.Errorf("%w: %d bytes, want 4", ErrBadVersion, len(v))
	}
	return int(binary.BigEndian.Uint32(v)), nil
}

// setVersion records v in the meta bucket, creating it if needed.
func setVersion(tx *bolt.Tx, v int) error {
	meta, err := tx.CreateBucketIfNotExists([]byte(MetaBucket))
	if err != nil {
		return err
	}
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(v))
	return meta.Put([]byte(VersionKey), b[:])
}

// Run applies, in order, every step above the file's current version up to
// [Latest], inside tx (which must be writable), and records each new
// version. It returns the versions before and after. A file newer than
// Latest is refused with [ErrTooNew] and left untouched. The caller commits
// tx; any error means the caller must roll it back.
func Run(tx *bolt.Tx) (from, to int, err error) {
	return RunTo(tx, Latest())
}

// RunTo is [Run] with an explicit target version (≤ [Latest]); tests use it
// to build a file at an older version.
func RunTo(tx *bolt.Tx, target int) (from, to int, err error) {
	if !tx.Writable() {
		return 0, 0, errors.New("migrations: transaction is read-only")
	}
	from, err = Version(tx)
	if err != nil {
		return 0, 0, err
	}
	if from > Latest() {
		return from, from, fmt.Errorf("%w: file is at version %d, this binary supports up to %d", ErrTooNew, from, Latest())
	}
	if target > Latest() || target < 0 {
		return from, from, fmt.Errorf("migrations: no such target version %d (latest %d)", target, Latest())
	}
	to = from
	for _, s := range Steps() {
		if s.Version <= from || s.Version > target {
			continue
		}
		if err := s.Apply(tx); err != nil {
			return from, to, fmt.Errorf("migrations: step %d (%s): %w", s.Version, s.Name, err)
		}
		if err := setVersion(tx, s.Version); err != nil {
			return from, to, fmt.Errorf("migrations: step %d (%s): recording version: %w", s.Version, s.Name, err)
		}
		to = s.Version
	}
	return from, to, nil
}
