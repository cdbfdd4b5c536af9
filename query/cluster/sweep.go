package cluster

import (
	"context"
	"fmt"

	"genestore/internal/sparse"
)

// Sweep clusters g once per resolution (opts.Resolution is replaced). Run i
// uses seed opts.Seed + i, i the position in resolutions, so a sweep is
// reproducible. Results come back in the order of resolutions.
func Sweep(ctx context.Context, g *sparse.CSR, resolutions []float64, opts Options) ([]Result, error) {
	out := make([]Result, 0, len(resolutions))
	for i, r := range resolutions {
		if r <= 0 {
			return nil, fmt.Errorf("%w: resolution %v at position %d must be positive", ErrInvalidOptions, r, i)
		}
		o := opts
		o.Resolution = r
		o.Seed = opts.Seed + uint64(i)
		res, err := Cluster(ctx, g, o)
		if err != nil {
			return nil, err
		}
		out = append(out, res)
	}
	return out, nil
}

// DefaultResolutions is a sweep grid in the range scIB scans (0.1 to 2).
func DefaultResolutions() []float64 {
	return []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0}
}
