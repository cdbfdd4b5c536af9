package store

import (
	"encoding/binary"
	"fmt"

	"genestore/store/ingest"
	"genestore/vocab"
)

// PlanDataset returns, without writing, the id AddDataset would give ds and
// the global gene id of each of its columns (existing genes keep theirs,
// new ones take the next ids in column order), as of tx's snapshot. It
// validates name and ds as AddDataset does (ErrDatasetExists, ErrInvalid).
//
// A job that computes with the plan outside any transaction must check, in
// its write transaction, that AddDataset gave the same id and genes: another
// writer may have added a dataset or genes in between.
func (tx *Tx) PlanDataset(name string, ds *ingest.Dataset, opts AddOptions) (id uint32, genes []uint32, err error) {
	if err := CheckDatasetName(name); err != nil {
		return 0, nil, err
	}
	if err := validateDataset(ds, opts); err != nil {
		return 0, nil, fmt.Errorf("store: dataset %q: %w", name, err)
	}
	names, err := tx.bucket(bDatasetNames)
	if err != nil {
		return 0, nil, err
	}
	if names.Get([]byte(name)) != nil {
		return 0, nil, fmt.Errorf("%w: %q (choose another --name)", ErrDatasetExists, name)
	}
	dsets, err := tx.bucket(bDatasets)
	if err != nil {
		return 0, nil, err
	}
	if dsets.Sequence()+1 >= uint64(vocab.Consensus) {
		return 0, nil, fmt.Errorf("%w: dataset ids exhausted", ErrInvalid)
	}
	sp, err := tx.planSpecies(opts, ds.Genes)
	if err != nil {
		return 0, nil, fmt.Errorf("store: dataset %q: %w", name, err)
	}
	keys, symbols, _, err := geneVocabKeys(ds.Genes)
	if err != nil {
		return 0, nil, err
	}
	gb, err := tx.bucket(bGenes)
	if err != nil {
		return 0, nil, err
	}
	kb, err := tx.bucket(bGeneKeys)
	if err != nil {
		return 0, nil, err
	}
	if _, err := tx.joinKeys(sp.join, ds.Genes, keys, symbols, kb); err != nil {
		return 0, nil, err
	}
	next := gb.Sequence()
	genes = make([]uint32, len(keys))
	for i, k := range keys {
		if v := kb.Get([]byte(k)); len(v) == 4 {
			genes[i] = binary.BigEndian.Uint32(v)
			continue
		}
		next++
		if next >= 1<<32-1 {
			return 0, nil, fmt.Errorf("%w: gene ids exhausted", ErrInvalid)
		}
		genes[i] = uint32(next)
	}
	return uint32(dsets.Sequence() + 1), genes, nil
}
