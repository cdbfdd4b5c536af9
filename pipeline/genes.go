package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"genestore/index"
	"genestore/internal/sparse"
	"genestore/store"
	"genestore/train/gnn"
	"genestore/train/prep"
	"genestore/vecindex"
	"genestore/vocab"
)

// GeneOptions configure TrainGenes.
type GeneOptions struct {
	// Datasets to train on by name; empty means every dataset in the store.
	Datasets []string
	// HVG is the number of highly variable genes kept per dataset (default
	// 2000); each dataset's co-expression graph is built over its own.
	HVG int
	// QC thresholds applied to each dataset before selection.
	QC prep.QCOptions
	// Coexpr configures the co-expression graphs.
	Coexpr prep.CoexprOptions
	// Model are the gene model's hyper-parameters.
	Model gnn.Options
	// Index configures the HNSW index of the "genes" space.
	Index index.Options
	// Spatial configures the smoothing of spatial datasets before their
	// co-expression graph is built.
	Spatial SpatialSmoothing
	// ATAC is the normalisation of atac-activity datasets holding counts:
	// ATACLog (default: size factors and log1p, as RNA counts and as Signac
	// normalises its GeneActivity assay), ATACTFIDF (Signac's normalisation
	// of peaks) or ATACBinary. On pseudo-activity from the simulator
	// (TestATACNormalisation) GO AUROC per dataset was binary 0.567, log
	// 0.562, tfidf 0.546; no real scATAC data was at hand to decide on.
	ATAC string
}

// Normalisations of gene-activity counts (GeneOptions.ATAC).
const (
	ATACTFIDF  = "tfidf"  // prep.TFIDF: Signac's default for scATAC features
	ATACBinary = "binary" // prep.Binarize, then log1p(1) for every accessible gene
	ATACLog    = "log"    // size factors and log1p, as RNA counts
)

// SpatialSmoothing replaces each spot's normalised expression by
// Self·spot + (1−Self)·mean of its K nearest spots (prep.SmoothSpatial)
// before a spatial dataset's co-expression graph is built: a spot holds few
// counts from a mixture of cells, and its neighbours mostly share its
// tissue domain. K = 0 turns it off, the default: on the simulator's spatial
// sections (TestMultimodalSimulation) smoothing over 6 spots lowered the
// share of co-expression edges inside a true module from 0.71 to 0.64 (0.85
// to 0.56 on 500-UMI spots) and module ARI from 0.92 to 0.90, because every
// gene of a tissue domain becomes correlated with every other.
// DefaultSpatialSmoothing is the setting to opt in with.
type SpatialSmoothing struct {
	K    int     `json:"k"`
	Self float32 `json:"self"`
}

// DefaultSpatialSmoothing is the smoothing `train genes --spatial-k 6`
// applies: 6 nearest spots, weight 0.5 on the spot itself.
var DefaultSpatialSmoothing = SpatialSmoothing{K: 6, Self: 0.5}

// DefaultGeneOptions returns the defaults of every part.
func DefaultGeneOptions() GeneOptions {
	return GeneOptions{HVG: 2000, QC: prep.DefaultQCOptions(), Coexpr: prep.DefaultCoexprOptions(),
		Model: gnn.DefaultOptions(), Index: index.DefaultOptions(), Spatial: SpatialSmoothing{K: 0, Self: DefaultSpatialSmoothing.Self},
		ATAC: ATACLog}
}

// applyRecordedGeneParams sets o's preprocessing (HVG, QC, Coexpr) to what a
// gene model's provenance params recorded, when they record it, so that
// appending to the model or evaluating it prepares data as training did.
func applyRecordedGeneParams(o *GeneOptions, params json.RawMessage) {
	var p struct {
		HVG     int                `json:"hvg"`
		QC      prep.QCOptions     `json:"qc"`
		Coexpr  prep.CoexprOptions `json:"coexpr"`
		Spatial *SpatialSmoothing  `json:"spatial"`
		ATAC    string             `json:"atac"`
	}
	if json.Unmarshal(params, &p) == nil && p.HVG > 0 {
		o.HVG, o.QC, o.Coexpr = p.HVG, p.QC, p.Coexpr
		o.ATAC = p.ATAC
		if o.ATAC == "" { // recorded before atac-activity had its own normalisation
			o.ATAC = ATACLog
		}
		if p.Spatial != nil { // models trained before schema 5 did not smooth
			o.Spatial = *p.Spatial
		} else {
			o.Spatial = SpatialSmoothing{}
		}
	}
}

// coexprProvenance is the provenance of dataset id's co-expression edges,
// built with o's preprocessing.
func coexprProvenance(o GeneOptions, id uint32) store.Provenance {
	params, _ := json.Marshal(map[string]any{"method": "pearson", "hvg": o.HVG, "qc": o.QC, "coexpr": o.Coexpr, "spatial": o.Spatial, "atac": o.ATAC})
	return store.Provenance{Kind: "coexpr", ModelVersion: "pearson-v1", Params: params, Datasets: []uint32{id}}
}

// GeneResult summarises TrainGenes.
type GeneResult struct {
	ModelVersion string
	Datasets     []GeneDatasetSummary
	Consensus    int // genes with a consensus vector
	Log          []gnn.EpochLog
	BestEpoch    int
}

// GeneDatasetSummary describes one dataset's share of the gene model.
type GeneDatasetSummary struct {
	Name  string `json:"name"`
	Cells int    `json:"cells"` // after QC
	Genes int    `json:"genes"` // selected (embedded) genes
	Edges int    `json:"edges"` // co-expression edges
}

// GeneInput is one dataset prepared for the gene model: what TrainGenes and
// the evaluation's baselines share.
type GeneInput struct {
	Info  store.DatasetInfo
	Input gnn.DatasetInput // normalised expression of the selected genes, graph
}

// PrepareGenes reads each chosen dataset from the store and runs QC,
// highly-variable-gene selection, normalisation and the co-expression graph.
func PrepareGenes(ctx context.Context, db *store.DB, o GeneOptions, log io.Writer) ([]GeneInput, error) {
	if log == nil {
		log = io.Discard
	}
	if err := checkATAC(o.ATAC); err != nil {
		return nil, err
	}
	var infos []store.DatasetInfo
	if err := db.View(func(tx *store.Tx) (err error) { infos, err = selectDatasets(tx, o.Datasets); return err }); err != nil {
		return nil, err
	}
	if len(infos) == 0 {
		return nil, fmt.Errorf("%w: the store holds no datasets", ErrNoData)
	}
	var out []GeneInput
	for _, info := range infos {
		var (
			x      *sparse.CSR
			genes  []uint32
			coords [][2]float64
		)
		err := db.View(func(tx *store.Tx) (err error) {
			if x, err = tx.Matrix(info.ID); err != nil {
				return err
			}
			if coords, err = tx.SpotCoords(info.ID); err != nil {
				return err
			}
			genes, err = tx.DatasetGenes(info.ID)
			return err
		})
		if err != nil {
			return nil, err
		}
		in, err := prepareOne(ctx, info, x, coords, genes, o)
		if err != nil {
			return nil, fmt.Errorf("dataset %q: %w", info.Name, err)
		}
		fmt.Fprintf(log, "gene model: %s: %d cells, %d genes selected, %d co-expression edges\n",
			info.Name, in.X.Rows, len(in.Genes), len(in.Edges))
		out = append(out, GeneInput{Info: info, Input: in})
	}
	return out, nil
}

// prepareOne runs QC, HVG selection, normalisation, spatial smoothing
// (spatial datasets with coords) and the co-expression graph.
func prepareOne(ctx context.Context, info store.DatasetInfo, x *sparse.CSR, coords [][2]float64, genes []uint32, o GeneOptions) (gnn.DatasetInput, error) {
	cells, cols, err := prep.QC(x, o.QC)
	if err != nil {
		return gnn.DatasetInput{}, err
	}
	x = x.SelectRows(cells).SelectCols(cols)
	kept := make([]uint32, len(cols))
	for i, c := range cols {
		kept[i] = genes[c]
	}
	hvg, err := prep.HVG(x, info.Values, o.HVG)
	if err != nil {
		return gnn.DatasetInput{}, err
	}
	xn, err := normalizeFor(info, x, o.ATAC)
	if err != nil {
		return gnn.DatasetInput{}, err
	}
	xn = xn.SelectCols(hvg)
	if info.Modality == vocab.Spatial && coords != nil && o.Spatial.K > 0 {
		kept := make([][2]float64, len(cells))
		for i, c := range cells {
			kept[i] = coords[c]
		}
		nb, err := prep.SpatialKNN(ctx, kept, o.Spatial.K)
		if err != nil {
			return gnn.DatasetInput{}, err
		}
		if xn, err = prep.SmoothSpatial(xn, nb, o.Spatial.Self); err != nil {
			return gnn.DatasetInput{}, err
		}
	}
	sel := make([]uint32, len(hvg))
	for i, c := range hvg {
		sel[i] = kept[c]
	}
	edges, err := prep.Coexpression(ctx, xn, o.Coexpr)
	if err != nil {
		return gnn.DatasetInput{}, err
	}
	return gnn.DatasetInput{Name: info.Name, Genes: sel, X: xn, Edges: edges}, nil
}

// normalizeFor normalises a dataset's QC'd matrix for its co-expression
// graph: gene-activity counts by atac (GeneOptions.ATAC), everything else by
// prep.Normalize.
func normalizeFor(info store.DatasetInfo, x *sparse.CSR, atac string) (*sparse.CSR, error) {
	if err := checkATAC(atac); err != nil {
		return nil, err
	}
	if info.Modality != vocab.ATACActivity || info.Values != vocab.Counts {
		return prep.Normalize(x, info.Values, 0)
	}
	switch atac {
	case ATACTFIDF:
		return prep.TFIDF(x, 0)
	case ATACBinary:
		return prep.Normalize(prep.Binarize(x), vocab.Normalized, 0)
	}
	return prep.Normalize(x, info.Values, 0)
}

// checkATAC reports a GeneOptions.ATAC that names no normalisation ("" is
// ATACLog).
func checkATAC(atac string) error {
	switch atac {
	case ATACTFIDF, ATACBinary, ATACLog, "":
		return nil
	}
	return fmt.Errorf("%w: atac normalisation %q: want %s, %s or %s", prep.ErrInput, atac, ATACLog, ATACTFIDF, ATACBinary)
}

// TrainGenes builds every chosen dataset's co-expression graph, trains the
// gene model on all of them jointly, and replaces the "genes" space (per
// dataset and consensus vectors), the datasets' edges, the model weights and
// the space's index in one transaction. It returns ErrConflict, writing
// nothing, if another writer changed the space while it trained.
func TrainGenes(ctx context.Context, db *store.DB, o GeneOptions, progress gnn.Progress, log io.Writer) (*GeneResult, error) {
	if log == nil {
		log = io.Discard
	}
	gen0, err := spaceGeneration(db, vocab.SpaceGenes)
	if err != nil {
		return nil, err
	}
	ins, err := PrepareGenes(ctx, db, o, log)
	if err != nil {
		return nil, err
	}
	inputs := make([]gnn.DatasetInput, len(ins))
	for i, in := range ins {
		inputs[i] = in.Input
	}
	model, res, err := gnn.Train(ctx, inputs, o.Model, progress)
	if err != nil {
		return nil, err
	}
	weights, err := model.MarshalBinary()
	if err != nil {
		return nil, err
	}
	version := modelVersion("gnn", weights)
	var dsIDs []uint32
	for _, in := range ins {
		dsIDs = append(dsIDs, in.Info.ID)
	}
	params, _ := json.Marshal(map[string]any{"model": model.Options(), "hvg": o.HVG, "qc": o.QC,
		"coexpr": o.Coexpr, "spatial": o.Spatial, "atac": o.ATAC, "best_epoch": res.BestEpoch, "epochs": len(res.Log)})
	prov := store.Provenance{Kind: "gene-model", ModelVersion: version, Params: params, Datasets: dsIDs}

	dim := res.Consensus.Dim
	vecs := &vecindex.Vectors{Space: vocab.SpaceGenes, Dim: dim}
	for i, e := range res.PerDataset {
		for _, g := range e.Genes {
			vecs.Keys = append(vecs.Keys, vocab.EntityKey(ins[i].Info.ID, g))
		}
		vecs.Vecs = append(vecs.Vecs, e.Vecs...)
	}
	for _, g := range res.Consensus.Genes {
		vecs.Keys = append(vecs.Keys, vocab.EntityKey(vocab.Consensus, g))
	}
	vecs.Vecs = append(vecs.Vecs, res.Consensus.Vecs...)
	ixOpts, err := indexOptions(db, vocab.SpaceGenes, o.Index)
	if err != nil {
		return nil, err
	}
	ix, err := vecindex.Build(ctx, vecs, ixOpts)
	if err != nil {
		return nil, err
	}

	if testHookBeforeTrainCommit != nil {
		testHookBeforeTrainCommit(vocab.SpaceGenes)
	}
	start := time.Now()
	err = db.Update(func(tx *store.Tx) error {
		if err := checkGeneration(tx, vocab.SpaceGenes, gen0); err != nil {
			return err
		}
		infos := make([]store.DatasetInfo, len(ins))
		for i, in := range ins {
			infos[i] = in.Info
		}
		if err := checkDatasetNames(tx, infos); err != nil {
			return err
		}
		if err := clearSpace(tx, vocab.SpaceGenes); err != nil {
			return err
		}
		for i, e := range res.PerDataset {
			id := ins[i].Info.ID
			if err := tx.PutEmbeddings(vocab.SpaceGenes, id, e.Genes, e.Dim, e.Vecs, prov); err != nil {
				return err
			}
			if err := tx.PutEdges(id, globalEdges(ins[i].Input), coexprProvenance(o, id)); err != nil {
				return err
			}
		}
		if err := tx.PutEmbeddings(vocab.SpaceGenes, vocab.Consensus, res.Consensus.Genes, dim, res.Consensus.Vecs, prov); err != nil {
			return err
		}
		if err := vecindex.Save(tx, vocab.SpaceGenes, ix); err != nil {
			return err
		}
		if err := tx.MarkClusteringsStale(vocab.SpaceGenes); err != nil {
			return err
		}
		return tx.PutBlob(vocab.BlobModel, vocab.ModelGenes, weights)
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "gene model: committed in %.2fs\n", time.Since(start).Seconds())
	out := &GeneResult{ModelVersion: version, Consensus: len(res.Consensus.Genes), Log: res.Log, BestEpoch: res.BestEpoch}
	for _, in := range ins {
		out.Datasets = append(out.Datasets, GeneDatasetSummary{Name: in.Info.Name, Cells: in.Input.X.Rows,
			Genes: len(in.Input.Genes), Edges: len(in.Input.Edges)})
	}
	return out, nil
}

// globalEdges translates a dataset's edges from column numbers to global
// gene ids.
func globalEdges(in gnn.DatasetInput) []store.Edge {
	out := make([]store.Edge, len(in.Edges))
	for i, e := range in.Edges {
		out[i] = store.Edge{A: in.Genes[e.A], B: in.Genes[e.B], Weight: e.Weight}
	}
	return out
}
