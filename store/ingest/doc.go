// Package ingest reads single-cell expression matrices from the formats
// people exchange them in and returns one in-memory Dataset: a cells × genes
// CSR matrix (float32), gene ids and symbols, unique cell barcodes, per-cell
// metadata columns, the value type, and a SHA-256 of the input bytes.
//
// # Basics
//
// Read(ctx, path, opts) detects the format from path unless opts.Format says:
//
//   - "mtx": a 10x Matrix Market folder (or its matrix.mtx[.gz]):
//     matrix.mtx[.gz] (genes × cells, 1-based, "coordinate integer|real
//     general", % comments allowed), features.tsv[.gz] (v3: id, symbol,
//     type) or genes.tsv[.gz] (v2: id, symbol), barcodes.tsv[.gz], and an
//     optional obs.csv picked up when opts.Obs is empty. The matrix is read
//     by a streaming byte parser (no per-line allocation) and turned into
//     CSR by a counting sort; files sorted by cell, as 10x writes them,
//     need no sort at all. When features carry types, only "Gene
//     Expression" features are kept (unless there are none). A folder
//     holding two candidates for one part (matrix.mtx beside
//     matrix.mtx.gz, features.tsv beside genes.tsv, ...) is an error
//     naming both: they may be two versions of the data.
//   - "h5ad": AnnData. X may be a CSR group, a CSC group or a dense 2-D
//     dataset; layers/counts is preferred when present (and then the values
//     are counts). obs columns are read from numeric and string datasets
//     and categoricals (anndata ≥ 0.8 groups with categories + codes, and
//     the 0.7 layout with obs/__categories/<col>); the obs index gives the
//     barcodes; the var index gives symbols, var/gene_ids the ids. When var
//     has a gene_symbols/gene_symbol/feature_name column it is used for the
//     symbol, because anndata makes the index unique with "-1" suffixes.
//   - "10x-h5": Cell Ranger HDF5, v3 (matrix/…, features/{id,name,
//     feature_type}; only Gene Expression kept) and v2 (one genome group).
//   - "csv": a dense CSV/TSV, optionally gzipped. By default one row per gene
//     and one column per cell (the way 10x and Seurat export dense
//     matrices): the header names the cells, the first column the genes.
//     opts.Transpose reads one row per cell instead. The header may or may
//     not have a corner label. Genes get id = symbol = the row/column name.
//
// opts.Obs names a CSV/TSV of per-cell metadata joined on barcode (column
// "barcode", else the first column). Its fields may be quoted and then hold
// delimiters, doubled quotes and line breaks (RFC 4180). The delimiter of an
// obs file or a CSV matrix comes from the extension (tab for .tsv and .txt,
// else comma) unless set; a header that splits into one column but holds
// another delimiter is an error naming the extension that chose it. A
// UTF-8 byte order mark at the start of any text table, barcodes or
// features file is ignored. A row whose barcode is not in the
// matrix is an error; a matrix cell without a row gets empty values. A
// column is Categorical when any present value is not a number. For h5ad,
// an obs file column replaces the h5ad column of the same name.
//
// # Value types
//
// opts.Values declares what the matrix holds; when empty it is inferred: an
// mtx "integer" field means counts and "real" means normalized; for h5ad,
// 10x h5 and CSV, all-integer values mean counts, anything else normalized
// (log-transformed data cannot be told from normalized data: declare it).
// vocab.Counts (declared, from an integer mtx field, or from layers/counts) must be
// integers. Every value must be finite, non-negative and fit in float32.
// IMPORTANT: the matrix is float32, which holds every integer up to 2^24 =
// 16,777,216 but above it only some (even numbers up to 2^25, ...); an
// integer value float32 cannot hold exactly (16,777,217) is refused with
// ErrValue naming the file and line, never rounded.
//
// # Checksum
//
// Dataset.SHA256 is the SHA-256 of the raw bytes (compressed as on disk) of
// every input file, concatenated in this order: mtx barcodes, features,
// matrix; or the single h5ad/h5/CSV file; then the obs file if any; then a
// Space Ranger tissue positions file read for the coordinates. For a
// single-file input without obs or positions it equals `sha256sum FILE`.
//
// # Errors
//
// Every error wraps one sentinel (ErrFormat, ErrDuplicate, ErrValue,
// ErrMismatch, ErrEmpty, ErrLimit, ErrOptions) and names the file and line
// (text formats) or the HDF5 object path. Read never panics on input and
// never allocates from a declared size alone: the mtx size line is checked
// against the barcodes and features files and against opts.MaxNNZ/MaxDim
// before anything is allocated, and entries are stored in fixed-size blocks
// as they are read. testdata/bad holds a corpus of malformed inputs with the
// error each must produce (LoadBadInputs parses its manifest).
//
// # Caveats
//
//   - IMPORTANT: github.com/scigolib/hdf5 v0.14.0 allocates some sizes read
//     from the file before checking them (local heap segments, global heap
//     collections, attribute dataspaces, chunked dataset extents); one
//     corrupt field can make it ask for terabytes and end the process. This
//     package checks all four before the library acts on them (local and
//     global heaps by scanning the bytes while hashing them, attributes and
//     datasets from their headers) and turns library panics into ErrFormat.
//     Mutation fuzzing of h5ad and 10x h5 files found no crash after these
//     checks, but other structures of the library are not audited: treat
//     HDF5 files from untrusted sources with care. The text readers have no
//     such dependency.
//   - h5ad obs columns: numbers, strings, categoricals, booleans (h5py's
//     int8 enum) and anndata's nullable-integer, nullable-boolean and
//     nullable-string-array encodings are read; a column of any other
//     encoding or type is an error naming it (in var, such columns are
//     skipped: genestore reads only its ids and symbols there).
//   - HDF5 numeric data is read whole through the library (as float64), so
//     peak memory for an h5ad is about 16 bytes per stored value on top of
//     the result; dense X is limited to MaxNNZ elements.
//   - A dense CSV must fit one row per line (no quoted newlines); lines are
//     limited to 256 MiB.
//   - Explicit zeros in an mtx or sparse HDF5 matrix are kept as stored
//     entries; zeros in dense inputs are dropped.
package ingest
