package annot

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// DefaultUnassigned is the label given below the confidence threshold.
const DefaultUnassigned = "Unassigned"

// TransferOptions configure TransferLabels. The zero value is valid and
// means the defaults.
type TransferOptions struct {
	// MinConfidence is the vote share below which a query gets Unassigned.
	// 0 means 0.5; a negative value never leaves a query unassigned
	// (unless it has no voting neighbour).
	MinConfidence float32
	// Unassigned is the label for queries below MinConfidence; "" means
	// DefaultUnassigned.
	Unassigned string
}

// DefaultTransferOptions returns MinConfidence 0.5 and "Unassigned".
func DefaultTransferOptions() TransferOptions {
	return TransferOptions{MinConfidence: 0.5, Unassigned: DefaultUnassigned}
}

// Validate reports every problem with o at once.
func (o TransferOptions) Validate() error {
	var errs []error
	if math.IsNaN(float64(o.MinConfidence)) || o.MinConfidence > 1 {
		errs = append(errs, fmt.Errorf("%w: min confidence %v must be ≤ 1", ErrInvalidInput, o.MinConfidence))
	}
	return errors.Join(errs...)
}

// Assignment is the label transferred to one query item.
type Assignment struct {
	// Label is the winning label, or the Unassigned label when Confidence
	// is below the threshold.
	Label string
	// Confidence is the winning label's share of the vote, in [0, 1].
	Confidence float32
	// Top is the winning label even when Label is Unassigned ("" when no
	// neighbour voted).
	Top string
}

// TransferLabels assigns each query item the label of its reference
// neighbours by a similarity-weighted vote: neighbour j of query i votes
// for neighborLabels[i][j] with weight max(neighborSims[i][j], 0) (NaN
// counts 0); Confidence = winner's weight / total weight. A query whose
// confidence is below MinConfidence, or with no positive weight, gets the
// Unassigned label. Ties go to the label with the single most similar
// neighbour, then to the smaller label. Any label may win, including labels
// the query dataset never had. neighborSims nil means every weight is 1
// (a plain majority vote).
func TransferLabels(neighborLabels [][]string, neighborSims [][]float32, opts TransferOptions) ([]Assignment, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	d := DefaultTransferOptions()
	if opts.MinConfidence == 0 {
		opts.MinConfidence = d.MinConfidence
	}
	if opts.Unassigned == "" {
		opts.Unassigned = d.Unassigned
	}
	if neighborSims != nil && len(neighborSims) != len(neighborLabels) {
		return nil, fmt.Errorf("%w: %d label rows, %d similarity rows", ErrInvalidInput, len(neighborLabels), len(neighborSims))
	}
	out := make([]Assignment, len(neighborLabels))
	type vote struct {
		w, best float64
	}
	for i, labels := range neighborLabels {
		if neighborSims != nil && len(neighborSims[i]) != len(labels) {
			return nil, fmt.Errorf("%w: query %d has %d labels and %d similarities", ErrInvalidInput, i, len(labels), len(neighborSims[i]))
		}
		votes := map[string]*vote{}
		total := 0.0
		for j, l := range labels {
			w := 1.0
			if neighborSims != nil {
				s := float64(neighborSims[i][j])
				if math.IsNaN(s) || s <= 0 {
					continue
				}
				w = s
			}
			v := votes[l]
			if v == nil {
				v = &vote{}
				votes[l] = v
			}
			v.w += w
			v.best = max(v.best, w)
			total += w
		}
		top := ""
		var tv *vote
		for l, v := range votes {
			if tv == nil || v.w > tv.w || (v.w == tv.w && (v.best > tv.best || (v.best == tv.best && strings.Compare(l, top) < 0))) {
				top, tv = l, v
			}
		}
		a := Assignment{Label: opts.Unassigned, Top: top}
		if tv != nil && total > 0 {
			a.Confidence = float32(tv.w / total)
			if a.Confidence >= opts.MinConfidence {
				a.Label = top
			}
		}
		out[i] = a
	}
	return out, nil
}
