package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"genestore/internal/sparse"
	"genestore/store"
	"genestore/train/prep"
	"genestore/vocab"
)

// ErrSpatial reports a spatial-pattern request that cannot be answered:
// invalid options, or a dataset without spot coordinates.
var ErrSpatial = errors.New("pipeline: spatial pattern")

// SpatialPatternOptions configure SpatialPattern.
type SpatialPatternOptions struct {
	// K is the number of nearest spots each spot is weighted with (default 6).
	K int
	// Top is the number of genes returned, best first (default 20).
	Top int
	// Permutations of the spots give each returned gene a permutation
	// p-value (default 199; 0 skips them).
	Permutations int
	// MinSpots drops genes detected in fewer spots (default 10).
	MinSpots int
	// Seed seeds the permutations.
	Seed uint64
}

// SpatialGene is one gene's spatial autocorrelation in a dataset.
type SpatialGene struct {
	Gene   uint32  `json:"gene"`
	Symbol string  `json:"symbol"`
	Spots  int     `json:"spots"` // spots where it is detected
	I      float64 `json:"morans_i"`
	Z      float64 `json:"z"`
	PNorm  float64 `json:"p_norm"`
	QNorm  float64 `json:"q_norm"` // Benjamini–Hochberg over every tested gene
	PPerm  float64 `json:"p_perm,omitempty"`
}

// SpatialPatternResult is the answer of SpatialPattern.
type SpatialPatternResult struct {
	Dataset      string        `json:"dataset"`
	Spots        int           `json:"spots"`
	K            int           `json:"k"`
	Tested       int           `json:"tested"`
	Permutations int           `json:"permutations"`
	Genes        []SpatialGene `json:"genes"`
}

// SpatialPattern ranks a spatial dataset's genes by spatial
// autocorrelation: Moran's I of log-normalised expression (log1p of counts
// per 10,000) over each spot's K nearest spots, row-standardised weights,
// with the normal-approximation p-value for every gene (BH-adjusted) and a
// permutation p-value for the genes returned. It reads the store only.
func SpatialPattern(ctx context.Context, db *store.DB, dataset string, o SpatialPatternOptions) (*SpatialPatternResult, error) {
	if o.K == 0 {
		o.K = 6
	}
	if o.Top == 0 {
		o.Top = 20
	}
	if o.MinSpots == 0 {
		o.MinSpots = 10
	}
	if o.K < 1 || o.Top < 1 || o.Permutations < 0 || o.MinSpots < 1 {
		return nil, fmt.Errorf("%w: spatial pattern: k, top and min-spots must be positive, permutations not negative", ErrSpatial)
	}
	var (
		info   store.DatasetInfo
		x      *sparse.CSR
		coords [][2]float64
		genes  []uint32
		syms   []string
	)
	err := db.View(func(tx *store.Tx) error {
		var err error
		if info, err = tx.DatasetByName(dataset); err != nil {
			return err
		}
		if coords, err = tx.SpotCoords(info.ID); err != nil {
			return err
		}
		if coords == nil {
			return fmt.Errorf("%w: dataset %q (modality %s) has no spot coordinates", ErrSpatial, dataset, info.Modality)
		}
		if x, err = tx.Matrix(info.ID); err != nil {
			return err
		}
		if genes, err = tx.DatasetGenes(info.ID); err != nil {
			return err
		}
		syms = make([]string, len(genes))
		for i, g := range genes {
			gi, err := tx.Gene(g)
			if err != nil {
				return err
			}
			syms[i] = gi.SymbolIn(info.Species) // the dataset's own name for a joined gene
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if x.Rows < 3 {
		return nil, fmt.Errorf("%w: dataset %q has %d spots; Moran's I needs 3", ErrSpatial, dataset, x.Rows)
	}
	// Genes detected in too few spots have no pattern to find.
	detected := make([]int, x.Cols)
	for _, c := range x.Indices {
		detected[c]++
	}
	var cols []int
	for c, d := range detected {
		if d >= o.MinSpots {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("%w: no gene of dataset %q is detected in %d spots", ErrNoData, dataset, o.MinSpots)
	}
	target := 0.0
	if info.Values == vocab.Counts {
		target = 1e4
	}
	xn, err := prep.Normalize(x, info.Values, target)
	if err != nil {
		return nil, fmt.Errorf("dataset %q: %w", dataset, err)
	}
	xn = xn.SelectCols(cols)
	nbrs, err := prep.SpatialKNN(ctx, coords, o.K)
	if err != nil {
		return nil, err
	}
	mi, err := prep.MoransI(ctx, xn, nbrs)
	if err != nil {
		return nil, err
	}
	ps := make([]float64, len(mi))
	for i, m := range mi {
		ps[i] = m.PNorm
	}
	qs := bhAdjust(ps)
	all := make([]SpatialGene, len(cols))
	for i, c := range cols {
		all[i] = SpatialGene{Gene: genes[c], Symbol: syms[c], Spots: detected[c],
			I: mi[i].I, Z: mi[i].Z, PNorm: mi[i].PNorm, QNorm: qs[i]}
	}
	order := make([]int, len(all))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(all[b].I, all[a].I); c != 0 {
			return c
		}
		return cmp.Compare(all[a].Symbol, all[b].Symbol)
	})
	order = order[:min(o.Top, len(order))]
	res := &SpatialPatternResult{Dataset: info.Name, Spots: x.Rows, K: min(o.K, x.Rows-1),
		Tested: len(cols), Permutations: o.Permutations}
	if o.Permutations > 0 {
		xt := xn.Transpose()
		rng := rand.New(rand.NewPCG(o.Seed, 0x5a7a))
		for _, i := range order {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			col := make([]float64, x.Rows)
			idx, val := xt.Row(i)
			for t, r := range idx {
				col[r] = float64(val[t])
			}
			all[i].PPerm = prep.MoranPermutation(col, nbrs, o.Permutations, rng)
		}
	}
	for _, i := range order {
		res.Genes = append(res.Genes, all[i])
	}
	return res, nil
}

// bhAdjust returns Benjamini–Hochberg adjusted p-values (q-values) in the
// order of ps: q_(i) = min over j ≥ i of p_(j)·m/j, capped at 1.
func bhAdjust(ps []float64) []float64 {
	m := len(ps)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(ps[a], ps[b]) })
	q := make([]float64, m)
	run := 1.0
	for r := m - 1; r >= 0; r-- {
		i := order[r]
		run = min(run, ps[i]*float64(m)/float64(r+1))
		q[i] = run
	}
	return q
}
