// Package h5ad writes AnnData .h5ad files — the on-disk format of anndata
// and scanpy — in pure Go. (Reading .h5ad is store/ingest's job.)
//
// # Basics
//
// Build an AnnData (obs and var dataframes, an optional dense or CSR X, obsm
// matrices, an uns tree) and call Encode with a file. The file follows the
// AnnData on-disk specification as anndata 0.8 and later read it:
//
//	/                 encoding-type "anndata", encoding-version "0.1.0"
//	/X                dense float32 "array" 0.2.0, or a "csr_matrix" 0.1.0
//	                  group (data float32, indices and indptr int32 — int64
//	                  past 2^31 nonzeros — and shape)
//	/obs, /var        "dataframe" 0.2.0: _index "_index", column-order (the
//	                  column names; an empty float64 array when none, as
//	                  h5py writes an empty list), the index as a
//	                  "string-array", and each column: "string-array",
//	                  "array" (float64, int64 or bool) or "categorical"
//	                  0.2.0 (ordered, codes int8/int16/int32 with -1 for
//	                  missing, categories "string-array")
//	/obsm             "dict" 0.1.0 of dense "array"s
//	/varm /obsp /varp /layers   empty "dict"s
//	/uns              "dict" 0.1.0: "string" and "numeric-scalar" 0.2.0
//	                  scalars, "string-array" and "array" lists, nested dicts
//
// Attributes that the specification reads as scalars (encoding-type,
// encoding-version, _index, ordered) are HDF5 scalars — a one-element array
// there makes anndata fail with "unhashable type: 'list'". Strings are
// variable-length UTF-8 so h5py returns str, not bytes. Booleans are h5py's
// enum of int8 (FALSE 0, TRUE 1).
//
// # The HDF5 subset
//
// hdf5.go writes the oldest HDF5 layout every HDF5 library reads: superblock
// version 0, version-1 object headers, groups as symbol tables (one B-tree
// leaf, one symbol-table node, one local heap), contiguous datasets, and
// variable-length strings in global heap collections of at most 65,534
// strings. Objects are written front to back, children before parents, and
// the superblock last; nothing depends on a clock or on map order, so two
// encodings of one AnnData are byte-identical.
//
// # Caveats
//
// Everything is written uncompressed and unchunked. Group members must not
// contain "/" (Key makes a name safe). No nullable-integer or
// nullable-boolean encodings (anndata 0.9+): missing numbers are NaN and
// missing categories code -1, which anndata 0.8 reads.
package h5ad
