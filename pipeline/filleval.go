package pipeline

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"genestore/index"
	"genestore/query"
	"genestore/query/backend"
	"genestore/query/eval"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/vocab"
)

// NamedDataset is a dataset with the name it is stored under.
type NamedDataset struct {
	Name string
	Data *ingest.Dataset
}

// FillEvalOptions configure EvalFill.
type FillEvalOptions struct {
	// Label is the obs column of the references transferred and of the
	// query holding the truth.
	Label string
	// Drop is the share of the query's genes removed; 0 means 0.5.
	Drop float64
	// Draws is how many random gene subsets are drawn; 0 means 1.
	Draws int
	// Seed seeds the draws, the appends and the transfer.
	Seed uint64
	// K is the number of reference neighbours voting; 0 means 15.
	K int
	// Cells and Expr train the two models on the references.
	Cells CellOptions
	Expr  ExprOptions
	// TargetCellGenes makes the expression model's targets the cell
	// model's genes (when Expr.Targets is empty): every gene the fill
	// could need is then predicted, rather than those of the cell model's
	// genes that are among Expr.MaxTargets most variable.
	TargetCellGenes bool
}

// FillDraw is one draw of EvalFill: macro-F1 of the transferred labels
// with the query's removed genes zero-filled and predicted.
type FillDraw struct {
	Removed   int     `json:"removed"`   // genes removed from the query
	Predicted int     `json:"predicted"` // of the cell model's genes, predicted
	Zero      float64 `json:"zero"`
	Predict   float64 `json:"predict"`
}

// FillEval is the answer of EvalFill.
type FillEval struct {
	Genes int `json:"genes"` // the query's genes before removal
	// Full and FullPredict are the macro-F1 with every gene kept, the
	// genes of the cell model the query never measured zero-filled and
	// predicted.
	Full        float64    `json:"full"`
	FullPredict float64    `json:"full_predict"`
	Draws       []FillDraw `json:"draws"`
	// Zero and Predict are the means over the draws.
	Zero    float64 `json:"zero"`
	Predict float64 `json:"predict"`
}

// EvalFill measures what filling a query's missing genes buys label
// transfer. It stores refs in a new store under dir, trains the cell and
// expression models on them, then for each draw removes a random share
// o.Drop of the query's genes and, in a copy of that store per mode,
// appends the reduced query with FillMissing zero and predict and
// transfers o.Label to it as "annotate cells --fill-missing" does
// (EmbedQuery, then query.Engine.AnnotateCells with every cell's top label,
// no Unassigned). The score is macro-F1 against the query's own o.Label.
// Full and FullPredict are the same transfer with every gene kept (what
// the query never measured zero-filled, then predicted). The stores are
// removed.
func EvalFill(ctx context.Context, dir string, refs []NamedDataset, q NamedDataset, o FillEvalOptions, log io.Writer) (*FillEval, error) {
	if log == nil {
		log = io.Discard
	}
	if o.Drop == 0 {
		o.Drop = 0.5
	}
	if o.Draws == 0 {
		o.Draws = 1
	}
	if o.Drop < 0 || o.Drop >= 1 || o.Draws < 0 || len(refs) == 0 || o.Label == "" {
		return nil, fmt.Errorf("pipeline: fill evaluation needs references, a label and 0 ≤ drop < 1 (drop %v, %d draws)", o.Drop, o.Draws)
	}
	col := q.Data.Column(o.Label)
	if col == nil {
		return nil, fmt.Errorf("query %q: label %q: %w", q.Name, o.Label, store.ErrUnknownColumn)
	}
	truth := col.Values
	base := filepath.Join(dir, "fill-base.db")
	db, err := store.Open(base, nil)
	if err != nil {
		return nil, err
	}
	defer os.Remove(base)
	for _, r := range refs {
		if _, err := db.AddDataset(ctx, r.Name, r.Data, store.AddOptions{}); err != nil {
			db.Close()
			return nil, fmt.Errorf("reference %q: %w", r.Name, err)
		}
	}
	if _, err := TrainCells(ctx, db, o.Cells, nil, log); err != nil {
		db.Close()
		return nil, err
	}
	if o.TargetCellGenes && len(o.Expr.Targets) == 0 {
		if o.Expr.Targets, err = CellModelGenes(db); err != nil {
			db.Close()
			return nil, err
		}
	}
	if _, err := TrainExpr(ctx, db, o.Expr, log); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	// transfer appends ds as the query under mode and scores the transfer.
	refNames := make([]string, len(refs))
	for i, r := range refs {
		refNames[i] = r.Name
	}
	transfer := func(ds *ingest.Dataset, mode string, tag string) (f1 float64, filled int, err error) {
		path := filepath.Join(dir, "fill-"+tag+".db")
		if err := copyStore(base, path); err != nil {
			return 0, 0, err
		}
		defer os.Remove(path)
		db, err := store.Open(path, nil)
		if err != nil {
			return 0, 0, err
		}
		defer db.Close()
		res, err := Append(ctx, db, q.Name, ds, AppendOptions{Seed: o.Seed, Index: index.DefaultOptions(), FillMissing: mode}, log)
		if err != nil {
			return 0, 0, err
		}
		qc, err := EmbedQuery(ctx, db, q.Name, mode, log)
		if err != nil {
			return 0, 0, err
		}
		b, err := backend.New(db, backend.DefaultOptions())
		if err != nil {
			return 0, 0, err
		}
		e, err := query.New(b, query.DefaultOptions())
		if err != nil {
			return 0, 0, err
		}
		req := query.AnnotateCellsRequest{References: refNames, Label: o.Label, Query: q.Name, K: o.K, Rows: true}
		if qc != nil {
			req.QueryVectors = qc.Vectors
		}
		a, err := e.AnnotateCells(ctx, req)
		if err != nil {
			return 0, 0, err
		}
		pred := make([]string, len(a.Rows))
		for i, r := range a.Rows {
			pred[i] = r.Top
		}
		f1, err = eval.MacroF1(truth, pred)
		return f1, res.FilledGenes, err
	}
	out := &FillEval{Genes: len(q.Data.Genes)}
	if out.Full, _, err = transfer(q.Data, FillZero, "full"); err != nil {
		return nil, err
	}
	if out.FullPredict, _, err = transfer(q.Data, FillPredict, "full-predict"); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "fill eval: %s, every gene: macro-F1 %.3f, the never-measured genes predicted %.3f\n", q.Name, out.Full, out.FullPredict)
	for d := range o.Draws {
		rng := rand.New(rand.NewPCG(o.Seed, uint64(d)))
		n := len(q.Data.Genes)
		keep := rng.Perm(n)[:n-int(float64(n)*o.Drop+0.5)]
		slices.Sort(keep)
		red := *q.Data
		red.Genes = make([]ingest.Gene, len(keep))
		for i, j := range keep {
			red.Genes[i] = q.Data.Genes[j]
		}
		red.X = q.Data.X.SelectCols(keep)
		dr := FillDraw{Removed: n - len(keep)}
		if dr.Zero, _, err = transfer(&red, FillZero, fmt.Sprint("zero-", d)); err != nil {
			return nil, err
		}
		if dr.Predict, dr.Predicted, err = transfer(&red, FillPredict, fmt.Sprint("predict-", d)); err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "fill eval: %s, draw %d, %d of %d genes removed: macro-F1 zero-fill %.3f, predicted (%d genes) %.3f\n",
			q.Name, d, dr.Removed, n, dr.Zero, dr.Predicted, dr.Predict)
		out.Draws = append(out.Draws, dr)
		out.Zero += dr.Zero / float64(o.Draws)
		out.Predict += dr.Predict / float64(o.Draws)
	}
	return out, nil
}

// copyStore copies the closed store file from to to.
func copyStore(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}

// CellModelGenes lists the symbols of the stored cell model's input genes:
// the expression model's targets that make every gene append and annotate
// cells could need to fill predictable ("train expr --targets cells").
func CellModelGenes(db *store.DB) ([]string, error) {
	var out []string
	err := db.View(func(tx *store.Tx) error {
		st, err := loadModel(tx, vocab.SpaceCells, vocab.ModelCells)
		if err != nil {
			return err
		}
		if st == nil {
			return fmt.Errorf("%w: no cell model", ErrNoCellVectors)
		}
		for _, g := range st.genes {
			gi, err := tx.Gene(g)
			if err != nil {
				return err
			}
			out = append(out, gi.Symbol)
		}
		return nil
	})
	return out, err
}
