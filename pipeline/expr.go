package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"unicode"

	"genestore/internal/sparse"
	"genestore/store"
	"genestore/train/expr"
	"genestore/train/prep"
	"genestore/vocab"
)

// ErrExprMismatch reports a dataset that the stored expression model cannot
// predict: another value type or another species than it was trained on.
var ErrExprMismatch = errors.New("pipeline: dataset does not match the expression model")

// ErrNoExprModel reports a store without an expression model.
var ErrNoExprModel = errors.New("pipeline: no expression model (run train expr first)")

// ExprOptions configure TrainExpr and EvalExpr.
type ExprOptions struct {
	// Datasets to train on (empty: every dataset).
	Datasets []string
	// Landmarks are the input gene symbols; empty picks AutoLandmarks
	// genes from the data (expr.SelectLandmarks) and stores the list.
	// Symbols the datasets lack are listed in the result and skipped.
	Landmarks []string
	// AutoLandmarks is how many landmarks an empty Landmarks picks
	// (default 1000).
	AutoLandmarks int
	// Targets are the genes to predict; empty means every other gene
	// measured in all the datasets, the MaxTargets most variable of them.
	Targets []string
	// MaxTargets caps the targets of an empty Targets (default 10,000,
	// D-GEX's scale; negative: no cap). Genes that never vary are dropped.
	MaxTargets int
	// Model are the hyper-parameters of expr.Fit (zero fields: defaults).
	// Its Landmarks, AutoLandmarks and Targets are set from the fields
	// above.
	Model expr.Options
}

// DefaultExprOptions returns the documented defaults.
func DefaultExprOptions() ExprOptions {
	return ExprOptions{AutoLandmarks: 1000, MaxTargets: 10000, Model: expr.Options{Seed: 1}}
}

func (o ExprOptions) withDefaults() ExprOptions {
	if o.AutoLandmarks == 0 {
		o.AutoLandmarks = 1000
	}
	if o.MaxTargets == 0 {
		o.MaxTargets = 10000
	}
	return o
}

// Validate reports every problem with o at once.
func (o ExprOptions) Validate() error {
	var errs []error
	if o.AutoLandmarks < 0 {
		errs = append(errs, fmt.Errorf("pipeline: auto landmarks %d must be positive", o.AutoLandmarks))
	}
	if err := o.Model.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// minExprLandmarks is the fewest landmarks a model trains or predicts on
// (train/expr's own floor).
const minExprLandmarks = 10

// exprInput is the training data of an expression model, read from the
// store and log-normalised.
type exprInput struct {
	data      []expr.Dataset // dense, over the selected columns
	infos     []store.DatasetInfo
	landmarks []string // nil: choose from the data
	targets   []string // nil: every non-landmark column
	skipped   []string // requested landmarks not in every dataset
	unknown   []string // requested targets not in every dataset
	symCase   string
	values    []vocab.ValueType
	sums      map[uint32]string
}

// rawExpr is one dataset as read: the normalised matrix, each column's
// gene id, and the batch of each cell.
type rawExpr struct {
	info   store.DatasetInfo
	x      *sparse.CSR
	genes  []uint32
	groups []string
}

// readExprData reads and normalises the datasets and the symbols of their
// genes in one read transaction.
func readExprData(ctx context.Context, db *store.DB, names []string) ([]rawExpr, map[uint32]string, error) {
	var raws []rawExpr
	symbol := map[uint32]string{}
	err := db.View(func(tx *store.Tx) error {
		infos, err := selectDatasets(tx, names)
		if err != nil {
			return err
		}
		for _, info := range infos {
			if err := ctx.Err(); err != nil {
				return err
			}
			r := rawExpr{info: info}
			if r.x, err = tx.Matrix(info.ID); err != nil {
				return err
			}
			if r.genes, err = tx.DatasetGenes(info.ID); err != nil {
				return err
			}
			if info.BatchKey != "" {
				if r.groups, err = tx.ObsColumn(info.ID, info.BatchKey); err != nil {
					return fmt.Errorf("dataset %q: batch column %q: %w", info.Name, info.BatchKey, err)
				}
			}
			for _, g := range r.genes {
				if _, ok := symbol[g]; ok {
					continue
				}
				gi, err := tx.Gene(g)
				if err != nil {
					return err
				}
				symbol[g] = gi.Symbol
			}
			raws = append(raws, r)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if len(raws) == 0 {
		return nil, nil, fmt.Errorf("%w: the store holds no datasets", ErrNoData)
	}
	for i := range raws {
		xn, err := prep.Normalize(raws[i].x, raws[i].info.Values, 1e4)
		if err != nil {
			return nil, nil, fmt.Errorf("dataset %q: %w", raws[i].info.Name, err)
		}
		raws[i].x = xn
	}
	return raws, symbol, nil
}

// prepareExpr reads the training data and picks the columns the model
// needs: the landmarks (given, or the candidates auto selection looks at)
// and the targets.
func prepareExpr(ctx context.Context, db *store.DB, o ExprOptions, log io.Writer) (*exprInput, error) {
	raws, symbol, err := readExprData(ctx, db, o.Datasets)
	if err != nil {
		return nil, err
	}
	return chooseExprGenes(raws, symbol, o, nil, log)
}

// chooseExprGenes is prepareExpr on data read: held, when not nil, marks
// per dataset (in raws' order) the cells an evaluation holds out, which
// the choice of genes by variance must not see.
func chooseExprGenes(raws []rawExpr, symbol map[uint32]string, o ExprOptions, held [][]bool, log io.Writer) (*exprInput, error) {
	in := &exprInput{sums: map[uint32]string{}}
	var allSyms []string
	for _, r := range raws {
		in.infos = append(in.infos, r.info)
		in.sums[r.info.ID] = r.info.SHA256
		if !slices.Contains(in.values, r.info.Values) {
			in.values = append(in.values, r.info.Values)
		}
		for _, g := range r.genes {
			allSyms = append(allSyms, symbol[g])
		}
	}
	in.symCase = symbolCase(allSyms)
	common := commonGenes(raws, func(r rawExpr) []uint32 { return r.genes })
	bySymbol := map[string]uint32{}
	for _, g := range common {
		if _, ok := bySymbol[symbol[g]]; !ok {
			bySymbol[symbol[g]] = g
		}
	}
	sd := pooledSD(raws, common, held)
	keep := map[uint32]bool{}
	if len(o.Landmarks) > 0 {
		for _, s := range o.Landmarks {
			if g, ok := bySymbol[s]; ok {
				keep[g] = true
				in.landmarks = append(in.landmarks, s)
			} else {
				in.skipped = append(in.skipped, s)
			}
		}
		if n := len(in.skipped); n > 0 {
			fmt.Fprintf(log, "expr: %d of %d landmarks not measured in every dataset, skipped: %s\n",
				n, len(o.Landmarks), strings.Join(firstN(in.skipped, 20), ", ")+more(n, 20))
		}
		if len(in.landmarks) < minExprLandmarks {
			return nil, fmt.Errorf("%w: %d of the %d landmarks are measured in every dataset, need at least %d",
				expr.ErrLandmarks, len(in.landmarks), len(o.Landmarks), minExprLandmarks)
		}
	}
	// Variable genes in decreasing order of pooled standard deviation.
	var variable []uint32
	for _, g := range common {
		if sd[g] > 1e-6 {
			variable = append(variable, g)
		}
	}
	sort.SliceStable(variable, func(a, b int) bool { return sd[variable[a]] > sd[variable[b]] })
	if len(o.Landmarks) == 0 {
		for _, g := range variable[:min(len(variable), expr.MaxLandmarkCandidates)] {
			keep[g] = true
		}
	}
	if len(o.Targets) > 0 {
		for _, s := range o.Targets {
			if g, ok := bySymbol[s]; ok {
				keep[g] = true
				in.targets = append(in.targets, s)
			} else {
				in.unknown = append(in.unknown, s)
			}
		}
		if n := len(in.unknown); n > 0 {
			fmt.Fprintf(log, "expr: %d of %d targets not measured in every dataset, skipped: %s\n",
				n, len(o.Targets), strings.Join(firstN(in.unknown, 20), ", ")+more(n, 20))
		}
		if len(in.targets) == 0 {
			return nil, fmt.Errorf("%w: none of the %d targets is measured in every dataset", ErrNoData, len(o.Targets))
		}
	} else {
		isLandmark := map[string]bool{}
		for _, s := range in.landmarks {
			isLandmark[s] = true
		}
		n := 0
		for _, g := range variable {
			if o.MaxTargets > 0 && n >= o.MaxTargets {
				break
			}
			if !isLandmark[symbol[g]] {
				keep[g] = true
				n++
			}
		}
	}
	var cols []uint32 // global gene ids, ascending, one per symbol
	seen := map[string]bool{}
	for _, g := range common {
		if keep[g] && !seen[symbol[g]] {
			seen[symbol[g]] = true
			cols = append(cols, g)
		}
	}
	names := make([]string, len(cols))
	for j, g := range cols {
		names[j] = symbol[g]
	}
	for _, r := range raws {
		in.data = append(in.data, denseExpr(r, cols, names))
	}
	return in, nil
}

// denseExpr turns a normalised dataset into a dense expr.Dataset over the
// given global gene ids.
func denseExpr(r rawExpr, cols []uint32, names []string) expr.Dataset {
	pos := map[uint32]int{}
	for j, g := range r.genes {
		if _, ok := pos[g]; !ok {
			pos[g] = j
		}
	}
	sel := make([]int, len(cols))
	for j, g := range cols {
		sel[j] = pos[g]
	}
	v := denseView(r.info.Name, r.x.SelectCols(sel))
	d := expr.Dataset{Name: r.info.Name, Genes: names, X: v.X}
	if len(r.groups) == v.Cells {
		d.Groups = r.groups
	}
	return d
}

// pooledSD returns, per gene, the standard deviation of its normalised
// values after each dataset is centred on its own mean, over the cells
// held (when not nil) does not mark.
func pooledSD(raws []rawExpr, genes []uint32, held [][]bool) map[uint32]float64 {
	ss := map[uint32]float64{}
	want := map[uint32]bool{}
	for _, g := range genes {
		want[g] = true
	}
	n := 0
	for d, r := range raws {
		s, s2 := make([]float64, r.x.Cols), make([]float64, r.x.Cols)
		used := r.x.Rows
		for c := range r.x.Rows {
			if held != nil && held[d][c] {
				used--
				continue
			}
			for i := r.x.Indptr[c]; i < r.x.Indptr[c+1]; i++ {
				v := float64(r.x.Data[i])
				j := r.x.Indices[i]
				s[j] += v
				s2[j] += v * v
			}
		}
		rows := float64(used)
		done := map[uint32]bool{}
		for j, g := range r.genes {
			if !want[g] || done[g] || rows == 0 {
				continue
			}
			done[g] = true
			ss[g] += s2[j] - s[j]*s[j]/rows
		}
		n += used
	}
	out := make(map[uint32]float64, len(ss))
	for g, v := range ss {
		out[g] = math.Sqrt(math.Max(v, 0) / float64(max(n, 1)))
	}
	return out
}

// symbolCase describes how a gene list spells its symbols: "upper" when
// most symbols with letters are upper case (human HGNC style), "title"
// when most are capitalised and otherwise lower case (mouse MGI style),
// "mixed" otherwise. It is the species check of Predict.
func symbolCase(symbols []string) string {
	var upper, title, n int
	for _, s := range symbols {
		hasLower, hasUpper, firstUpper := false, false, false
		for i, c := range s {
			if unicode.IsLower(c) {
				hasLower = true
			}
			if unicode.IsUpper(c) {
				hasUpper = true
				if i == 0 {
					firstUpper = true
				}
			}
		}
		if !hasLower && !hasUpper {
			continue
		}
		n++
		switch {
		case hasUpper && !hasLower:
			upper++
		case firstUpper && hasLower:
			title++
		}
	}
	switch {
	case n == 0:
		return "mixed"
	case float64(upper) > 0.8*float64(n):
		return "upper"
	case float64(title) > 0.8*float64(n):
		return "title"
	}
	return "mixed"
}

func more(n, shown int) string {
	if n > shown {
		return fmt.Sprintf(", … (%d more)", n-shown)
	}
	return ""
}

// ExprModelParams are the provenance parameters of a stored expression
// model (store.ModelRecord's Params, JSON).
type ExprModelParams struct {
	Landmarks []string `json:"landmarks"`
	// AutoLandmarks is true when the landmarks were chosen from the data.
	AutoLandmarks bool `json:"auto_landmarks"`
	// SkippedLandmarks are requested landmarks not measured in every
	// training dataset.
	SkippedLandmarks []string `json:"skipped_landmarks,omitempty"`
	Targets          int      `json:"targets"`
	// AutoTargets is true when the targets were the most variable genes
	// (no target list given); absent (false) in models before 2026-12-06.
	AutoTargets bool              `json:"auto_targets,omitempty"`
	Values      []vocab.ValueType `json:"values"`
	SymbolCase  string            `json:"symbol_case"`
	Cells       int               `json:"cells"`
	Hidden      []int             `json:"hidden"`
	NoMLP       bool              `json:"no_mlp,omitempty"`
	Dropout     float64           `json:"dropout"`
	Seed        uint64            `json:"seed"`
	Validation  ExprValidation    `json:"validation"`
}

// ExprValidation are the validation-split scores Fit recorded: mean MAE
// (log units) per model, the blend chosen and the MLP's training.
type ExprValidation struct {
	Rows    int                `json:"rows"`
	MeanMAE map[string]float64 `json:"mean_mae"` // by model: chosen, mlp, ridge, knn, lstsq
	// Blend counts, per model, the targets whose largest blend weight is
	// that model's.
	Blend        map[string]int `json:"blend"`
	PerGene      bool           `json:"per_gene_blend"`
	K            int            `json:"knn_k"`
	MLPEpochs    int            `json:"mlp_epochs"`
	MLPBestEpoch int            `json:"mlp_best_epoch"`
}

// ExprResult summarises TrainExpr.
type ExprResult struct {
	ModelVersion     string         `json:"model_version"`
	Datasets         []string       `json:"datasets"`
	Cells            int            `json:"cells"`
	Landmarks        []string       `json:"landmarks"`
	AutoLandmarks    bool           `json:"auto_landmarks"`
	SkippedLandmarks []string       `json:"skipped_landmarks"`
	SkippedTargets   []string       `json:"skipped_targets"`
	Targets          int            `json:"targets"`
	Validation       ExprValidation `json:"validation"`
}

// TrainExpr fits the expression-prediction model (train/expr: D-GEX MLP,
// ridge-CV, kNN and least squares, blended per gene on a validation split)
// from landmark to target genes across the chosen datasets, in three
// phases: read and normalise the matrices (one read transaction), fit with
// no transaction open, and commit the weights (blob model/expr) and the
// model record (landmarks, validation scores) in one write transaction
// that first checks no dataset changed meanwhile (ErrConflict otherwise).
func TrainExpr(ctx context.Context, db *store.DB, o ExprOptions, log io.Writer) (*ExprResult, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	if log == nil {
		log = io.Discard
	}
	in, err := prepareExpr(ctx, db, o, log)
	if err != nil {
		return nil, err
	}
	mo := o.Model
	mo.Landmarks, mo.Targets, mo.AutoLandmarks = in.landmarks, in.targets, o.AutoLandmarks
	mo.MaxTargets = max(o.MaxTargets, 0) // negative: no cap
	cells := 0
	for i := range in.data {
		cells += in.data[i].Rows()
	}
	fmt.Fprintf(log, "expr: %d datasets, %d cells, %d genes read\n", len(in.data), cells, len(in.data[0].Genes))
	m, err := expr.Fit(ctx, in.data, mo)
	if err != nil {
		return nil, err
	}
	weights, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	version := modelVersion(vocab.ModelExpr, weights)
	res := &ExprResult{ModelVersion: version, Cells: cells, Landmarks: m.Landmarks(), AutoLandmarks: len(in.landmarks) == 0,
		SkippedLandmarks: in.skipped, SkippedTargets: in.unknown, Targets: len(m.Targets()), Validation: exprValidation(m)}
	var ids []uint32
	for _, info := range in.infos {
		res.Datasets = append(res.Datasets, info.Name)
		ids = append(ids, info.ID)
	}
	hidden := mo.Hidden
	if len(hidden) == 0 {
		hidden = expr.DefaultOptions().Hidden
	}
	dropout := mo.Dropout
	if dropout == 0 {
		dropout = expr.DefaultOptions().Dropout
	}
	params, err := json.Marshal(ExprModelParams{Landmarks: res.Landmarks, AutoLandmarks: res.AutoLandmarks,
		SkippedLandmarks: in.skipped, Targets: res.Targets, AutoTargets: len(o.Targets) == 0, Values: in.values, SymbolCase: in.symCase, Cells: cells,
		Hidden: hidden, NoMLP: mo.NoMLP, Dropout: max(dropout, 0), Seed: mo.Seed, Validation: res.Validation})
	if err != nil {
		return nil, err
	}
	rec := store.ModelRecord{Name: vocab.ModelExpr, Provenance: store.Provenance{Kind: "expr",
		ModelVersion: version, Params: params, Datasets: ids}}
	err = db.Update(func(tx *store.Tx) error {
		if err := checkDatasetsUnchanged(tx, ids, in.sums); err != nil {
			return err
		}
		if err := tx.PutBlob(vocab.BlobModel, vocab.ModelExpr, weights); err != nil {
			return err
		}
		return tx.PutModel(rec)
	})
	if err != nil {
		return nil, err
	}
	v := res.Validation.MeanMAE
	fmt.Fprintf(log, "expr: model %s: validation MAE chosen %.4f, mlp %.4f, ridge %.4f, knn %.4f, lstsq %.4f\n",
		version, v["chosen"], v["mlp"], v["ridge"], v["knn"], v["lstsq"])
	return res, nil
}

// exprValidation turns the model's validation record into provenance.
func exprValidation(m *expr.Model) ExprValidation {
	val := m.Validation()
	out := ExprValidation{Rows: val.Rows, MeanMAE: map[string]float64{}, Blend: map[string]int{}, PerGene: val.PerGene,
		K: val.K, MLPEpochs: val.MLPEpochs, MLPBestEpoch: val.MLPBestEpoch}
	for k := range expr.Kind(expr.NumKinds) {
		if val.GeneMAE[k] != nil {
			out.MeanMAE[k.String()] = val.MeanMAE[k]
		}
	}
	parts := [4]expr.Kind{expr.MLP, expr.Ridge, expr.KNN, expr.LeastSquares}
	for t := range m.Targets() {
		w := m.Blend(t)
		best := 0
		for c := range w {
			if w[c] > w[best] {
				best = c
			}
		}
		if w[best] < 1 {
			out.Blend["ensemble"]++
		} else {
			out.Blend[parts[best].String()]++
		}
	}
	return out
}

// loadExprModel reads the stored expression model and its parameters.
func loadExprModel(tx *store.Tx) (*expr.Model, store.ModelRecord, ExprModelParams, error) {
	var p ExprModelParams
	rec, err := tx.Model(vocab.ModelExpr)
	if errors.Is(err, store.ErrNotFound) {
		return nil, rec, p, ErrNoExprModel
	}
	if err != nil {
		return nil, rec, p, err
	}
	blob, err := tx.Blob(vocab.BlobModel, vocab.ModelExpr)
	if err != nil {
		return nil, rec, p, fmt.Errorf("expression model weights: %w", err)
	}
	m := new(expr.Model)
	if err := m.UnmarshalBinary(blob); err != nil {
		return nil, rec, p, err
	}
	if err := json.Unmarshal(rec.Provenance.Params, &p); err != nil {
		return nil, rec, p, fmt.Errorf("%w: expression model record: %v", store.ErrCorrupt, err)
	}
	return m, rec, p, nil
}

// PredictOptions configure Predict.
type PredictOptions struct {
	// Dataset to predict for (required).
	Dataset string
	// Genes restricts the layer to these targets of the model (empty: all
	// targets). A symbol the model does not predict is an error.
	Genes []string
	// Layer names the layer written (default vocab.LayerPredicted); an
	// existing layer of that name is replaced.
	Layer string
}

// PredictResult summarises Predict.
type PredictResult struct {
	Layer        store.Layer `json:"layer"`
	Dataset      string      `json:"dataset"`
	ModelVersion string      `json:"model_version"`
	Genes        int         `json:"genes"`
	Cells        int         `json:"cells"`
	// Landmarks is the model's landmark count; LandmarksPresent how many
	// the dataset measures; MissingLandmarks the others, filled from the
	// present ones before predicting.
	Landmarks        int      `json:"landmarks"`
	LandmarksPresent int      `json:"landmarks_present"`
	MissingLandmarks []string `json:"missing_landmarks"`
	// QueryMeans counts targets whose mean came from the dataset itself
	// (it measures them); the others got the training mean.
	QueryMeans int `json:"query_means"`
}

// PredictParams are the provenance parameters of a predicted layer.
type PredictParams struct {
	Model            string   `json:"model"`
	Landmarks        int      `json:"landmarks"`
	LandmarksPresent int      `json:"landmarks_present"`
	LandmarksMissing int      `json:"landmarks_missing"`
	Missing          []string `json:"missing,omitempty"` // the first 50
	QueryMeans       int      `json:"query_means"`
}

// Predict writes the stored expression model's predictions for every cell
// of o.Dataset as its derived layer o.Layer (value type vocab.Predicted):
// the dataset's matrix is read and log-normalised (one read transaction),
// checked against the model (value type, gene-symbol case as a species
// check, at least 10 landmarks present), and then, in one write
// transaction that first checks the dataset and the model are unchanged,
// the model's blocks of predictions stream into the layer chunk by chunk.
// Landmarks the dataset lacks are filled from the present ones first and
// counted. Predictions below 0 are stored as 0, the floor of log1p(CP10k)
// (eval expr scores the models' raw output). Any failure leaves the store
// unchanged.
func Predict(ctx context.Context, db *store.DB, o PredictOptions, log io.Writer) (*PredictResult, error) {
	if log == nil {
		log = io.Discard
	}
	if o.Dataset == "" {
		return nil, fmt.Errorf("pipeline: predict needs a dataset")
	}
	if o.Layer == "" {
		o.Layer = vocab.LayerPredicted
	}
	var (
		m      *expr.Model
		rec    store.ModelRecord
		params ExprModelParams
		info   store.DatasetInfo
		x      *sparse.CSR
		genes  []uint32
		symbol = map[uint32]string{}
		target = map[string]uint32{} // target symbol → global gene id
	)
	err := db.View(func(tx *store.Tx) error {
		var err error
		if m, rec, params, err = loadExprModel(tx); err != nil {
			return err
		}
		if info, err = tx.DatasetByName(o.Dataset); err != nil {
			return fmt.Errorf("dataset %q: %w", o.Dataset, err)
		}
		if x, err = tx.Matrix(info.ID); err != nil {
			return err
		}
		if genes, err = tx.DatasetGenes(info.ID); err != nil {
			return err
		}
		for _, g := range genes {
			gi, err := tx.Gene(g)
			if err != nil {
				return err
			}
			symbol[g] = gi.Symbol
		}
		for _, s := range m.Targets() {
			gs, err := tx.GenesBySymbol(s)
			if err != nil {
				return err
			}
			for _, gi := range gs { // exact spelling, lowest id
				if gi.Symbol == s {
					target[s] = gi.ID
					break
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !slices.Contains(params.Values, info.Values) {
		return nil, fmt.Errorf("%w: dataset %q holds %s values, the model was trained on %v", ErrExprMismatch, info.Name, info.Values, params.Values)
	}
	var dsSyms []string
	for _, g := range genes {
		dsSyms = append(dsSyms, symbol[g])
	}
	if err := checkSpecies(info.Name, dsSyms, m.Landmarks(), params.SymbolCase); err != nil {
		return nil, err
	}
	// The layer's genes: the requested targets, by ascending gene id.
	want := m.Targets()
	if len(o.Genes) > 0 {
		isTarget := map[string]bool{}
		for _, s := range want {
			isTarget[s] = true
		}
		var bad []string
		for _, s := range o.Genes {
			if !isTarget[s] {
				bad = append(bad, s)
			}
		}
		if len(bad) > 0 {
			return nil, fmt.Errorf("pipeline: the expression model does not predict %s (its %d targets exclude its landmarks and genes not measured in every training dataset)",
				strings.Join(firstN(bad, 20), ", ")+more(len(bad), 20), len(want))
		}
		want = o.Genes
	}
	tIndex := map[string]int{}
	for t, s := range m.Targets() {
		tIndex[s] = t
	}
	type col struct {
		gene uint32
		t    int
	}
	var cols []col
	seen := map[uint32]bool{}
	for _, s := range want {
		g, ok := target[s]
		if !ok {
			return nil, fmt.Errorf("%w: target %q of the model is not in the store's gene vocabulary", store.ErrCorrupt, s)
		}
		if !seen[g] {
			seen[g] = true
			cols = append(cols, col{g, tIndex[s]})
		}
	}
	slices.SortFunc(cols, func(a, b col) int { return cmpU32(a.gene, b.gene) })
	layerGenes := make([]uint32, len(cols))
	for i, c := range cols {
		layerGenes[i] = c.gene
	}

	// The query: the dataset's landmark and target columns, normalised.
	xn, err := prep.Normalize(x, info.Values, 1e4)
	if err != nil {
		return nil, fmt.Errorf("dataset %q: %w", info.Name, err)
	}
	qcols, qnames, used, present, err := modelColumns(m, genes, func(c int) string { return symbol[genes[c]] }, info.Name)
	if err != nil {
		return nil, err
	}
	q := denseExpr(rawExpr{info: info, x: xn, genes: genes}, qcols, qnames)
	q.Groups = nil

	res := &PredictResult{Dataset: info.Name, ModelVersion: rec.Provenance.ModelVersion, Genes: len(cols), Cells: info.Cells,
		Landmarks: len(m.Landmarks()), LandmarksPresent: present}
	for _, s := range m.Landmarks() {
		if !used[s] {
			res.MissingLandmarks = append(res.MissingLandmarks, s)
		}
	}
	if n := len(res.MissingLandmarks); n > 0 {
		fmt.Fprintf(log, "expr: dataset %q lacks %d of %d landmarks, filled from the others: %s\n",
			info.Name, n, res.Landmarks, strings.Join(firstN(res.MissingLandmarks, 20), ", ")+more(n, 20))
	}
	// Targets the dataset measures take its own mean (expr.PredictInfo's
	// QueryMeans), known before predicting, so the provenance records it.
	queryMeans := 0
	if info.Cells > 0 {
		for _, s := range m.Targets() {
			if used[s] {
				queryMeans++
			}
		}
	}
	pp, err := json.Marshal(PredictParams{Model: res.ModelVersion, Landmarks: res.Landmarks, LandmarksPresent: present,
		LandmarksMissing: len(res.MissingLandmarks), Missing: firstN(res.MissingLandmarks, 50), QueryMeans: queryMeans})
	if err != nil {
		return nil, err
	}
	layer := store.Layer{Dataset: info.ID, Name: o.Layer, Values: vocab.Predicted, Cells: info.Cells, Genes: layerGenes,
		Provenance: store.Provenance{Kind: "expr-predict", ModelVersion: res.ModelVersion, Params: pp, Datasets: []uint32{info.ID}}}
	T := len(m.Targets())
	err = db.Update(func(tx *store.Tx) error {
		if err := checkDatasetsUnchanged(tx, []uint32{info.ID}, map[uint32]string{info.ID: info.SHA256}); err != nil {
			return err
		}
		if now, err := tx.Model(vocab.ModelExpr); err != nil || now.Provenance.ModelVersion != res.ModelVersion {
			return fmt.Errorf("%w: the expression model was retrained while predicting", ErrConflict)
		}
		if err := tx.PutLayer(layer); err != nil {
			return err
		}
		chunk := make([]float32, len(cols)*store.LayerChunkCells)
		first := 0
		flush := func(end int) error {
			n := end - first
			if n == store.LayerChunkCells {
				return tx.PutLayerChunk(info.ID, o.Layer, first, chunk)
			}
			// The last, partial chunk: compact gene-major rows of n.
			part := make([]float32, 0, len(cols)*n)
			for i := range cols {
				part = append(part, chunk[i*store.LayerChunkCells:i*store.LayerChunkCells+n]...)
			}
			return tx.PutLayerChunk(info.ID, o.Layer, first, part)
		}
		info2, err := m.Predict(ctx, &q, expr.PredictOptions{BlockRows: 256}, func(lo, rows int, v []float32) error {
			for r := range rows {
				row, cell := v[r*T:(r+1)*T], lo+r-first
				for i, c := range cols {
					// log1p(CP10k) is never below 0; the models'
					// deviations around the means can be.
					chunk[i*store.LayerChunkCells+cell] = max(row[c.t], 0)
				}
			}
			if end := lo + rows; end-first == store.LayerChunkCells || end == info.Cells {
				if err := flush(end); err != nil {
					return err
				}
				first = end
			}
			return nil
		})
		if err != nil {
			return err
		}
		res.QueryMeans = info2.QueryMeans
		res.Layer, err = tx.Layer(info.ID, o.Layer)
		return err
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "expr: layer %q of dataset %q: %d genes × %d cells predicted by %s\n", o.Layer, info.Name, res.Genes, res.Cells, res.ModelVersion)
	return res, nil
}

// checkSpecies refuses a dataset whose symbols are spelled in another
// case convention than the model's training data (mouse Cd3e against
// human CD3E), or that matches the model's landmarks only ignoring case.
func checkSpecies(name string, symbols, landmarks []string, modelCase string) error {
	exact, folded := map[string]bool{}, map[string]bool{}
	for _, s := range symbols {
		exact[s] = true
		folded[strings.ToLower(s)] = true
	}
	nExact, nFolded := 0, 0
	for _, s := range landmarks {
		if exact[s] {
			nExact++
		}
		if folded[strings.ToLower(s)] {
			nFolded++
		}
	}
	dsCase := symbolCase(symbols)
	if (modelCase == "upper" || modelCase == "title") && (dsCase == "upper" || dsCase == "title") && dsCase != modelCase ||
		nExact < minExprLandmarks && nFolded >= minExprLandmarks {
		return fmt.Errorf("%w: dataset %q looks like another species: its gene symbols are %s case, the model's %s case; %d of the %d landmarks match exactly, %d ignoring case",
			ErrExprMismatch, name, dsCase, modelCase, nExact, len(landmarks), nFolded)
	}
	return nil
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// EvalExprOptions configure EvalExpr.
type EvalExprOptions struct {
	// Train are the training options; Train.Model.Seed also seeds the
	// hold-out split. With UseStored (the default of the CLI) the stored
	// model's landmarks, targets, datasets, hidden layers, dropout and seed
	// replace them for the fit.
	Train ExprOptions
	// UseStored takes the landmarks, targets, datasets and
	// hyper-parameters of the stored expression model, when there is one;
	// landmarks or targets it chose from the data (on every cell) are
	// chosen again, as many, on the training cells.
	UseStored bool
	// Holdout is the share of each dataset's cells held out (default 0.2).
	Holdout float64
}

// ExprScore is one model's figures on the held-out cells.
type ExprScore struct {
	MeanMAE float64 `json:"mean_mae"`
	// MeanR is the mean of the defined per-gene r (0 when none is).
	MeanR       float64 `json:"mean_r"`
	BeatsLinear float64 `json:"beats_linear"`
}

// ExprGeneScore is one target's held-out MAE and Pearson r by model.
type ExprGeneScore struct {
	Gene string             `json:"gene"`
	MAE  map[string]float64 `json:"mae"`
	R    map[string]float64 `json:"r"`
}

// ExprEvaluation is the result of EvalExpr.
type ExprEvaluation struct {
	Holdout    float64              `json:"holdout"`
	TrainCells int                  `json:"train_cells"`
	HeldCells  int                  `json:"held_cells"`
	Landmarks  int                  `json:"landmarks"`
	Targets    int                  `json:"targets"`
	Models     map[string]ExprScore `json:"models"` // chosen, mlp, ridge, knn, lstsq
	Genes      []ExprGeneScore      `json:"genes"`
}

// EvalExpr holds out a share of each dataset's cells (seeded), fits the
// expression model on the rest exactly as TrainExpr would (the genes it
// picks by variance picked on the rest too; with UseStored, the stored
// model's settings and its given gene lists, its data-chosen ones chosen
// again), and scores
// every model (the chosen blend, MLP, ridge-CV, kNN and plain least
// squares) per target gene on the held-out cells: MAE and Pearson r, their
// means, and the share of genes where each model's MAE is below least
// squares'. Each dataset's held-out cells are a query of their own (their
// own means are added back, see train/expr); per-gene figures are
// averaged over datasets weighted by cells. It writes nothing.
func EvalExpr(ctx context.Context, db *store.DB, o EvalExprOptions, log io.Writer) (*ExprEvaluation, error) {
	if log == nil {
		log = io.Discard
	}
	if o.Holdout == 0 {
		o.Holdout = 0.2
	}
	if !(o.Holdout > 0 && o.Holdout < 1) {
		return nil, fmt.Errorf("pipeline: holdout %v outside (0, 1)", o.Holdout)
	}
	to := o.Train
	splitSeed := to.Model.Seed
	if o.UseStored {
		err := db.View(func(tx *store.Tx) error {
			m, rec, p, err := loadExprModel(tx)
			if errors.Is(err, ErrNoExprModel) {
				return nil
			}
			if err != nil {
				return err
			}
			to.Landmarks, to.Targets, to.Model.Hidden, to.Model.Seed = m.Landmarks(), m.Targets(), p.Hidden, p.Seed
			// Genes the model chose from the data were chosen on every
			// cell, held-out ones included: choose them again on the
			// training cells, as many as it has.
			if p.AutoLandmarks {
				to.Landmarks, to.AutoLandmarks = nil, len(m.Landmarks())
			}
			if p.AutoTargets {
				to.Targets, to.MaxTargets = nil, len(m.Targets())
			}
			to.Model.NoMLP = p.NoMLP
			to.Model.Dropout = p.Dropout
			if p.Dropout == 0 {
				to.Model.Dropout = -1
			}
			if len(to.Datasets) == 0 {
				for _, id := range rec.Provenance.Datasets {
					d, err := tx.DatasetByID(id)
					if err != nil {
						return fmt.Errorf("dataset %d of the expression model: %w", id, err)
					}
					to.Datasets = append(to.Datasets, d.Name)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if err := to.Validate(); err != nil {
		return nil, err
	}
	to = to.withDefaults()
	raws, symbol, err := readExprData(ctx, db, to.Datasets)
	if err != nil {
		return nil, err
	}
	// The split comes first: the genes chosen by variance (targets, and
	// automatic landmarks) are chosen on the training cells only.
	rng := rand.New(rand.NewPCG(splitSeed, 0x686f6c64)) // "hold"
	heldOut := make([][]bool, len(raws))
	for i, r := range raws {
		n := r.x.Rows
		nh := int(math.Round(o.Holdout * float64(n)))
		if nh < 2 || n-nh < 2 {
			return nil, fmt.Errorf("%w: dataset %q has %d cells, too few to hold out %v of them", ErrNoData, r.info.Name, n, o.Holdout)
		}
		heldOut[i] = make([]bool, n)
		for _, c := range rng.Perm(n)[:nh] {
			heldOut[i][c] = true
		}
	}
	in, err := chooseExprGenes(raws, symbol, to, heldOut, log)
	if err != nil {
		return nil, err
	}
	var train, held []expr.Dataset
	ev := &ExprEvaluation{Holdout: o.Holdout, Models: map[string]ExprScore{}}
	for i, d := range in.data {
		isHeld := heldOut[i]
		tr, he := subsetRows(d, isHeld, false), subsetRows(d, isHeld, true)
		train, held = append(train, tr), append(held, he)
		ev.TrainCells += tr.Rows()
		ev.HeldCells += he.Rows()
	}
	mo := to.Model
	mo.Landmarks, mo.Targets, mo.AutoLandmarks = in.landmarks, in.targets, to.AutoLandmarks
	mo.MaxTargets = max(to.MaxTargets, 0) // negative: no cap
	fmt.Fprintf(log, "expr: fitting on %d cells, scoring %d held-out cells\n", ev.TrainCells, ev.HeldCells)
	m, err := expr.Fit(ctx, train, mo)
	if err != nil {
		return nil, err
	}
	ev.Landmarks, ev.Targets = len(m.Landmarks()), len(m.Targets())
	// Per gene, cell-weighted sums over the held-out datasets.
	type acc struct{ mae, r, wr [expr.NumKinds]float64 }
	sums := map[string]*acc{}
	var order []string
	weight := map[string]float64{}
	for i := range held {
		e, err := m.Evaluate(ctx, &held[i], expr.PredictOptions{})
		if err != nil {
			return nil, err
		}
		w := float64(e.Rows)
		for gi, g := range e.Genes {
			a := sums[g]
			if a == nil {
				a = &acc{}
				sums[g] = a
				order = append(order, g)
			}
			weight[g] += w
			for k := range expr.NumKinds {
				if e.MAE[k] == nil {
					continue
				}
				a.mae[k] += w * e.MAE[k][gi]
				if r := e.R[k][gi]; !math.IsNaN(r) {
					a.r[k] += w * r
					a.wr[k] += w
				}
			}
		}
	}
	has := [expr.NumKinds]bool{}
	for k := range has {
		has[k] = expr.Kind(k) != expr.MLP || m.HasMLP()
	}
	var tot [expr.NumKinds]struct {
		mae, r   float64
		nr, beat int
	}
	for _, g := range order {
		a := sums[g]
		gs := ExprGeneScore{Gene: g, MAE: map[string]float64{}, R: map[string]float64{}}
		var mae [expr.NumKinds]float64
		for k := range expr.NumKinds {
			if !has[k] {
				continue
			}
			name := expr.Kind(k).String()
			mae[k] = a.mae[k] / weight[g]
			gs.MAE[name] = mae[k]
			tot[k].mae += mae[k]
			if a.wr[k] > 0 {
				r := a.r[k] / a.wr[k]
				gs.R[name] = r
				tot[k].r += r
				tot[k].nr++
			}
		}
		for k := range expr.NumKinds {
			if has[k] && mae[k] < mae[expr.LeastSquares] {
				tot[k].beat++
			}
		}
		ev.Genes = append(ev.Genes, gs)
	}
	for k := range expr.NumKinds {
		if !has[k] || len(order) == 0 {
			continue
		}
		s := ExprScore{MeanMAE: tot[k].mae / float64(len(order)),
			BeatsLinear: float64(tot[k].beat) / float64(len(order))}
		if tot[k].nr > 0 {
			s.MeanR = tot[k].r / float64(tot[k].nr)
		}
		ev.Models[expr.Kind(k).String()] = s
	}
	return ev, nil
}

// subsetRows returns the rows of d where pick[r] == want.
func subsetRows(d expr.Dataset, pick []bool, want bool) expr.Dataset {
	G := len(d.Genes)
	out := expr.Dataset{Name: d.Name, Genes: d.Genes}
	for r, p := range pick {
		if p != want {
			continue
		}
		out.X = append(out.X, d.X[r*G:(r+1)*G]...)
		if len(d.Groups) > 0 {
			out.Groups = append(out.Groups, d.Groups[r])
		}
	}
	return out
}

// modelColumns picks the columns of a dataset (genes, with symbolOf giving
// column c's symbol) that m uses as landmarks or targets, the first column of
// each symbol, and counts m's landmarks among them; fewer than
// minExprLandmarks is ErrLandmarks naming the dataset.
func modelColumns(m *expr.Model, genes []uint32, symbolOf func(c int) string, dataset string) (cols []uint32, names []string, used map[string]bool, present int, err error) {
	need := map[string]bool{}
	for _, s := range m.Landmarks() {
		need[s] = true
	}
	for _, s := range m.Targets() {
		need[s] = true
	}
	used = map[string]bool{}
	for c, g := range genes {
		if s := symbolOf(c); need[s] && !used[s] {
			used[s] = true
			cols = append(cols, g)
			names = append(names, s)
		}
	}
	for _, s := range m.Landmarks() {
		if used[s] {
			present++
		}
	}
	if present < minExprLandmarks {
		err = fmt.Errorf("%w: dataset %q measures %d of the model's %d landmarks, need at least %d",
			expr.ErrLandmarks, dataset, present, len(m.Landmarks()), minExprLandmarks)
	}
	return cols, names, used, present, err
}
