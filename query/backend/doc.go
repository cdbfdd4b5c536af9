// Package backend implements the interfaces of package query over an open
// genestore store: names, vectors and graphs are read in short read
// transactions, and searches go through the space's HNSW index
// (genestore/vecindex).
//
// # Caching
//
// Indexes are loaded lazily, once per space, from the snapshot saved in the
// store (or rebuilt in memory when it is missing or stale; rebuilt indexes are
// saved only when the store is writable). Before each search the space's
// generation is read (one short transaction); when it moved, the index is
// reloaded, so a long-running server sees vectors committed after it started.
// Loads are serialised per space; searches run concurrently.
//
// TopInner scans a space exactly and keeps a copy of all its vectors in
// memory after the first call (4·dim bytes per vector: 128 MiB for a million
// 32-dimensional cells), also reloaded when the generation moves. Barcodes
// are read once per dataset and kept: datasets do not change once added.
//
// # Aliases
//
// An alias map (old or alternative symbol → current symbol) is stored as a
// blob, see PutAliases for its layout; ParseAliases reads the TSV files of
// HGNC/NCBI style ("alias_symbol<TAB>symbol...").
//
// # Caveats
//
//   - Store errors "not found" (and unknown obs columns) are reported as
//     query.ErrNotFound, keeping the store's message.
//   - A read-only store whose index snapshot is stale rebuilds the index in
//     memory on every process start (and logs why to Options.Log).
package backend
