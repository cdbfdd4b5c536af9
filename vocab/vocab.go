// Package vocab is the shared vocabulary of genestore: the names and small
// types that the store, the models, the query engine and the pipeline must
// agree on, and nothing else. It imports nothing of ours, so every layer can
// use it without pulling in another.
//
// It holds:
//   - ValueType: what the numbers of a matrix are (counts, normalized, log);
//   - Modality: what kind of assay a dataset comes from (rna, spatial, ...);
//   - the Consensus dataset id and its display name;
//   - entity keys: (dataset, entity) packed into one uint64;
//   - embedding space names, blob kinds and model names, prediction kinds,
//     derived layer names.
package vocab

// ValueType says what the numbers in a matrix are. It decides how training
// normalises them and which likelihood the cell model uses.
type ValueType string

const (
	// Counts are raw, non-negative integer UMI or read counts.
	Counts ValueType = "counts"
	// Normalized values are non-negative, depth-normalised but not
	// log-transformed (CPM, FPKM, TPM, ...).
	Normalized ValueType = "normalized"
	// Log values are already log-transformed (e.g. log1p of normalised).
	Log ValueType = "log"
	// Predicted values are a model's estimates of log-normalised expression
	// (log1p of counts per 10,000), held in a derived layer of a dataset,
	// never in an ingested matrix.
	Predicted ValueType = "predicted"
)

// Modality is the kind of assay a dataset comes from. It decides how the
// gene model builds the dataset's co-expression graph: spatial data are
// smoothed over neighbouring spots first, chromatin gene activity is
// binarised.
type Modality string

const (
	// RNA is single-cell or single-nucleus RNA-seq (the default).
	RNA Modality = "rna"
	// Spatial is spatial transcriptomics: spots (or cells) with x/y
	// coordinates (Visium, Slide-seq, ST, ...).
	Spatial Modality = "spatial"
	// ATACActivity is a gene-activity matrix derived from scATAC-seq
	// (fragments in peaks over each gene's body and promoter).
	ATACActivity Modality = "atac-activity"
	// Bulk is bulk RNA-seq or microarray samples.
	Bulk Modality = "bulk"
)

// Modalities lists every modality in display order.
func Modalities() []Modality { return []Modality{RNA, Spatial, ATACActivity, Bulk} }

// Valid reports whether m is one of Modalities.
func (m Modality) Valid() bool {
	for _, v := range Modalities() {
		if m == v {
			return true
		}
	}
	return false
}

// Consensus is the dataset id under which cross-dataset vectors (for
// example consensus gene embeddings) are stored. Real dataset ids start at 1
// and never reach it.
const Consensus uint32 = 0xFFFFFFFF

// ConsensusName is how answers and exports name the Consensus "dataset".
const ConsensusName = "consensus"

// EntityKey packs a dataset id and an entity id into the uint64 key that
// indexes, clusterings and predictions use: dataset << 32 | id. For cells
// the id is the cell's row index in its dataset; for genes it is the global
// gene id (with dataset Consensus for consensus vectors). Keys sort by
// dataset first, so one dataset's entities are a contiguous key range, and
// one HNSW index over several datasets answers "nearest cells across
// datasets" with keys that name their dataset.
func EntityKey(dataset, id uint32) uint64 { return uint64(dataset)<<32 | uint64(id) }

// SplitEntityKey is the inverse of EntityKey.
func SplitEntityKey(k uint64) (dataset, id uint32) { return uint32(k >> 32), uint32(k) }

// Embedding spaces written by the training pipeline.
const (
	SpaceGenes     = "genes"      // gene embeddings: (dataset, gene) and (Consensus, gene)
	SpaceCells     = "cells"      // cell embeddings: (dataset, cell row)
	SpaceCellGenes = "cell-genes" // gene vectors in the cell latent space: (Consensus, gene)
	// SpaceCellsFromGenes holds cells embedded from the consensus gene
	// vectors (train/fromgenes): (dataset, cell row).
	SpaceCellsFromGenes = "cells-from-genes"
)

// IsCellSpace tells whether space's vectors are cells, keyed (dataset,
// cell row): the cell model's space or cells-from-genes.
func IsCellSpace(space string) bool {
	return space == SpaceCells || space == SpaceCellsFromGenes
}

// Blob kinds and the names of the blobs under them.
const (
	BlobModel  = "model"  // model weights, named by ModelGenes / ModelCells
	BlobIndex  = "index"  // HNSW snapshots, named by their space
	BlobLayout = "layout" // 2-D UMAP layouts (package layout), named by their space
	// BlobIndexSettings holds a space's own index options (quantization,
	// M, beams; package vecindex), named by the space.
	BlobIndexSettings = "index-settings"
	ModelGenes        = "genes" // the gene model's weights
	ModelCells        = "cells" // the cell model's weights
	ModelExpr         = "expr"  // the expression-prediction model's weights (train/expr)
)

// Derived layers of a dataset.
const (
	// LayerPredicted is the layer that predicted expression is written to.
	LayerPredicted = "predicted"
)

// Prediction kinds written back by the annotate queries.
const (
	KindGoTerms    = "go-terms"    // name = collection
	KindCellLabels = "cell-labels" // name = "<query dataset>:<label column>"
)
