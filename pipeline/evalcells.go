package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"genestore/query/cluster"
	"genestore/query/eval"
	"genestore/store"
	"genestore/train/baseline"
	"genestore/train/prep"
	"genestore/vocab"
)

// CellEvalOptions configure EvalCells.
type CellEvalOptions struct {
	// Label is the obs column holding the cell labels (required).
	Label string
	// BatchKey overrides the batch column the model was trained with.
	BatchKey string
	// Seed seeds clustering.
	Seed uint64
}

// EvalCells scores the trained cell embeddings and two PCA baselines of the
// same cells and genes with scIB's metrics (see `genestore eval cells
// --help`): "pca" keeps as many components as the model has latent
// dimensions, "pca50" keeps ScIBComponents, the unintegrated embedding scIB
// scores (more components carry more noise, so its label ASW is lower than
// a 10-component PCA's and its batch mixing higher). When the
// "cells-from-genes" space (CellsFromGenes) holds every evaluated cell, it
// is scored beside them under its space's name.
func EvalCells(ctx context.Context, db *store.DB, o CellEvalOptions, log io.Writer) (*Evaluation, error) {
	ev, err := evalCells(ctx, db, o, log)
	if err == nil && ctx.Err() != nil {
		// a metric cut short by the cancellation is left out, not an error
		// of its own: the evaluation is incomplete, not successful
		return nil, ctx.Err()
	}
	return ev, err
}

func evalCells(ctx context.Context, db *store.DB, o CellEvalOptions, log io.Writer) (*Evaluation, error) {
	if log == nil {
		log = io.Discard
	}
	if o.Label == "" {
		return nil, fmt.Errorf("eval cells: a label column is required")
	}
	var (
		names  []string
		vecs   []float32
		dim    int
		labels []string
		hvg    int
		keys   = map[string]string{} // dataset → the batch key its cells were embedded with
		// The "cells-from-genes" space's vectors of the same cells, when it
		// holds every one of them (fgDim 0 otherwise).
		fgVecs []float32
		fgDim  int
		fgAll  = true
	)
	err := db.View(func(tx *store.Tx) error {
		info, err := tx.Space(vocab.SpaceCells)
		if err != nil {
			return fmt.Errorf("%w: no cell embeddings: run `genestore train cells` first", err)
		}
		for _, set := range info.Sets {
			d, err := tx.DatasetByID(set.Dataset)
			if err != nil {
				return err
			}
			// Each set records the batch key of the job that wrote it (a
			// training or an append); appends record no hvg.
			var params struct {
				HVG      int    `json:"hvg"`
				BatchKey string `json:"batch_key"`
			}
			_ = json.Unmarshal(set.Provenance.Params, &params)
			if params.HVG > 0 {
				hvg = params.HVG
			}
			keys[d.Name] = params.BatchKey
			_, dm, v, err := tx.Embeddings(vocab.SpaceCells, set.Dataset)
			if err != nil {
				return err
			}
			col, err := tx.ObsColumn(set.Dataset, o.Label)
			if err != nil {
				return fmt.Errorf("dataset %q: label column: %w", d.Name, err)
			}
			names = append(names, d.Name)
			vecs = append(vecs, v...)
			labels = append(labels, col...)
			dim = dm
			if fgAll {
				ids, fdm, fv, err := tx.Embeddings(vocab.SpaceCellsFromGenes, set.Dataset)
				switch {
				case errors.Is(err, store.ErrNotFound) || err == nil && len(ids) != d.Cells:
					fgAll = false
				case err != nil:
					return err
				default:
					fgVecs, fgDim = append(fgVecs, fv...), fdm
				}
			}
		}
		if len(names) == 0 {
			// Its datasets were dropped: naming none would select every
			// dataset of the store below, none of them embedded.
			return fmt.Errorf("%w: the cell space holds no dataset's vectors: run `genestore train cells`", store.ErrNotFound)
		}
		if !fgAll {
			fgDim = 0
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if hvg == 0 {
		hvg = DefaultCellOptions().HVG
	}
	ins, err := readCellInputsKeyed(db, names, func(info store.DatasetInfo) string {
		if o.BatchKey != "" {
			return o.BatchKey
		}
		return keys[info.Name]
	})
	if err != nil {
		return nil, err
	}
	st, err := stackCells(ins, hvg)
	if err != nil {
		return nil, err
	}
	if st.X.Rows*dim != len(vecs) {
		return nil, fmt.Errorf("eval cells: %d cells in the store but %d embedded: retrain", st.X.Rows, len(vecs)/dim)
	}
	fmt.Fprintf(log, "eval cells: %d cells, %d batches; PCA baseline on %d genes\n", st.X.Rows, len(st.batchNames), len(st.genes))
	xn, err := prep.Normalize(st.X, st.values, 0)
	if err != nil {
		return nil, err
	}
	if st.values == vocab.Log {
		xn = st.X
	}
	pca, err := baseline.PCA(ctx, xn, min(dim, xn.Cols-1, xn.Rows-1), o.Seed)
	if err != nil {
		return nil, err
	}
	// The query of label transfer is the last dataset; the rest is reference.
	last := ins[len(ins)-1].info.Cells
	isQuery := make([]bool, len(labels))
	for i := len(labels) - last; i < len(labels); i++ {
		isQuery[i] = true
	}
	out := &Evaluation{Baselines: map[string]Metrics{}}
	if out.Model, err = scoreCells(ctx, vecs, dim, labels, st.batch, isQuery, len(ins) > 1, o.Seed); err != nil {
		return nil, err
	}
	if out.Baselines["pca"], err = scoreCells(ctx, pca.CellScores, pca.K, labels, st.batch, isQuery, len(ins) > 1, o.Seed); err != nil {
		return nil, err
	}
	// scIB's unintegrated embedding: the same cells and genes, 50 components.
	pca50, err := baseline.PCA(ctx, xn, scibComponents(xn.Rows, xn.Cols), o.Seed)
	if err != nil {
		return nil, err
	}
	if out.Baselines["pca50"], err = scoreCells(ctx, pca50.CellScores, pca50.K, labels, st.batch, isQuery, len(ins) > 1, o.Seed); err != nil {
		return nil, err
	}
	// The second cell space, scored as it is searched: by cosine, so on
	// unit-length copies.
	if fgDim > 0 {
		unitRows(fgVecs, fgDim)
		if out.Baselines[vocab.SpaceCellsFromGenes], err = scoreCells(ctx, fgVecs, fgDim, labels, st.batch, isQuery, len(ins) > 1, o.Seed); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// unitRows scales each non-zero row of vecs (n × dim) to unit length, in
// place (unit, row by row).
func unitRows(vecs []float32, dim int) {
	for i := 0; i+dim <= len(vecs); i += dim {
		copy(vecs[i:i+dim], unit(vecs[i:i+dim]))
	}
}

// ScIBComponents is how many principal components scIB's unintegrated
// baseline keeps (scib.preprocessing.reduce_data, pca_comps=50, scanpy's
// default for sc.pp.pca): the embedding its published tables score
// "Unintegrated" on.
const ScIBComponents = 50

// scibComponents is ScIBComponents capped by what a rows × cols matrix has.
func scibComponents(rows, cols int) int {
	return max(1, min(ScIBComponents, cols-1, rows-1))
}

func scoreCells(ctx context.Context, vecs []float32, dim int, labels []string, batch []int, isQuery []bool, transfer bool, seed uint64) (Metrics, error) {
	n := len(labels)
	m := Metrics{}
	lab, _ := eval.Codes(labels)
	if v, err := eval.LabelASW(vecs, n, dim, lab, cluster.Euclidean); err == nil {
		m["label_asw"] = v
	}
	g, err := cluster.KNNGraph(ctx, vecs, n, dim, min(15, n-1), cluster.Euclidean, cluster.DefaultGraphOptions())
	if err != nil {
		return nil, err
	}
	if best, _, err := eval.BestClustering(ctx, g, lab, nil, cluster.DefaultOptions(), seed); err == nil {
		m["nmi"], m["ari"] = best.NMI, best.ARI
	}
	if v, err := eval.BatchASW(vecs, n, dim, lab, batch, cluster.Euclidean); err == nil {
		m["batch_asw"] = v
	}
	if v, err := eval.ILISIVectors(ctx, vecs, n, dim, batch); err == nil {
		m["ilisi"] = v
	}
	if v, err := eval.GraphConnectivity(g, lab); err == nil {
		m["graph_connectivity"] = v
	}
	if transfer {
		var ref, qry []float32
		var refLab, qryLab []string
		for i := 0; i < n; i++ {
			if isQuery[i] {
				qry = append(qry, vecs[i*dim:(i+1)*dim]...)
				qryLab = append(qryLab, labels[i])
			} else {
				ref = append(ref, vecs[i*dim:(i+1)*dim]...)
				refLab = append(refLab, labels[i])
			}
		}
		if pred, err := eval.KNNTransfer(ref, refLab, qry, dim, 15, cluster.Euclidean); err == nil {
			if v, err := eval.Accuracy(qryLab, pred); err == nil {
				m["transfer_accuracy"] = v
			}
			if v, err := eval.MacroF1(qryLab, pred); err == nil {
				m["transfer_macro_f1"] = v
			}
		}
	}
	return m, nil
}
