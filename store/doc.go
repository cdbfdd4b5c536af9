// Package store keeps everything genestore knows in one bbolt file: the
// datasets a user ingested (raw matrix included), the global gene
// vocabulary, and what later stages derive (co-expression edges,
// embeddings, model weights, index snapshots, clusterings, annotations),
// each with its provenance.
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
//	                "created_at" → RFC 3339 time
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
// A store is locked by the process that opened it for writing; a second
// Open waits Options.Timeout (2 s by default) and then fails with
// ErrLocked. Read-only opens share the file with each other.
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
