package migrations

import bolt "go.etcd.io/bbolt"

// v001Buckets are the top-level buckets of schema version 1. Frozen: a later
// step that adds or renames a bucket does so itself.
var v001Buckets = []string{
	MetaBucket,
	"datasets",      // u32 dataset id → dataset record
	"dataset_names", // dataset name → u32 dataset id
	"genes",         // u32 gene id → gene record
	"gene_keys",     // gene vocabulary key → u32 gene id
	"dataset_genes", // u32 dataset id → list of u32 gene ids, one per column
	"barcodes",      // u32 dataset id ‖ u32 first cell → chunk of barcodes
	"cell_index",    // u32 dataset id ‖ barcode → u32 cell index
	"obs",           // u32 dataset id ‖ column name → obs column record
	"matrix",        // u32 dataset id ‖ u32 first cell → CSR chunk
	"edges",         // nested per dataset: u32 gene → adjacency record
	"edge_meta",     // u32 dataset id → edge set record
	"embeddings",    // nested per space
	"blobs",         // nested per kind, per name
	"clusterings",   // nested per space: name → clustering record
	"collections",   // name → gene-set collection record
	"predictions",   // nested per kind: name → predictions record
}

// v001Init creates the initial layout: every top-level bucket of version 1.
func v001Init(tx *bolt.Tx) error {
	for _, name := range v001Buckets {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return err
		}
	}
	return nil
}
