package export

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"genestore/store"
	"genestore/vocab"
)

// consensusTSV is how TSV rows (and the h5ad "dataset" column) name the
// consensus set.
const consensusTSV = "*"

// snapshot is one space's vectors with what the store knows of each row,
// read in one transaction.
type snapshot struct {
	space      string
	dim        int
	generation uint64
	sets       []setInfo

	datasetNames map[uint32]string // every dataset of the store
	home         string            // the store's home species ("" when none is recorded)

	// one entry per row, in set order then entity id order
	names    []string // gene symbol or barcode
	datasets []string // dataset name or "*"
	keys     []uint64 // vocab.EntityKey(dataset, id)
	geneIDs  []string // gene spaces: the gene's source id
	vecs     []float32
}

type setInfo struct {
	id         uint32
	name       string // dataset name, or vocab.ConsensusName
	first, n   int    // rows
	ids        []uint32
	provenance store.Provenance
	info       store.DatasetInfo // zero for the consensus set
}

// readSnapshot reads space's vectors and row names.
func readSnapshot(ctx context.Context, tx *store.Tx, space string) (*snapshot, error) {
	info, err := tx.Space(space)
	if err != nil {
		return nil, fmt.Errorf("export: space %q: %w", space, err)
	}
	s := &snapshot{space: space, dim: info.Dim, generation: info.Generation, datasetNames: map[uint32]string{},
		names: []string{}, geneIDs: []string{}} // non-nil: an empty space's h5ad has empty string columns
	all, err := tx.Datasets()
	if err != nil {
		return nil, err
	}
	for _, d := range all {
		s.datasetNames[d.ID] = d.Name
	}
	if s.home, err = tx.HomeSpecies(); err != nil {
		return nil, err
	}
	genes := map[uint32]store.GeneInfo{} // a gene has a row in every set that holds it
	gene := func(id uint32) (store.GeneInfo, error) {
		if g, ok := genes[id]; ok {
			return g, nil
		}
		g, err := tx.Gene(id)
		genes[id] = g
		return g, err
	}
	for _, set := range info.Sets {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ids, _, vecs, err := tx.Embeddings(space, set.Dataset)
		if err != nil {
			return nil, err
		}
		si := setInfo{id: set.Dataset, name: vocab.ConsensusName, first: len(s.names), n: len(ids), ids: ids, provenance: set.Provenance}
		dsName := consensusTSV
		var barcodes []string
		if set.Dataset != vocab.Consensus {
			if si.info, err = tx.DatasetByID(set.Dataset); err != nil {
				return nil, err
			}
			dsName, si.name = si.info.Name, si.info.Name
			if vocab.IsCellSpace(space) {
				if barcodes, err = tx.Barcodes(set.Dataset); err != nil {
					return nil, err
				}
			}
		}
		for _, id := range ids {
			var name, geneID string
			if barcodes != nil {
				if int(id) >= len(barcodes) {
					return nil, fmt.Errorf("export: %w: cell %d of %q has a vector but no barcode", store.ErrCorrupt, id, si.name)
				}
				name = barcodes[id]
			} else {
				g, err := gene(id)
				if err != nil {
					return nil, err
				}
				name, geneID = g.Symbol, g.SourceID
			}
			s.names = append(s.names, name)
			s.datasets = append(s.datasets, dsName)
			s.keys = append(s.keys, vocab.EntityKey(set.Dataset, id))
			if barcodes == nil {
				s.geneIDs = append(s.geneIDs, geneID)
			}
		}
		s.vecs = append(s.vecs, vecs...)
		s.sets = append(s.sets, si)
	}
	return s, nil
}

// uniqueIndex makes row names unique, as an AnnData index must be: a repeat
// gets "-<dataset>", then "-<dataset>-<k>". The first occurrence keeps its
// name.
func uniqueIndex(names, datasets []string) []string {
	index := make([]string, len(names))
	seen := make(map[string]bool, len(names))
	for i, name := range names {
		if seen[name] {
			name = names[i] + "-" + datasets[i]
			for k := 1; seen[name]; k++ {
				name = names[i] + "-" + datasets[i] + "-" + strconv.Itoa(k)
			}
		}
		seen[name] = true
		index[i] = name
	}
	return index
}

// obsNames lists every obs column name of the sets' datasets, in order of
// first appearance.
func (s *snapshot) obsNames() []string {
	var names []string
	for _, set := range s.sets {
		for _, c := range set.info.ObsColumns {
			if !slices.Contains(names, c) {
				names = append(names, c)
			}
		}
	}
	return names
}

// isNotFound reports a store lookup that found nothing.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
