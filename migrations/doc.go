// Package migrations holds the ordered, numbered schema steps of a genestore
// store file and runs them.
//
// # Basics
//
// A genestore store is one bbolt file. Its schema version is a big-endian
// uint32 under the key "schema_version" in the top-level bucket "meta"
// (see [MetaBucket], [VersionKey]). A file without that bucket is at
// version 0 (empty). [Steps] lists every step in order; step N moves a file
// from version N-1 to version N. [Run] applies every missing step inside the
// caller's single read-write transaction, so an upgrade is all-or-nothing:
// if any step fails, or the process dies, the file keeps its old version and
// contents.
//
// Version 1 creates the initial bucket layout. Version 2 adds a case-folded
// gene-symbol index ("gene_fold") built from the genes already stored, which
// the store uses for case-insensitive symbol lookup.
//
// # Caveats
//
// Versions only move forward. A step, once released, is frozen: it must keep
// working on files written by the code of its time, so each step carries its
// own copy of the record layouts it reads instead of importing the store's
// codecs (which may change later under a new version byte). [Run] refuses a
// file whose version is newer than [Latest] with [ErrTooNew]. Steps must
// not depend on the wall clock or on randomness: migrating the same file
// twice gives the same bytes.
//
// IMPORTANT: a new step is appended to [Steps] with the next number and gets
// a before/after test on a frozen fixture in testdata/; the test that pins
// every number and name fails until both exist.
package migrations
