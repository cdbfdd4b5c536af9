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

// fillMissing fills, in x (cells × want, the raw values of the dataset,
// genes it lacks as zero columns), the columns of want that the dataset
// lacks and the stored expression model predicts. raw is the dataset's
// own matrix over genes. Predicted log1p(CP10k) values go back to the
// dataset's scale: counts = expm1(v) × the cell's estimated full library /
// 10,000 (its measured total over one minus the predicted share of the
// missing genes),
// normalised = expm1(v), log = v (negative predictions clip to 0). It
// returns the new matrix and the number of genes filled.
func fillMissing(ctx context.Context, tx *store.Tx, mode string, x, raw *sparse.CSR, genes, want []uint32,
	values vocab.ValueType, name string, log io.Writer) (*sparse.CSR, int, error) {
	switch mode {
	case FillZero:
		return x, 0, nil
	case FillAuto, FillPredict:
	default:
		return nil, 0, fmt.Errorf("pipeline: fill-missing %q: want predict or zero", mode)
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
	if len(missing) == 0 {
		return x, 0, nil
	}
	// skip gives up: an error under FillPredict, zeros under FillAuto.
	skip := func(err error) (*sparse.CSR, int, error) {
		if mode == FillPredict {
			return nil, 0, fmt.Errorf("fill-missing predict: %w", err)
		}
		fmt.Fprintf(log, "append: %s: %d genes of the cell model missing, zero-filled (%v)\n", name, len(missing), err)
		return x, 0, nil
	}
	m, _, params, err := loadExprModel(tx)
	if err != nil {
		if errors.Is(err, ErrNoExprModel) {
			if mode == FillPredict {
				return nil, 0, fmt.Errorf("fill-missing predict: %w", err)
			}
			return x, 0, nil
		}
		return nil, 0, err
	}
	if !slices.Contains(params.Values, values) {
		return skip(fmt.Errorf("%w: dataset %q holds %s values, the model was trained on %v", ErrExprMismatch, name, values, params.Values))
	}
	symbol := func(g uint32) (string, error) {
		gi, err := tx.Gene(g)
		return gi.Symbol, err
	}
	tIndex := map[string]int{}
	for t, s := range m.Targets() {
		tIndex[s] = t
	}
	type fill struct{ col, t int }
	var fills []fill
	for _, j := range missing {
		s, err := symbol(want[j])
		if err != nil {
			return nil, 0, err
		}
		if t, ok := tIndex[s]; ok {
			fills = append(fills, fill{j, t})
		}
	}
	if len(fills) == 0 {
		return skip(fmt.Errorf("none of the %d missing genes is a target of the expression model", len(missing)))
	}
	// The query: the dataset's landmark and target columns, normalised.
	need := map[string]bool{}
	for _, s := range m.Landmarks() {
		need[s] = true
	}
	for _, s := range m.Targets() {
		need[s] = true
	}
	var qcols []uint32
	var qnames []string
	used := map[string]bool{}
	for _, g := range genes {
		s, err := symbol(g)
		if err != nil {
			return nil, 0, err
		}
		if need[s] && !used[s] {
			used[s] = true
			qcols = append(qcols, g)
			qnames = append(qnames, s)
		}
	}
	present := 0
	for _, s := range m.Landmarks() {
		if used[s] {
			present++
		}
	}
	if present < minExprLandmarks {
		return skip(fmt.Errorf("%w: dataset %q measures %d of the model's %d landmarks, need at least %d",
			expr.ErrLandmarks, name, present, len(m.Landmarks()), minExprLandmarks))
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
	fmt.Fprintf(log, "append: %s: %d of %d missing genes of the cell model predicted by %s (%d of %d landmarks present)\n",
		name, len(fills), len(missing), modelVersionOf(tx), present, len(m.Landmarks()))
	return out, len(fills), nil
}

func modelVersionOf(tx *store.Tx) string {
	r, err := tx.Model(vocab.ModelExpr)
	if err != nil {
		return "?"
	}
	return r.Provenance.ModelVersion
}
