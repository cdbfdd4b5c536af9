package grn

import (
	"fmt"
	"math"
)

// View is one source of expression for network inference: a dataset, a time
// point, or the cells of one value of an obs column. Every view of one run
// holds the same genes in the same column order.
type View struct {
	Name  string
	Cells int
	Genes int
	// X is Cells × Genes, row-major, log-normalised expression
	// (log1p of counts scaled to 10,000 per cell, or the input's own
	// normalised values).
	X []float32
}

// Col returns gene g's column of v (a fresh slice of length Cells).
func (v *View) Col(g int) []float32 {
	out := make([]float32, v.Cells)
	for c := range v.Cells {
		out[c] = v.X[c*v.Genes+g]
	}
	return out
}

// Edge is one scored, directed regulatory pair over a run's gene indices.
type Edge struct {
	Regulator, Target int32
	Score             float64
	// Sign is +1 (activation), -1 (repression) or 0 (undetermined).
	Sign int8
}

// Known is a prior edge (regulator → target) with an optional sign, used as a
// training label and as truth in evaluation.
type Known struct {
	Regulator, Target int32
	Sign              int8
}

// Evidence is unsupervised evidence on directed pairs, per view, that the
// model's head reads beside the pair images (supervised stacking over
// unsupervised scores). Row i of view v holds, for regulator Regulators[i]
// and every target t, Features values at X[v][(i·Genes+t)·Features:]; by
// convention each value lies in [0, 1], 1 the strongest (grn/classic's
// Evidence writes normalised ranks of several classic scores). X holds one
// matrix per view the model attends over: one for the single-view
// baseline, computed on its pooled cells (PoolViews).
type Evidence struct {
	Genes, Features int
	Regulators      []int
	X               [][]float32
}

// rows maps each regulator of e to its row (-1: none).
func (e *Evidence) rows() []int32 {
	r := make([]int32, e.Genes)
	for i := range r {
		r[i] = -1
	}
	for i, g := range e.Regulators {
		r[g] = int32(i)
	}
	return r
}

// check validates e against views attended over and genes; need are the
// regulators whose rows must be present.
func (e *Evidence) check(views, genes int, need []int) error {
	if e.Genes != genes || e.Features < 1 || e.Features > maxEvidence || len(e.X) != views {
		return fmt.Errorf("%w: evidence of %d genes × %d features over %d views, want %d genes, 1..%d features, %d views",
			ErrInput, e.Genes, e.Features, len(e.X), genes, maxEvidence, views)
	}
	for _, g := range e.Regulators {
		if g < 0 || g >= genes {
			return fmt.Errorf("%w: evidence regulator %d outside %d genes", ErrInput, g, genes)
		}
	}
	for v, x := range e.X {
		if len(x) != len(e.Regulators)*genes*e.Features {
			return fmt.Errorf("%w: evidence view %d holds %d values, want %d", ErrInput, v, len(x), len(e.Regulators)*genes*e.Features)
		}
		for _, f := range x {
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				return fmt.Errorf("%w: evidence view %d holds %v", ErrInput, v, f)
			}
		}
	}
	rows := e.rows()
	for _, g := range need {
		if rows[g] < 0 {
			return fmt.Errorf("%w: no evidence for regulator %d", ErrInput, g)
		}
	}
	return nil
}

// PoolViews stacks the cells of every view into one view: the single-view
// baseline's input (its Evidence must be computed on it).
func PoolViews(views []View) []View { return poolViews(views) }
