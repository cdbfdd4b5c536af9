package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"genestore/internal/sparse"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/train/expr"
	"genestore/train/prep"
	"genestore/vocab"
)

// Values of AppendOptions.FillMissing: how the genes a trained model needs
// but a new dataset lacks are filled.
const (
	// FillAuto predicts them when the store holds an expression model
	// that can (same value type, at least 10 landmarks present), and
	// fills zeros otherwise.
	FillAuto = ""
	// FillZero fills zeros (what a dataset that never measured a gene
	// looks like to the model).
	FillZero = "zero"
	// FillPredict predicts them with the stored expression model and fails
	// when it cannot.
	FillPredict = "predict"
)

// fillPlan is what fillMissing needs from the store, read in Append's read
// transaction: the expression model (nil when there is none) and the
// symbols of the cell model's genes.
type fillPlan struct {
	mode    string
	m       *expr.Model
	version string
	params  ExprModelParams
	symbols map[uint32]string // cell-model gene id → symbol
	verb    string            // what the log lines start with: "append", "annotate"
}

// readFillPlan reads the plan for mode (nil for FillZero).
func readFillPlan(tx *store.Tx, mode string, want []uint32) (*fillPlan, error) {
	switch mode {
	case FillZero:
		return nil, nil
	case FillAuto, FillPredict:
	default:
		return nil, fmt.Errorf("pipeline: fill-missing %q: want predict or zero", mode)
	}
	p := &fillPlan{mode: mode, symbols: map[uint32]string{}, verb: "append"}
	m, rec, params, err := loadExprModel(tx)
	switch {
	case errors.Is(err, ErrNoExprModel):
		if mode == FillPredict {
			return nil, fmt.Errorf("fill-missing predict: %w", err)
		}
		return p, nil
	case err != nil:
		return nil, err
	}
	p.m, p.version, p.params = m, rec.Provenance.ModelVersion, params
	for _, g := range want {
		gi, err := tx.Gene(g)
		if err != nil {
			return nil, err
		}
		p.symbols[g] = gi.Symbol
	}
	return p, nil
}

// check fails with ErrConflict when the expression model the plan used was
// replaced before the commit.
func (p *fillPlan) check(tx *store.Tx) error {
	if p == nil || p.m == nil {
		return nil
	}
	if rec, err := tx.Model(vocab.ModelExpr); err != nil || rec.Provenance.ModelVersion != p.version {
		return fmt.Errorf("%w (the expression model changed while append computed)", ErrConflict)
	}
	return nil
}

// fillMissing fills, in x (cells × want, the raw values of the dataset,
// genes it lacks as zero columns), the columns of want that the dataset
// lacks and the stored expression model predicts, from the dataset ds
// (its columns are the global genes ids genes). Predicted log1p(CP10k)
// values go back to the dataset's scale: counts = expm1(v) × the cell's
// estimated full library / 10,000 (its measured total over one minus the
// predicted share of the missing genes), normalised = expm1(v), log = v
// (negative predictions clip to 0). It returns the new matrix and the
// number of genes filled.
func fillMissing(ctx context.Context, p *fillPlan, x *sparse.CSR, ds *ingest.Dataset, genes, want []uint32,
	values vocab.ValueType, name string, log io.Writer) (*sparse.CSR, int, error) {
	if p == nil || p.mode == FillZero {
		return x, 0, nil
	}
	has := map[uint32]bool{}
	for _, g := range genes {
		has[g] = true
	}
	var missing []int // positions in want
	for j, g := range want {
		if !has[g] {
			missing = append(missing, j)
		}
	}
	if len(missing) == 0 || p.m == nil {
		return x, 0, nil
	}
	// skip gives up: an error under FillPredict, zeros under FillAuto.
	skip := func(err error) (*sparse.CSR, int, error) {
		if p.mode == FillPredict {
			return nil, 0, fmt.Errorf("fill-missing predict: %w", err)
		}
		fmt.Fprintf(log, "%s: %s: %d genes of the cell model missing, zero-filled (%v)\n", p.verb, name, len(missing), err)
		return x, 0, nil
	}
	m, raw := p.m, ds.X
	if !slices.Contains(p.params.Values, values) {
		return skip(fmt.Errorf("%w: dataset %q holds %s values, the model was trained on %v", ErrExprMismatch, name, values, p.params.Values))
	}
	tIndex := map[string]int{}
	for t, s := range m.Targets() {
		tIndex[s] = t
	}
	type fill struct{ col, t int }
	var fills []fill
	for _, j := range missing {
		if t, ok := tIndex[p.symbols[want[j]]]; ok {
			fills = append(fills, fill{j, t})
		}
	}
	if len(fills) == 0 {
		return skip(fmt.Errorf("none of the %d missing genes is a target of the expression model", len(missing)))
	}
	// The query: the dataset's landmark and target columns, normalised.
	qcols, qnames, _, present, err := modelColumns(m, genes, func(c int) string { return ds.Genes[c].Symbol }, name)
	if err != nil {
		return skip(err)
	}
	xn, err := prep.Normalize(raw, values, 1e4)
	if err != nil {
		return nil, 0, fmt.Errorf("dataset %q: %w", name, err)
	}
	q := denseExpr(rawExpr{info: store.DatasetInfo{Name: name}, x: xn, genes: genes}, qcols, qnames)
	q.Groups = nil
	total := make([]float64, raw.Rows)
	for r := range raw.Rows {
		_, v := raw.Row(r)
		for _, a := range v {
			total[r] += float64(a)
		}
	}
	T := len(m.Targets())
	type entry struct {
		col int32
		v   float32
	}
	extra := make([][]entry, x.Rows)
	_, err = m.Predict(ctx, &q, expr.PredictOptions{}, func(lo, rows int, v []float32) error {
		for r := range rows {
			row := v[r*T : (r+1)*T]
			// Counts: the predicted CP10k of the missing genes are shares
			// of the full library, of which the measured total is the
			// rest: full = measured / (1 − their share), capped at 10×.
			scale := 1.0
			if values == vocab.Counts {
				var share float64
				for _, f := range fills {
					share += math.Expm1(math.Max(float64(row[f.t]), 0)) / 1e4
				}
				scale = total[lo+r] / math.Max(1-share, 0.1) / 1e4
			}
			for _, f := range fills {
				p := math.Max(float64(row[f.t]), 0)
				switch values {
				case vocab.Counts:
					p = math.Expm1(p) * scale
				case vocab.Normalized:
					p = math.Expm1(p)
				}
				if p > 0 {
					extra[lo+r] = append(extra[lo+r], entry{int32(f.col), float32(p)})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	out := &sparse.CSR{Rows: x.Rows, Cols: x.Cols, Indptr: make([]int64, x.Rows+1)}
	for r := range x.Rows {
		idx, val := x.Row(r)
		row := extra[r]
		for k := range idx {
			row = append(row, entry{idx[k], val[k]})
		}
		slices.SortFunc(row, func(a, b entry) int { return int(a.col) - int(b.col) })
		for _, e := range row {
			out.Indices = append(out.Indices, e.col)
			out.Data = append(out.Data, e.v)
		}
		out.Indptr[r+1] = int64(len(out.Indices))
	}
	fmt.Fprintf(log, "%s: %s: %d of %d missing genes of the cell model predicted by %s (%d of %d landmarks present)\n",
		p.verb, name, len(fills), len(missing), p.version, present, len(m.Landmarks()))
	return out, len(fills), nil
}

// ErrNoCellVectors is returned by EmbedQuery for a dataset the current cell
// model has not embedded.
var ErrNoCellVectors = errors.New("pipeline: no cell vectors of the current cell model")

// QueryCells is a dataset's cells embedded again by EmbedQuery.
type QueryCells struct {
	Dataset      string
	Vectors      []float32 // cells × Dim, in cell order
	Dim          int
	ModelVersion string // the cell model's
	Missing      int    // genes of the cell model the dataset lacks
	Filled       int    // of those, predicted by the expression model
	Fill         string // what was done: FillPredict or FillZero
}

// EmbedQuery embeds the cells of dataset name again with the stored cell
// model, filling the genes of the model the dataset lacks per mode
// (FillAuto, FillZero or FillPredict, as AppendOptions.FillMissing), for
// label transfer (query.AnnotateCellsRequest.QueryVectors). Nothing is
// written. It returns nil and no error when the stored vectors already are
// that embedding: the dataset has every gene of the model, or mode is
// FillAuto and the store holds no expression model.
//
// The dataset must have cell vectors of the current cell model (trained
// with it or appended): its batches' parameters are the model's.
func EmbedQuery(ctx context.Context, db *store.DB, name, mode string, log io.Writer) (*QueryCells, error) {
	if log == nil {
		log = io.Discard
	}
	if mode != FillAuto && mode != FillZero && mode != FillPredict {
		return nil, fmt.Errorf("pipeline: fill-missing %q: want predict or zero", mode)
	}
	var (
		info    store.DatasetInfo
		st      *modelState
		fill    *fillPlan
		ds      = &ingest.Dataset{}
		genes   []uint32
		batches []string
	)
	err := db.View(func(tx *store.Tx) error {
		var err error
		if info, err = tx.DatasetByName(name); err != nil {
			return fmt.Errorf("dataset %q: %w", name, err)
		}
		if st, err = loadModel(tx, vocab.SpaceCells, vocab.ModelCells); err != nil {
			return err
		}
		if st == nil {
			return fmt.Errorf("%w: no cell model (train cells)", ErrNoCellVectors)
		}
		space, err := tx.Space(vocab.SpaceCells)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(space.Sets, func(s store.EmbeddingSet) bool { return s.Dataset == info.ID })
		if i < 0 {
			return fmt.Errorf("%w: dataset %q has none (append it)", ErrNoCellVectors, name)
		}
		if v := space.Sets[i].Provenance.ModelVersion; v != st.version {
			return fmt.Errorf("%w: cells of %q are model %q, the cell model is %q", ErrNoCellVectors, name, v, st.version)
		}
		if genes, err = tx.DatasetGenes(info.ID); err != nil {
			return err
		}
		if ds.X, err = tx.Matrix(info.ID); err != nil {
			return err
		}
		ds.Genes = make([]ingest.Gene, len(genes))
		for c, g := range genes {
			gi, err := tx.Gene(g)
			if err != nil {
				return err
			}
			ds.Genes[c] = ingest.Gene{ID: gi.Symbol, Symbol: gi.Symbol}
		}
		batches = make([]string, info.Cells)
		for i := range batches {
			batches[i] = info.Name
		}
		if info.BatchKey != "" {
			col, err := tx.ObsColumn(info.ID, info.BatchKey)
			if err != nil {
				return fmt.Errorf("dataset %q: batch key: %w", name, err)
			}
			for i, b := range col {
				batches[i] = info.Name + "/" + b
			}
		}
		fill, err = readFillPlan(tx, mode, st.genes)
		return err
	})
	if err != nil {
		return nil, err
	}
	has := make(map[uint32]bool, len(genes))
	for _, g := range genes {
		has[g] = true
	}
	missing := 0
	for _, g := range st.genes {
		if !has[g] {
			missing++
		}
	}
	if missing == 0 || (mode == FillAuto && fill.m == nil) {
		return nil, nil
	}
	if fill != nil {
		fill.verb = "annotate"
	}
	model, x, filled, err := cellModelInput(ctx, st, fill, ds, genes, info, log)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	for i, n := range model.BatchNames() {
		index[n] = i
	}
	batch := make([]int, len(batches))
	for i, b := range batches {
		var ok bool
		if batch[i], ok = index[b]; !ok {
			return nil, fmt.Errorf("%w: batch %q of dataset %q is not one of the cell model's", ErrNoCellVectors, b, name)
		}
	}
	vecs, err := model.Embed(ctx, x, batch)
	if err != nil {
		return nil, err
	}
	q := &QueryCells{Dataset: name, Vectors: vecs, Dim: model.Latent(), ModelVersion: st.version, Missing: missing,
		Filled: filled, Fill: FillZero}
	if filled > 0 {
		q.Fill = FillPredict
	}
	if filled == 0 {
		fmt.Fprintf(log, "annotate: %s: %d genes of the cell model missing, zero-filled\n", name, missing)
	}
	return q, nil
}
