// Package store keeps everything genestore knows in one bbolt file: the
// datasets a user ingested (raw matrix included), the global gene
// vocabulary, and what later stages derive (co-expression edges,
// regulatory networks, embeddings, model weights, index snapshots,
// clusterings, annotations), each with its provenance.
//
// # Basics
//
// Open a store with [Open]; it is created at the latest schema when absent.
// Read with [DB.View] and write with [DB.Update]: the function gets a [*Tx]
// whose typed methods (AddDataset, Matrix, PutEmbeddings, PutBlob, ...) all
// act inside that one bbolt transaction. Every logical write is one
// transaction, so it is all-or-nothing: training results (embeddings,
// weights, edges, provenance) written in one Update commit together, and an
// ingest that fails or whose process dies leaves the store as it was.
// DB-level methods (DB.AddDataset, DB.Datasets, ...) wrap one call each in
// its own transaction.
//
// Any number of readers run alongside one writer; a reader sees the last
// commit as of its start (a snapshot) and never half of a write.
//
// # Sharing a store between processes
//
// bbolt locks the file (flock) for as long as a handle is open: shared for
// a read-only handle, exclusive for a writable one. A DB therefore holds a
// handle only while transactions run, so any number of processes — a
// server, a training run, an append, queries — use one store, each locking
// it only for the length of a transaction:
//
//   - View opens a read-only handle (shared lock) when none is open, and
//     keeps it for Options.Linger (250 ms) after the last read so that a busy
//     server does not reopen the file per request.
//   - Update opens a read-write handle (exclusive lock) for its transaction
//     only; Views of the same DB share it meanwhile. It waits up to
//     Options.Timeout for other processes' transactions to end, then fails
//     with ErrLocked.
//   - Every open reads the file's meta page afresh, and no other process can
//     commit while a handle is open: a reader never sees the file change
//     under it, and sees every commit made before its handle opened.
//   - Writers cannot starve: a writer that waits records itself in the
//     sidecar file PATH.lock-owner (JSON: pid, verb, state, since; see
//     LockOwner). A DB that finds a live writer recorded there starts no
//     new transaction on its lingering handle, closes it as soon as its
//     transactions in flight end, and holds back from reopening for up to
//     half its Timeout. Under constant load a writer waits for the
//     transactions in flight, not for a gap between them (measured: 8–20 ms
//     against 4 goroutines reading without pause, TestWriterNotStarved).
//   - The same record names the holder in ErrLocked: "store: PATH is
//     locked by "genestore train cells" (pid 1234, since 18:02:11); waited
//     2s: retry later or raise the lock timeout (--lock-timeout)". Records of
//     processes that died are ignored; readers leave none.
//
// So long jobs read their inputs in short View transactions, compute with no
// lock held, and commit in one Update that re-checks what they read (package
// pipeline: a space's generation, ErrConflict). A long View (Verify, an
// export of a big space) and a long Update (the whole of one AddDataset)
// still keep other processes' writers, respectively everyone, waiting.
//
// # Damaged files
//
// bbolt trusts the file: a file shorter than its meta page says (a
// truncated copy, a store whose creation ran out of space) makes reads past
// the end fault with SIGBUS, which no recover can catch, and a corrupt page
// trips its assertions (panics). So, before bbolt maps an existing file,
// Open and every reopen check its size (a whole number of pages, at least
// 4), both meta pages (magic, version, checksum; one valid one suffices, as
// for bbolt) and that the file holds the pages the newest meta claims;
// panics raised inside bbolt and memory faults on the mapping
// (runtime/debug.SetPanicOnFault) during Open, View and Update are
// recovered. All give ErrDamaged: "store: PATH is damaged: ... (run
// `genestore verify`; restore a copy)". An empty file is ErrNotStore. A new
// store is created under a temporary name in the same folder, synced, and
// linked (or renamed) into place only once whole, so a creation that fails
// leaves nothing behind.
//
// # Data model
//
// Integer keys are big-endian so cursors walk them in numeric order. "‖" is
// concatenation. Values are records framed as described in codec.go: a
// record version byte, a body documented on the record's encoder, and a
// CRC-32C. The exceptions are fixed-width values: the schema version and
// every "→ u32 id" value below are 4 bytes, big-endian, versioned by the
// schema version itself.
//
//	meta            "magic" → "genestore"; "schema_version" → u32;
//	                "created_by", "last_written_by" → binary version;
//	                "created_at" → RFC 3339 time; "home_species" → species
//	                name (schema 5, once a dataset names a species)
//	datasets        u32 dataset id → dataset record (DatasetInfo)
//	dataset_names   name → u32 dataset id
//	genes           u32 gene id → gene record (symbol, source id)
//	gene_keys       vocabulary key → u32 gene id (see below)
//	gene_fold       lower(symbol) ‖ 0x00 ‖ u32 gene id → empty (schema 2)
//	dataset_genes   u32 dataset id → u32 list: global gene id of each column
//	barcodes        u32 dataset ‖ u32 first cell → chunk of ≤ 4096 barcodes
//	cell_index      u32 dataset ‖ barcode → u32 cell index
//	obs             u32 dataset ‖ column name → obs column (dictionary-coded)
//	matrix          u32 dataset ‖ u32 first cell → CSR chunk (≤ 4096 cells, ~1 MiB)
//	edges/<u32 ds>  u32 gene → adjacency list (partner, weight)
//	edge_meta       u32 dataset → edge count + provenance
//	embeddings/<space>
//	                "info" → dimension + generation
//	                vec/   u32 dataset ‖ u32 entity → vector (dim × f32)
//	                sets/  u32 dataset → count + provenance
//	blobs/<kind>/<name>
//	                "header" → size, chunk count, CRC of the whole
//	                u32 chunk number → ≤ 1 MiB of data
//	clusterings/<space>   name → entity keys, labels, stale flag, provenance
//	collections     name → gene sets
//	predictions/<kind>    name → rows, stale flag, provenance
//	regulation/<network>  (schema 3) "meta" → views, method, counts,
//	                provenance; out/ u32 regulator → its targets, in/ u32
//	                target → its regulators, each list (partner, score,
//	                sign, per-view support) best first
//	layers/<u32 ds ‖ layer name>  (schema 4) derived per-dataset layers
//	                (predicted expression): "meta" → dataset, name, value
//	                type, cells, gene ids, provenance; values/ u32 first
//	                cell ‖ u32 gene → ≤ 1024 f32 values (one gene, one chunk
//	                of cells; see layers.go)
//	models          (schema 4) model name → provenance of the weights blob
//	                model/<name>
//	spatial         (schema 5) u32 dataset → spot coordinates (x, y per
//	                cell; see spatial.go)
//
// Dataset ids start at 1 and come from a sequence; [vocab.Consensus]
// (0xFFFFFFFF) names cross-dataset records. A cell is (dataset id, row
// index); a gene is a global gene id. [vocab.EntityKey] packs (dataset, id) into
// the uint64 that indexes, clusterings and predictions use.
//
// Genes are joined across datasets by exact symbol. A symbol that occurs
// more than once within one dataset is not merged: each occurrence becomes
// its own gene, keyed symbol ‖ 0x00 ‖ source id, and
// DatasetInfo.DuplicateSymbols counts the repeats. GenesBySymbol finds
// genes of a symbol in any letter case.
//
// Matrices are stored whole, chunked by cells, so training and append read
// them from the store ([Tx.Matrix], [Tx.MatrixRows]) and never need the
// source files again. Integer-valued data (counts) is stored as varints,
// other data as float32; columns are delta-coded.
//
// # Caveats
//
// IMPORTANT: values returned by a Tx are copies and stay valid after it;
// but a Tx itself must not be used after its function returns, nor from
// another goroutine.
//
// Keep read transactions short while a large write runs: a writer that must
// grow the file waits for open readers to finish before it can remap.
//
// IMPORTANT: do not start a View from inside another View of the same DB
// (nested transactions): when an Update of this DB waits for the read-only
// handle to drain, the inner View waits for the outer one — a deadlock.
// bbolt has the same rule for remaps.
//
// A panic recovered as ErrDamaged inside Open may leave that one handle's
// file descriptor (and its lock) to the garbage collector.
//
// A store written by a newer schema is refused (ErrTooNew); an older one
// needs [Migrate] (or Options.AutoMigrate). Migrations run in one
// transaction, see package genestore/migrations.
//
// The whole of one AddDataset is held in memory until commit (bbolt builds
// the transaction's pages in memory): budget roughly twice the encoded
// matrix size (about 2–6 bytes per nonzero).
//
// IMPORTANT: bbolt splits B+tree nodes only at commit, so many keys put in
// random order into one bucket within a transaction cost O(n²) memory
// moves. Writers here sort keys before putting them (genes, barcodes,
// vectors, adjacency lists); new code must do the same.
//
// A write that fails for lack of space (disk full, file-size limit) returns
// ErrNoSpace and leaves the store as it was. [DB.Verify] decodes every
// record and checks its checksum; [DB.Digest] summarises the logical
// content (tests compare states with it).
//
// Sync stays on: a commit returns only once it is on disk. The free list is
// not synced (bbolt rebuilds it on open), which is crash-safe.
package store
