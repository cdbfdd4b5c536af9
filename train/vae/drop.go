package vae

import "fmt"

// RemoveBatches forgets the batches whose name drop reports true: their
// names and their rows of the encoder's and decoder's batch weights. Every
// other weight, and so the embedding of a cell of any batch kept, is
// unchanged (bit for bit). It returns how many batches it removed; removing
// every batch is an error (the model could embed nothing), and leaves the
// model unchanged.
func (m *Model) RemoveBatches(drop func(name string) bool) (int, error) {
	var keep []int
	for i, n := range m.hp.BatchNames {
		if !drop(n) {
			keep = append(keep, i)
		}
	}
	removed := len(m.hp.BatchNames) - len(keep)
	if removed == 0 {
		return 0, nil
	}
	if len(keep) == 0 {
		return 0, fmt.Errorf("%w: removing all %d batches", ErrInput, removed)
	}
	names := make([]string, len(keep))
	for j, i := range keep {
		names[j] = m.hp.BatchNames[i]
	}
	for _, p := range []*param{m.encB, m.linB, m.d1B} {
		if p != nil {
			p.keepRows(keep)
		}
	}
	m.hp.BatchNames = names
	return removed, nil
}

// RenameBatches renames every batch through rename. Two batches may not end
// with one name; on error the model is unchanged.
func (m *Model) RenameBatches(rename func(name string) string) error {
	names := make([]string, len(m.hp.BatchNames))
	seen := map[string]bool{}
	for i, n := range m.hp.BatchNames {
		names[i] = rename(n)
		if seen[names[i]] {
			return fmt.Errorf("%w: two batches would be named %q", ErrInput, names[i])
		}
		seen[names[i]] = true
	}
	m.hp.BatchNames = names
	return nil
}

// keepRows keeps only rows keep (ascending) and resets the optimiser state.
func (p *param) keepRows(keep []int) {
	w := make([]float32, 0, len(keep)*p.cols)
	for _, r := range keep {
		w = append(w, p.W[r*p.cols:(r+1)*p.cols]...)
	}
	p.W, p.rows = w, len(keep)
	p.G = make([]float32, len(w))
	p.Lo, p.Hi = 0, len(w)
	p.Reset()
}
