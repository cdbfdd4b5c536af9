// Package backend implements the interfaces of package query over an open
// genestore store. Backend.View opens one store read transaction and hands
// the query engine a query.Reader over it: names, vectors and graphs are read
// from that transaction, and searches go through the HNSW index of the
// space's generation in that transaction (genestore/vecindex), so one query
// never mixes two commits.
//
// # Caching
//
// Indexes are cached per space, one per generation: the newest loaded. A
// search reads the space's generation in its snapshot; when the cached index
// is of another generation, the index saved in the snapshot is read, or,
// when that is missing, stale or corrupt, one is built in memory from the
// snapshot's vectors (with a line to Options.Log). It replaces the cached one
// unless that is newer: an index loaded for generation G is only ever used
// in snapshots of generation G, and a long-running server sees vectors
// committed after it started. A snapshot never writes, so indexes rebuilt
// during queries are not saved; Warm (called by the server before it
// listens) loads outside any snapshot and saves what it rebuilt when the
// store is writable. Loads are serialised per space; searches run
// concurrently. A cached int8 index has its links packed
// (index.Index.PackLinks): int8 is the setting for memory, and packing
// halves what is left of it for 4–13% of the graph search's speed.
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
//   - A store whose index snapshot is stale (or a read-only one) rebuilds the
//     index in memory on every process start (and logs why to Options.Log)
//     unless Warm saved it.
//   - A query.Reader must not be used after its View returns (it answers
//     an error), nor be used to write: View's callback runs inside a read
//     transaction, and a write transaction that grows the file waits for it.
package backend
