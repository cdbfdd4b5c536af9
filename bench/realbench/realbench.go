// Package realbench is the real-data benchmark behind `genestore bench
// real`: it builds stores from named real datasets (the project's shared
// data folder layout: one 10x Matrix Market folder with obs.csv per
// dataset), trains the models through the public API exactly as a user
// would (ingest, train genes / train cells), and prints the metrics of
// `eval genes` / `eval cells` for the model and every baseline computed in
// the same run, one JSON line per (suite, step, method).
//
// Suites:
//
//   - cellbench: CellBench's three lung cancer cell lines on CEL-seq2 and
//     Drop-seq; batch = technology (the dataset), label = cell_line; label
//     transfer CEL-seq2 → Drop-seq (the last dataset is the query).
//   - pbmc: three 10x PBMC runs, 3′ v2, 3′ v3 and 5′ chemistry (5′ the
//     query); batch = chemistry. The runs carry no cell-type labels, so the
//     suite labels cells by canonical markers (MarkerLabels) — not truth:
//     the labels only give the mixing metrics (batch ASW within a label,
//     label ASW) something to group by.
//   - fill (not run by default): CellBench CEL-seq2 → Drop-seq label
//     transfer with half the query's genes removed, zero-filled and
//     predicted by the expression model, whose targets are the cell
//     model's genes (pipeline.EvalFill): methods "full" and "full_predict"
//     (every gene; what Drop-seq never measured zero-filled or predicted),
//     "zero" and "predict", metric transfer_macro_f1 (mean over the draws).
//   - genes: the gene model trained on the first 1, 2, 4 and 8 human
//     datasets of GeneDatasets jointly, judged by GO BP co-annotation
//     (go_auroc per dataset and go_auroc_consensus), against PCA and
//     Pearson baselines of the same datasets; go_auroc_consensus_on scores
//     the consensus on the first dataset's genes, the same genes at every
//     step of the curve.
//   - species: a human + mouse store (SpeciesDatasets: a 10x PBMC run and
//     paul15's mouse myeloid progenitors) whose mouse genes join human
//     genes through Options.Orthologs, or through pairs of symbols equal
//     ignoring case when no table is given (recorded in each line: no
//     human–mouse table ships with the data); 20% of the pairs (seeded) are
//     held out of the table ingested. After training the gene model, the
//     share of genes embedded in both whose mouse vector is among the 10
//     nearest mouse genes to their human vector (pipeline.RetrieveOrthologs):
//     for joined pairs (ortholog_top10: the model's cross-dataset losses
//     were told they are one gene) and for held-out pairs (heldout_top10:
//     nothing in training links them), against the per-species PCA
//     loadings and Pearson rows over the joined genes.
//   - spatial: the mouse olfactory bulb section (SpatialDataset, 262 spots
//     with x/y and a layer annotation): spots clustered (Leiden on a kNN
//     graph, resolution chosen to give as many clusters as layers) from
//     PCA of log-normalised expression, from PCA of spatially smoothed
//     expression, and from the cell model's embeddings, each scored by ARI
//     against the layers; and the top spatially autocorrelated genes
//     (pipeline.SpatialPattern, Moran's I).
//
// A dataset folder that is missing is an error naming it: the benchmark
// measures a fixed set, never a silently smaller one.
package realbench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"genestore"
	"genestore/internal/sparse"
	"genestore/pipeline"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/train/fromgenes"
	"genestore/train/prep"
	"genestore/vocab"
)

// Options configure Run.
type Options struct {
	// Data is the folder holding the datasets (../shared/data).
	Data string
	// Suites to run, in order: "cellbench", "pbmc", "genes", "species", "spatial".
	Suites []string
	// Steps are the dataset counts of the genes suite's curve.
	Steps []int
	// Seed seeds training and evaluation.
	Seed uint64
	// Cells and Genes are the training options (zero: the defaults); Run
	// sets their seeds to Seed.
	Cells *pipeline.CellOptions
	Genes *pipeline.GeneOptions
	// Expr trains the expression model of the fill suite (nil:
	// FillExprOptions); Run sets its seed to Seed.
	Expr *pipeline.ExprOptions
	// FillDraws is how many random halves of the query's genes the fill
	// suite removes (0: 3).
	FillDraws int
	// Dir holds the stores built (a temporary folder when empty; removed
	// afterwards only then).
	Dir string
	// FromGenes also trains the gene model in the cellbench and pbmc
	// suites and embeds their cells from its consensus vectors
	// (pipeline.CellsFromGenes with FromGenesWeight, "" = its default),
	// scored beside the cell model as method "cells-from-genes".
	FromGenes       bool
	FromGenesWeight string
	// Orthologs is the human–mouse ortholog table of the species suite
	// (ingest.ReadOrthologs' layouts); empty pairs symbols by case, an
	// explicit fallback each output line names.
	Orthologs string
}

// DefaultOptions runs every suite with seed 1.
func DefaultOptions() Options {
	return Options{Suites: []string{"cellbench", "pbmc", "genes", "species", "spatial"}, Steps: []int{1, 2, 4, 8}, Seed: 1}
}

// GeneDatasets are the human datasets of the genes suite, in the order
// the curve adds them: different technologies and tissues early.
var GeneDatasets = []string{
	"pbmc10x_3p_v3_1k_scwg", "cellbench_3cl_celseq2", "hsmm_myoblast", "pbmc10x_5p_1k_scwg",
	"cellbench_5cl_celseq2", "pbmc10x_3p_v2_1k_scwg", "cellbench_3cl_dropseq", "pbmc3k_sct283",
}

// SpeciesDatasets are the species suite's human and mouse datasets.
var SpeciesDatasets = [2]string{"pbmc10x_3p_v3_1k_scwg", "paul15_myeloid_simba4bioc"}

// Line is one JSON line of the benchmark's output.
type Line struct {
	Suite    string             `json:"suite"`
	Datasets []string           `json:"datasets"`
	Method   string             `json:"method"` // "model" or a baseline's name
	Metrics  map[string]float64 `json:"metrics"`
	Seconds  float64            `json:"train_seconds,omitempty"` // the model's training time
	Seed     uint64             `json:"seed"`
	// Genes lists genes a result names (the spatial suite's top spatially
	// autocorrelated genes, best first).
	Genes []string `json:"genes,omitempty"`
	// Orthologs is how the species suite joined mouse genes to human ones:
	// the table's path, or "symbol-case".
	Orthologs string `json:"orthologs,omitempty"`
}

// Run runs the chosen suites and writes one JSON line per result to out;
// progress goes to log.
func Run(ctx context.Context, o Options, out, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	if o.Data == "" {
		return fmt.Errorf("realbench: no data folder")
	}
	if len(o.Steps) == 0 {
		o.Steps = DefaultOptions().Steps
	}
	dir := o.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "genestore-realbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	enc := json.NewEncoder(out)
	emit := func(l Line) error { l.Seed = o.Seed; return enc.Encode(l) }
	for _, s := range o.Suites {
		var err error
		switch s {
		case "cellbench":
			err = cellSuite(ctx, o, dir, s, []string{"cellbench_3cl_celseq2", "cellbench_3cl_dropseq"}, "cell_line", nil, emit, log)
		case "pbmc":
			err = cellSuite(ctx, o, dir, s, []string{"pbmc10x_3p_v2_1k_scwg", "pbmc10x_3p_v3_1k_scwg", "pbmc10x_5p_1k_scwg"}, MarkerColumn, MarkerLabels, emit, log)
		case "genes":
			err = geneSuite(ctx, o, dir, emit, log)
		case "fill":
			err = fillSuite(ctx, o, dir, emit, log)
		case "species":
			err = speciesSuite(ctx, o, dir, emit, log)
		case "spatial":
			err = spatialSuite(ctx, o, dir, emit, log)
		default:
			err = fmt.Errorf("realbench: unknown suite %q (want cellbench, pbmc, genes, fill, species or spatial)", s)
		}
		if err != nil {
			return fmt.Errorf("suite %s: %w", s, err)
		}
	}
	return nil
}

// openFresh creates an empty store at dir/name.db, replacing any.
func openFresh(dir, name string) (*genestore.DB, error) {
	p := filepath.Join(dir, name+".db")
	if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	return genestore.Open(p, nil)
}

// add reads dataset folder name under o.Data, lets label (when not nil)
// add an obs column, and stores it.
func add(ctx context.Context, db *genestore.DB, o Options, name string, label func(*ingest.Dataset) error) error {
	return addWith(ctx, db, o, name, label, store.AddOptions{})
}

// addWith is add with the store's options (modality, species, orthologs).
func addWith(ctx context.Context, db *genestore.DB, o Options, name string, label func(*ingest.Dataset) error, opts store.AddOptions) error {
	_, err := addRead(ctx, db, o, name, label, ingest.DefaultOptions(), opts)
	return err
}

// readData reads dataset folder name under o.Data.
func readData(ctx context.Context, o Options, name string, ro ingest.Options) (*ingest.Dataset, error) {
	path := filepath.Join(o.Data, name)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("dataset %s: %w", name, err)
	}
	return ingest.Read(ctx, path, ro)
}

// addRead is addWith with the reader's options; it returns the dataset read.
func addRead(ctx context.Context, db *genestore.DB, o Options, name string, label func(*ingest.Dataset) error, ro ingest.Options, opts store.AddOptions) (*ingest.Dataset, error) {
	ds, err := readData(ctx, o, name, ro)
	if err != nil {
		return nil, err
	}
	if label != nil {
		if err := label(ds); err != nil {
			return nil, fmt.Errorf("dataset %s: %w", name, err)
		}
	}
	_, err = db.Store().AddDataset(ctx, name, ds, opts)
	return ds, err
}

// cellSuite trains the cell model on names (batch = dataset) and scores it
// with eval cells against the PCA baselines; the last dataset is the label
// transfer query.
func cellSuite(ctx context.Context, o Options, dir, suite string, names []string, labelCol string, label func(*ingest.Dataset) error, emit func(Line) error, log io.Writer) error {
	db, err := openFresh(dir, suite)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, n := range names {
		if err := add(ctx, db, o, n, label); err != nil {
			return err
		}
	}
	fmt.Fprintf(log, "%s: training the cell model on %s\n", suite, strings.Join(names, ", "))
	t0 := time.Now()
	if _, err := db.TrainCells(ctx, o.cellOptions()); err != nil {
		return err
	}
	secs := time.Since(t0).Seconds()
	if o.FromGenes {
		fmt.Fprintf(log, "%s: training the gene model for cells-from-genes\n", suite)
		if _, err := pipeline.TrainGenes(ctx, db.Store(), o.geneOptions(), nil, log); err != nil {
			return err
		}
		fo := pipeline.DefaultCellsFromGenesOptions()
		if o.FromGenesWeight != "" {
			fo.Weight = fromgenes.Weight(o.FromGenesWeight)
		}
		if _, err := pipeline.CellsFromGenes(ctx, db.Store(), fo, log); err != nil {
			return err
		}
	}
	ev, err := pipeline.EvalCells(ctx, db.Store(), pipeline.CellEvalOptions{Label: labelCol, Seed: o.Seed}, log)
	if err != nil {
		return err
	}
	if _, ok := ev.Baselines[vocab.SpaceCellsFromGenes]; o.FromGenes && !ok {
		// eval cells scores the space only when it holds every cell.
		return fmt.Errorf("%s: cells-from-genes was not scored: some cells have no vector (--from-genes-weight %q leaves out cells that express none of the shared genes)", suite, o.FromGenesWeight)
	}
	return emitEval(ev, suite, names, secs, emit)
}

// cellOptions are the cell model's training options: o.Cells or the
// defaults, seeded with o.Seed.
func (o Options) cellOptions() pipeline.CellOptions {
	co := pipeline.DefaultCellOptions()
	if o.Cells != nil {
		co = *o.Cells
	}
	co.Model.Seed = o.Seed
	return co
}

// geneOptions are the gene model's training options: o.Genes or the
// defaults, seeded with o.Seed.
func (o Options) geneOptions() pipeline.GeneOptions {
	g := pipeline.DefaultGeneOptions()
	if o.Genes != nil {
		g = *o.Genes
	}
	g.Model.Seed = o.Seed
	return g
}

// emitEval writes the model's line and one per baseline, baselines sorted.
func emitEval(ev *pipeline.Evaluation, suite string, names []string, secs float64, emit func(Line) error) error {
	if err := emit(Line{Suite: suite, Datasets: names, Method: "model", Metrics: clean(ev.Model), Seconds: secs}); err != nil {
		return err
	}
	keys := make([]string, 0, len(ev.Baselines))
	for k := range ev.Baselines {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := emit(Line{Suite: suite, Datasets: names, Method: k, Metrics: clean(ev.Baselines[k])}); err != nil {
			return err
		}
	}
	return nil
}

// clean drops NaN and infinite metrics, which JSON cannot hold.
func clean(m pipeline.Metrics) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[k] = v
		}
	}
	return out
}

// geneSuite trains the gene model on the first n of GeneDatasets for each
// step n and scores it with eval genes and the GO BP sets.
func geneSuite(ctx context.Context, o Options, dir string, emit func(Line) error, log io.Writer) error {
	gmt := filepath.Join(o.Data, "go", "human_go_bp.gmt")
	if _, err := os.Stat(gmt); err != nil {
		return err
	}
	for _, n := range o.Steps {
		if n < 1 || n > len(GeneDatasets) {
			return fmt.Errorf("step %d: want 1 to %d datasets", n, len(GeneDatasets))
		}
		names := GeneDatasets[:n]
		db, err := openFresh(dir, fmt.Sprintf("genes-%d", n))
		if err != nil {
			return err
		}
		err = func() error {
			defer db.Close()
			for _, name := range names {
				if err := add(ctx, db, o, name, nil); err != nil {
					return err
				}
			}
			fmt.Fprintf(log, "genes: training the gene model on %d datasets\n", n)
			t0 := time.Now()
			if _, err := db.TrainGenes(ctx, o.geneOptions()); err != nil {
				return err
			}
			secs := time.Since(t0).Seconds()
			ev, err := pipeline.EvalGenes(ctx, db.Store(), pipeline.GeneEvalOptions{GMT: gmt, Seed: o.Seed, ConsensusOn: names[0]}, log)
			if err != nil {
				return err
			}
			return emitEval(ev, "genes", names, secs, emit)
		}()
		if err != nil {
			return err
		}
	}
	return nil
}

// MarkerColumn is the obs column MarkerLabels adds.
const MarkerColumn = "marker_label"

// pbmcMarkers are canonical PBMC markers (as in Seurat's pbmc3k guide and
// CELLxGENE's cell-type marker lists), by cell type.
var pbmcMarkers = []struct {
	label string
	genes []string
}{
	{"T", []string{"CD3D", "CD3E", "IL7R", "CCR7"}},
	{"CD8 T", []string{"CD8A", "CD8B"}},
	{"NK", []string{"NKG7", "GNLY", "KLRD1"}},
	{"B", []string{"MS4A1", "CD79A", "CD79B"}},
	{"CD14 Mono", []string{"CD14", "LYZ", "S100A8", "S100A9"}},
	{"FCGR3A Mono", []string{"FCGR3A", "MS4A7"}},
	{"DC", []string{"FCER1A", "CST3", "CLEC10A"}},
	{"Platelet", []string{"PPBP", "PF4"}},
}

// MarkerLabels adds the obs column MarkerColumn: each cell's cell type
// by the highest mean log1p(CP10k) over a type's canonical markers
// present in the dataset; "CD8 T" wins over "T" only when its own score is
// the higher; cells expressing no marker are "none". These are
// annotations, not truth.
func MarkerLabels(ds *ingest.Dataset) error {
	xn, err := prep.Normalize(ds.X, ds.Values, 1e4)
	if err != nil {
		return err
	}
	col := map[string]int{}
	for j, g := range ds.Genes {
		if _, ok := col[strings.ToUpper(g.Symbol)]; !ok {
			col[strings.ToUpper(g.Symbol)] = j
		}
	}
	found := 0
	cols := make([][]int, len(pbmcMarkers))
	for i, m := range pbmcMarkers {
		for _, g := range m.genes {
			if j, ok := col[g]; ok {
				cols[i] = append(cols[i], j)
				found++
			}
		}
	}
	if found < len(pbmcMarkers) {
		return fmt.Errorf("only %d PBMC marker genes present", found)
	}
	labels := make([]string, xn.Rows)
	for r := range xn.Rows {
		labels[r] = markerLabel(xn, r, cols)
	}
	ds.Obs = append(ds.Obs, ingest.ObsColumn{Name: MarkerColumn, Categorical: true, Values: labels})
	return nil
}

// markerLabel scores row r of xn against each type's marker columns.
func markerLabel(xn *sparse.CSR, r int, cols [][]int) string {
	idx, val := xn.Row(r)
	v := make(map[int]float32, len(idx))
	for k, c := range idx {
		v[int(c)] = val[k]
	}
	best, label := 0.0, "none"
	for i, cs := range cols {
		if len(cs) == 0 {
			continue
		}
		s := 0.0
		for _, c := range cs {
			s += float64(v[c])
		}
		if s /= float64(len(cs)); s > best {
			best, label = s, pbmcMarkers[i].label
		}
	}
	return label
}

// FillExprOptions are the fill suite's expression model options: a
// smaller MLP than D-GEX's, sized to CellBench's few hundred cells.
func FillExprOptions() pipeline.ExprOptions {
	o := pipeline.DefaultExprOptions()
	o.AutoLandmarks, o.MaxTargets = 500, 3000
	o.Model.Hidden, o.Model.Epochs = []int{256}, 60
	return o
}

// fillSuite is the fill suite: cellbench_3cl_celseq2 the reference,
// cellbench_3cl_dropseq the query, label cell_line.
func fillSuite(ctx context.Context, o Options, dir string, emit func(Line) error, log io.Writer) error {
	names := []string{"cellbench_3cl_celseq2", "cellbench_3cl_dropseq"}
	var ds []pipeline.NamedDataset
	for _, n := range names {
		path := filepath.Join(o.Data, n)
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("dataset %s: %w", n, err)
		}
		d, err := ingest.Read(ctx, path, ingest.DefaultOptions())
		if err != nil {
			return err
		}
		ds = append(ds, pipeline.NamedDataset{Name: n, Data: d})
	}
	fo := pipeline.FillEvalOptions{Label: "cell_line", Draws: o.FillDraws, Seed: o.Seed,
		Cells: pipeline.DefaultCellOptions(), Expr: FillExprOptions(), TargetCellGenes: true}
	if fo.Draws == 0 {
		fo.Draws = 3
	}
	if o.Cells != nil {
		fo.Cells = *o.Cells
	}
	if o.Expr != nil {
		fo.Expr = *o.Expr
	}
	fo.Cells.Model.Seed, fo.Expr.Model.Seed = o.Seed, o.Seed
	fmt.Fprintf(log, "fill: %s → %s, %d draws of half the query's genes\n", names[0], names[1], fo.Draws)
	t0 := time.Now()
	r, err := pipeline.EvalFill(ctx, dir, ds[:1], ds[1], fo, log)
	if err != nil {
		return err
	}
	secs := time.Since(t0).Seconds()
	for _, m := range []struct {
		method string
		f1     float64
	}{{"full", r.Full}, {"full_predict", r.FullPredict}, {"zero", r.Zero}, {"predict", r.Predict}} {
		if err := emit(Line{Suite: "fill", Datasets: names, Method: m.method,
			Metrics: map[string]float64{"transfer_macro_f1": m.f1}, Seconds: secs}); err != nil {
			return err
		}
	}
	return nil
}
