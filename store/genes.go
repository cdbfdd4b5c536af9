package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"genestore/store/ingest"

	bolt "go.etcd.io/bbolt"
)

// GeneInfo is one gene of the global vocabulary.
type GeneInfo struct {
	ID       uint32 `json:"id"`
	Symbol   string `json:"symbol"`    // as the first dataset that introduced it spelled it
	SourceID string `json:"source_id"` // that dataset's stable id for it (e.g. Ensembl)
}

// geneVocabKeys returns the gene_keys key of each column of a dataset and
// the number of columns whose symbol already occurred earlier in it.
//
// Rule: a symbol that occurs once in the dataset has key = symbol, and is
// joined with every other dataset's gene of exactly that symbol. A symbol
// that occurs more than once has, for each occurrence, key = symbol ‖ 0x00
// ‖ source id (‖ 0x00 ‖ occurrence number, from 2, if symbol and id both
// repeat): such genes are never merged with each other, nor with a
// plain-symbol gene of another dataset.
func geneVocabKeys(genes []ingest.Gene) (keys []string, symbols []string, dup int, err error) {
	symbols = make([]string, len(genes))
	count := make(map[string]int, len(genes))
	for i, g := range genes {
		s := g.Symbol
		if s == "" {
			s = g.ID
		}
		if s == "" {
			return nil, nil, 0, fmt.Errorf("%w: gene %d has neither symbol nor id", ErrInvalid, i+1)
		}
		if strings.IndexByte(s, 0) >= 0 || strings.IndexByte(g.ID, 0) >= 0 {
			return nil, nil, 0, fmt.Errorf("%w: gene %d (%q) contains a NUL byte", ErrInvalid, i+1, s)
		}
		symbols[i] = s
		count[s]++
	}
	keys = make([]string, len(genes))
	used := make(map[string]int, len(genes))
	for i, g := range genes {
		s := symbols[i]
		k := s
		if count[s] > 1 {
			k = s + "\x00" + g.ID
		}
		used[k]++
		if n := used[k]; n > 1 {
			k = fmt.Sprintf("%s\x00%d", k, n)
		}
		keys[i] = k
	}
	for _, c := range count {
		dup += c - 1
	}
	return keys, symbols, dup, nil
}

// putDatasetGenes maps a dataset's columns to global genes, creating new
// ones, and stores the mapping.
func (tx *Tx) putDatasetGenes(ds uint32, genes []ingest.Gene) (dup int, err error) {
	keys, symbols, dup, err := geneVocabKeys(genes)
	if err != nil {
		return 0, err
	}
	gb, err := tx.bucket(bGenes)
	if err != nil {
		return 0, err
	}
	kb, err := tx.bucket(bGeneKeys)
	if err != nil {
		return 0, err
	}
	fb, err := tx.bucket(bGeneFold)
	if err != nil {
		return 0, err
	}
	db, err := tx.bucket(bDatasetGenes)
	if err != nil {
		return 0, err
	}
	gb.FillPercent = 1.0 // ids are handed out in increasing order
	ids := make([]uint32, len(genes))
	type newKey struct {
		key []byte
		id  uint32
	}
	var newKeys, newFold []newKey
	for i, k := range keys {
		if v := kb.Get([]byte(k)); v != nil {
			if len(v) != 4 {
				return 0, fmt.Errorf("%w: gene key %q maps to %d bytes", ErrCorrupt, k, len(v))
			}
			ids[i] = binary.BigEndian.Uint32(v)
			continue
		}
		seq, err := gb.NextSequence()
		if err != nil {
			return 0, err
		}
		if seq >= 1<<32-1 {
			return 0, fmt.Errorf("%w: gene ids exhausted", ErrInvalid)
		}
		id := uint32(seq)
		ids[i] = id
		g := GeneInfo{ID: id, Symbol: symbols[i], SourceID: genes[i].ID}
		if err := gb.Put(u32key(id), encodeGene(g)); err != nil {
			return 0, err
		}
		newKeys = append(newKeys, newKey{[]byte(k), id})
		newFold = append(newFold, newKey{foldKey(g.Symbol, id), id})
	}
	// IMPORTANT: bbolt splits nodes only at commit, so inserting many keys
	// in random order into one node within a transaction costs O(n²)
	// memmove (47k genes: ~30 s). Sorted inserts append instead.
	for _, p := range []struct {
		b    *bolt.Bucket
		keys []newKey
		val  func(uint32) []byte
	}{
		{kb, newKeys, u32key},
		{fb, newFold, func(uint32) []byte { return []byte{} }},
	} {
		slices.SortFunc(p.keys, func(a, b newKey) int { return bytes.Compare(a.key, b.key) })
		for _, nk := range p.keys {
			if err := p.b.Put(nk.key, p.val(nk.id)); err != nil {
				return 0, err
			}
		}
	}
	return dup, db.Put(u32key(ds), encodeU32List(ids))
}

// DatasetGenes returns the global gene id of each column of a dataset.
func (tx *Tx) DatasetGenes(ds uint32) ([]uint32, error) {
	b, err := tx.bucket(bDatasetGenes)
	if err != nil {
		return nil, err
	}
	v := b.Get(u32key(ds))
	if v == nil {
		return nil, fmt.Errorf("%w: dataset id %d", ErrNotFound, ds)
	}
	return decodeU32List(v)
}

// Gene returns one gene, or ErrNotFound.
func (tx *Tx) Gene(id uint32) (GeneInfo, error) {
	b, err := tx.bucket(bGenes)
	if err != nil {
		return GeneInfo{}, err
	}
	v := b.Get(u32key(id))
	if v == nil {
		return GeneInfo{}, fmt.Errorf("%w: gene id %d", ErrNotFound, id)
	}
	g, err := decodeGene(v)
	g.ID = id
	return g, err
}

// GenesBySymbol returns every gene whose symbol equals symbol ignoring
// letter case (strings.ToLower on both), in id order; none is not an error.
func (tx *Tx) GenesBySymbol(symbol string) ([]GeneInfo, error) {
	fb, err := tx.bucket(bGeneFold)
	if err != nil {
		return nil, err
	}
	if symbol == "" || strings.IndexByte(symbol, 0) >= 0 {
		return nil, nil
	}
	prefix := append([]byte(strings.ToLower(symbol)), 0)
	var out []GeneInfo
	c := fb.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) != len(prefix)+4 {
			continue // a longer symbol that shares the prefix cannot contain 0, so this is corrupt
		}
		g, err := tx.Gene(binary.BigEndian.Uint32(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// AllGenes returns the whole vocabulary in id order.
func (tx *Tx) AllGenes() ([]GeneInfo, error) {
	b, err := tx.bucket(bGenes)
	if err != nil {
		return nil, err
	}
	var out []GeneInfo
	err = b.ForEach(func(k, v []byte) error {
		if len(k) != 4 {
			return fmt.Errorf("%w: gene key %x", ErrCorrupt, k)
		}
		g, err := decodeGene(v)
		if err != nil {
			return err
		}
		g.ID = binary.BigEndian.Uint32(k)
		out = append(out, g)
		return nil
	})
	return out, err
}

// geneVersion is the version byte of gene records.
//
// Gene record (bucket "genes", key u32 id), version 1 (frozen in
// migrations' v002 step, which reads it):
//
//	str Symbol, str SourceID
const geneVersion = 1

func encodeGene(g GeneInfo) []byte {
	e := newEnc(geneVersion, len(g.Symbol)+len(g.SourceID)+4)
	e.str(g.Symbol)
	e.str(g.SourceID)
	return e.seal()
}

func decodeGene(v []byte) (GeneInfo, error) {
	d, err := openRecord("gene record", v, geneVersion)
	if err != nil {
		return GeneInfo{}, err
	}
	g := GeneInfo{Symbol: d.str(), SourceID: d.str()}
	return g, d.done()
}

// u32ListVersion is the version byte of u32 lists.
//
// U32 list (bucket "dataset_genes", key u32 dataset id), version 1:
//
//	uv n, n × u32
const u32ListVersion = 1

func encodeU32List(v []uint32) []byte {
	e := newEnc(u32ListVersion, 4*len(v)+8)
	e.u32s(v)
	return e.seal()
}

func decodeU32List(v []byte) ([]uint32, error) {
	d, err := openRecord("u32 list", v, u32ListVersion)
	if err != nil {
		return nil, err
	}
	out := d.u32s()
	return out, d.done()
}
