package grn

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
