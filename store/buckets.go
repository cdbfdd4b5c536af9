package store

import (
	"fmt"

	"genestore/migrations"

	bolt "go.etcd.io/bbolt"
)

// Top-level bucket names (schema version 5). The migrations package creates
// them; the store only reads and writes inside them. Layouts of keys and
// values are documented in doc.go and on each record type in codec.go.
var (
	bMeta         = []byte(migrations.MetaBucket)
	bDatasets     = []byte("datasets")
	bDatasetNames = []byte("dataset_names")
	bGenes        = []byte("genes")
	bGeneKeys     = []byte("gene_keys")
	bGeneFold     = []byte("gene_fold")
	bDatasetGenes = []byte("dataset_genes")
	bBarcodes     = []byte("barcodes")
	bCellIndex    = []byte("cell_index")
	bObs          = []byte("obs")
	bMatrix       = []byte("matrix")
	bEdges        = []byte("edges")
	bEdgeMeta     = []byte("edge_meta")
	bEmbeddings   = []byte("embeddings")
	bBlobs        = []byte("blobs")
	bClusterings  = []byte("clusterings")
	bCollections  = []byte("collections")
	bPredictions  = []byte("predictions")
	bRegulation   = []byte("regulation") // schema 3
	bLayers       = []byte("layers")     // schema 4
	bModels       = []byte("models")     // schema 4
	bSpatial      = []byte("spatial")    // schema 5
)

// allBuckets lists every top-level bucket of the current schema.
var allBuckets = [][]byte{bMeta, bDatasets, bDatasetNames, bGenes, bGeneKeys, bGeneFold,
	bDatasetGenes, bBarcodes, bCellIndex, bObs, bMatrix, bEdges, bEdgeMeta, bEmbeddings,
	bBlobs, bClusterings, bCollections, bPredictions, bRegulation, bLayers, bModels, bSpatial}

// Keys in the meta bucket.
var (
	kMagic     = []byte("magic")           // "genestore"
	kCreatedBy = []byte("created_by")      // binary version string
	kCreatedAt = []byte("created_at")      // RFC 3339 UTC
	kWrittenBy = []byte("last_written_by") // binary version string
	kHome      = []byte("home_species")    // schema 5: species whose genes are joined by bare symbol
	magic      = []byte("genestore")
)

// bucket returns a top-level bucket or an ErrCorrupt error naming it.
func (tx *Tx) bucket(name []byte) (*bolt.Bucket, error) {
	b := tx.btx.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("%w: bucket %q missing", ErrCorrupt, name)
	}
	return b, nil
}
