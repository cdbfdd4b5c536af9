package gnn

import "fmt"

// RemoveDataset forgets dataset name: its input layer, vectors and graph.
// The shared layers and every other dataset's state are unchanged, so the
// consensus vectors of genes the dataset lacked stay byte-identical and
// those of its genes are recomputed from the datasets left (Consensus).
// It reports whether the model knew the dataset.
func (m *Model) RemoveDataset(name string) bool {
	for i, d := range m.ds {
		if d.Name == name {
			m.ds = append(m.ds[:i:i], m.ds[i+1:]...)
			return true
		}
	}
	return false
}

// RenameDataset renames dataset old to new. It is an error if new is
// taken; renaming an unknown dataset does nothing and reports false.
func (m *Model) RenameDataset(old, new string) (bool, error) {
	var hit *datasetState
	for _, d := range m.ds {
		switch d.Name {
		case new:
			return false, fmt.Errorf("%w: dataset %q already in the model", ErrInput, new)
		case old:
			hit = d
		}
	}
	if hit == nil {
		return false, nil
	}
	hit.Name = new
	return true, nil
}
