package realbench

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"genestore"
	"genestore/internal/sparse"
	"genestore/pipeline"
	"genestore/query/cluster"
	"genestore/query/eval"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/train/baseline"
	"genestore/train/prep"
	"genestore/vocab"
)

// SpatialDataset is the spatial suite's section; LayerColumn its
// annotation.
const (
	SpatialDataset = "mob_spatial_st_stdeconvolve"
	LayerColumn    = "layer"
)

// spatialPCs is the number of principal components the PCA clusterings use.
const spatialPCs = 30

// spatialSuite clusters the section's spots three ways and scores each
// against the layer annotation, then lists its most spatially
// autocorrelated genes.
func spatialSuite(ctx context.Context, o Options, dir string, emit func(Line) error, log io.Writer) error {
	db, err := openFresh(dir, "spatial")
	if err != nil {
		return err
	}
	defer db.Close()
	ro := ingest.DefaultOptions()
	ro.Coords = [2]string{"x", "y"}
	ds, err := addRead(ctx, db, o, SpatialDataset, nil, ro, store.AddOptions{Modality: vocab.Spatial, Species: "mouse"})
	if err != nil {
		return err
	}
	layer := ds.Column(LayerColumn)
	if layer == nil {
		return fmt.Errorf("dataset %s: no obs column %q", SpatialDataset, LayerColumn)
	}
	// Spots without a layer are clustered but not scored.
	codes := map[string]int{}
	truth := make([]int, len(layer.Values))
	for i, v := range layer.Values {
		if v == "" {
			truth[i] = -1
			continue
		}
		if _, ok := codes[v]; !ok {
			codes[v] = len(codes)
		}
		truth[i] = codes[v]
	}
	names := []string{SpatialDataset}

	xn, err := prep.Normalize(ds.X, ds.Values, 1e4)
	if err != nil {
		return err
	}
	hvg, err := prep.HVG(ds.X, ds.Values, 2000)
	if err != nil {
		return err
	}
	xn = xn.SelectCols(hvg)
	nb, err := prep.SpatialKNN(ctx, ds.Coords, pipeline.DefaultSpatialSmoothing.K)
	if err != nil {
		return err
	}
	smoothed, err := prep.SmoothSpatial(xn, nb, pipeline.DefaultSpatialSmoothing.Self)
	if err != nil {
		return err
	}
	for _, m := range []struct {
		name string
		x    *sparse.CSR
	}{{"pca", xn}, {"pca-smoothed", smoothed}} {
		res, err := baseline.PCA(ctx, m.x, min(spatialPCs, m.x.Cols-1, m.x.Rows-1), o.Seed)
		if err != nil {
			return err
		}
		if err := emitLayers(ctx, m.name, res.CellScores, m.x.Rows, res.K, cluster.Euclidean, truth, len(codes), o.Seed, names, 0, emit); err != nil {
			return err
		}
	}

	fmt.Fprintf(log, "spatial: training the cell model on %s\n", SpatialDataset)
	t0 := time.Now()
	if _, err := db.TrainCells(ctx, o.cellOptions()); err != nil {
		return err
	}
	secs := time.Since(t0).Seconds()
	vecs, dim, err := cellVectors(db, SpatialDataset)
	if err != nil {
		return err
	}
	if dim == 0 || len(vecs) != len(truth)*dim {
		return fmt.Errorf("dataset %s: %d cell vectors of dim %d for %d spots", SpatialDataset, len(vecs)/max(dim, 1), dim, len(truth))
	}
	if err := emitLayers(ctx, "model", vecs, len(truth), dim, cluster.Euclidean, truth, len(codes), o.Seed, names, secs, emit); err != nil {
		return err
	}

	sp, err := pipeline.SpatialPattern(ctx, db.Store(), SpatialDataset, pipeline.SpatialPatternOptions{Top: 10, Permutations: 199, Seed: o.Seed})
	if err != nil {
		return err
	}
	l := Line{Suite: "spatial", Datasets: names, Method: "morans_i", Metrics: map[string]float64{"tested": float64(sp.Tested)}}
	for i, g := range sp.Genes {
		l.Genes = append(l.Genes, g.Symbol)
		l.Metrics[fmt.Sprintf("morans_i_%02d", i+1)] = g.I
	}
	return emit(l)
}

// cellVectors reads a dataset's cell embeddings.
func cellVectors(db *genestore.DB, name string) ([]float32, int, error) {
	var (
		vecs []float32
		dim  int
	)
	err := db.Store().View(func(tx *store.Tx) error {
		info, err := tx.DatasetByName(name)
		if err != nil {
			return err
		}
		_, dim, vecs, err = tx.Embeddings(vocab.SpaceCells, info.ID)
		return err
	})
	return vecs, dim, err
}

// emitLayers clusters n vectors and emits their ARI against truth (spots
// with truth -1 left out): at the default resolution and at the resolution
// that gives want clusters (or the closest count found).
func emitLayers(ctx context.Context, method string, vecs []float32, n, dim int, metric cluster.Metric, truth []int, want int, seed uint64, names []string, secs float64, emit func(Line) error) error {
	g, err := cluster.KNNGraph(ctx, vecs, n, dim, min(15, n-1), metric, cluster.DefaultGraphOptions())
	if err != nil {
		return err
	}
	score := func(res float64) (ari float64, k int, err error) {
		co := cluster.DefaultOptions()
		co.Seed, co.Resolution = seed, res
		r, err := cluster.Cluster(ctx, g, co)
		if err != nil {
			return 0, 0, err
		}
		var a, b []int
		for i, t := range truth {
			if t >= 0 {
				a, b = append(a, r.Labels[i]), append(b, t)
			}
		}
		ari, err = eval.ARI(a, b)
		return ari, r.Communities, err
	}
	ari1, k1, err := score(1)
	if err != nil {
		return err
	}
	// The resolution giving as many clusters as layers, on a grid.
	bestRes, bestK, bestARI := 1.0, k1, ari1
	for res := 0.05; res <= 2.0001; res += 0.05 {
		a, k, err := score(res)
		if err != nil {
			return err
		}
		if math.Abs(float64(k-want)) < math.Abs(float64(bestK-want)) {
			bestRes, bestK, bestARI = res, k, a
		}
	}
	return emit(Line{Suite: "spatial", Datasets: names, Method: method, Seconds: secs, Metrics: map[string]float64{
		"layer_ari": ari1, "clusters": float64(k1),
		"layer_ari_at_layers": bestARI, "clusters_at_layers": float64(bestK), "resolution_at_layers": bestRes,
	}})
}
