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
	// Species is set for a gene of a species other than the store's home
	// species that no ortholog table joined to a home gene ("" = home).
	Species string `json:"species,omitempty"`
	// Orthologs are the other species' genes joined to this one through an
	// ortholog table (or symbol-case matching): their own symbols and ids.
	Orthologs []GeneAlias `json:"orthologs,omitempty"`
}

// SymbolIn returns the gene's symbol in species: its ortholog's own
// symbol when one of species was joined to it, else Symbol. An empty
// species, the home species or the gene's own species give Symbol.
func (g GeneInfo) SymbolIn(species string) string {
	for _, a := range g.Orthologs {
		if a.Species == species {
			return a.Symbol
		}
	}
	return g.Symbol
}

// GeneAlias is one species' own name for a gene joined to a home gene.
type GeneAlias struct {
	Species  string `json:"species"`
	Symbol   string `json:"symbol"`
	SourceID string `json:"source_id,omitempty"`
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
		if !plainText(s) || !plainText(g.ID) {
			return nil, nil, 0, fmt.Errorf("%w: gene %d (%q, id %q) is not UTF-8 or has a control character", ErrInvalid, i+1, s, g.ID)
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

// geneJoin says how a dataset's genes meet the vocabulary: species is ""
// for the home species (joined by symbol, as always); for another species,
// a gene with a pair in orth joins the home gene of the paired symbol and
// is recorded as its ortholog, and every other gene is the species' own
// (its key qualified by the species, so it never meets a home gene).
type geneJoin struct {
	species string
	orth    *ingest.Orthologs
}

// speciesKey qualifies a vocabulary key with a species: symbols and ids
// never hold 0x00 and species start with a letter, so the key cannot equal
// a home key, nor a duplicate-symbol key (symbol ‖ 0x00 ‖ id ‖ 0x00 ‖ n).
func speciesKey(k, species string) string { return k + "\x00\x00" + species }

// joinKeys rewrites the keys of a non-home dataset (see geneJoin) and
// returns, per column, the ortholog alias it gets (nil when not joined).
//
// A species' genes meet the same genes in every dataset of that species:
// a symbol already stored for the species (as a species-private gene, or
// as the ortholog of a home gene) keeps that gene, whatever this dataset's
// table says; only symbols new to the species are paired through the
// table. So give the ortholog table with the first dataset of a species.
func (tx *Tx) joinKeys(j geneJoin, genes []ingest.Gene, keys, symbols []string, kb *bolt.Bucket) ([]*GeneAlias, error) {
	aliases := make([]*GeneAlias, len(keys))
	if j.species == "" {
		return aliases, nil
	}
	count := make(map[string]int, len(symbols))
	for _, s := range symbols {
		count[s]++
	}
	used := map[string]bool{}
	for i, s := range symbols {
		private := speciesKey(keys[i], j.species)
		if count[s] > 1 {
			keys[i] = private
			continue
		}
		if kb.Get([]byte(private)) != nil {
			keys[i] = private // stored before as the species' own gene
			continue
		}
		prior, err := tx.orthologOf(j.species, s, kb)
		if err != nil {
			return nil, err
		}
		target := prior
		if target == "" && j.orth != nil {
			if j.orth.SymbolCase {
				if target, err = tx.symbolCaseTarget(s, kb); err != nil {
					return nil, err
				}
			} else {
				target = j.orth.Pairs[s]
			}
		}
		if target == "" || used[target] {
			keys[i] = private
			continue
		}
		used[target] = true
		keys[i] = target
		aliases[i] = &GeneAlias{Species: j.species, Symbol: s, SourceID: genes[i].ID}
	}
	return aliases, nil
}

// orthologOf returns the key of the home gene that symbol s of species sp
// was joined to by an earlier dataset, or "".
func (tx *Tx) orthologOf(sp, s string, kb *bolt.Bucket) (string, error) {
	cands, err := tx.GenesBySymbol(s)
	if err != nil {
		return "", err
	}
	for _, g := range cands {
		for _, a := range g.Orthologs {
			if a.Species == sp && a.Symbol == s {
				if v := kb.Get([]byte(g.Symbol)); len(v) == 4 && binary.BigEndian.Uint32(v) == g.ID {
					return g.Symbol, nil
				}
			}
		}
	}
	return "", nil
}

// symbolCaseTarget is the home key a symbol joins under symbol-case
// matching: the one home gene whose symbol equals it ignoring case, else
// its upper-case spelling (the human convention).
func (tx *Tx) symbolCaseTarget(s string, kb *bolt.Bucket) (string, error) {
	cands, err := tx.GenesBySymbol(s)
	if err != nil {
		return "", err
	}
	var home []GeneInfo
	for _, g := range cands {
		if g.Species == "" {
			if v := kb.Get([]byte(g.Symbol)); len(v) == 4 && binary.BigEndian.Uint32(v) == g.ID {
				home = append(home, g)
			}
		}
	}
	if len(home) == 1 {
		return home[0].Symbol, nil
	}
	return strings.ToUpper(s), nil
}

// putDatasetGenes maps a dataset's columns to global genes, creating new
// ones, and stores the mapping. It returns the number of repeated symbols
// and of genes paired with a home gene the store already held.
func (tx *Tx) putDatasetGenes(ds uint32, genes []ingest.Gene, j geneJoin) (dup, joined int, err error) {
	keys, symbols, dup, err := geneVocabKeys(genes)
	if err != nil {
		return 0, 0, err
	}
	gb, err := tx.bucket(bGenes)
	if err != nil {
		return 0, 0, err
	}
	kb, err := tx.bucket(bGeneKeys)
	if err != nil {
		return 0, 0, err
	}
	fb, err := tx.bucket(bGeneFold)
	if err != nil {
		return 0, 0, err
	}
	db, err := tx.bucket(bDatasetGenes)
	if err != nil {
		return 0, 0, err
	}
	aliases, err := tx.joinKeys(j, genes, keys, symbols, kb)
	if err != nil {
		return 0, 0, err
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
				return 0, 0, fmt.Errorf("%w: gene key %q maps to %d bytes", ErrCorrupt, k, len(v))
			}
			ids[i] = binary.BigEndian.Uint32(v)
			if a := aliases[i]; a != nil {
				joined++ // paired with a home gene already stored
				g, err := tx.Gene(ids[i])
				if err != nil {
					return 0, 0, err
				}
				if !slices.Contains(g.Orthologs, *a) {
					g.Orthologs = append(g.Orthologs, *a)
					if err := gb.Put(u32key(g.ID), encodeGene(g)); err != nil {
						return 0, 0, err
					}
					if !strings.EqualFold(a.Symbol, g.Symbol) {
						newFold = append(newFold, newKey{foldKey(a.Symbol, g.ID), g.ID})
					}
				}
			}
			continue
		}
		seq, err := gb.NextSequence()
		if err != nil {
			return 0, 0, err
		}
		if seq >= 1<<32-1 {
			return 0, 0, fmt.Errorf("%w: gene ids exhausted", ErrInvalid)
		}
		id := uint32(seq)
		ids[i] = id
		g := GeneInfo{ID: id, Symbol: symbols[i], SourceID: genes[i].ID}
		switch {
		case aliases[i] != nil: // a home gene first met through its ortholog
			g = GeneInfo{ID: id, Symbol: k, Orthologs: []GeneAlias{*aliases[i]}}
			if !strings.EqualFold(aliases[i].Symbol, k) {
				newFold = append(newFold, newKey{foldKey(aliases[i].Symbol, id), id})
			}
		case j.species != "":
			g.Species = j.species
		}
		if err := gb.Put(u32key(id), encodeGene(g)); err != nil {
			return 0, 0, err
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
				return 0, 0, err
			}
		}
	}
	return dup, joined, db.Put(u32key(ds), encodeU32List(ids))
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
// Gene record (bucket "genes", key u32 id). Version 1 (frozen in
// migrations' v002 step, which reads it; still written for a home gene
// without orthologs, so stores that never see a second species keep their
// bytes):
//
//	str Symbol, str SourceID
//
// Version 2 (schema 5), for a gene with a species or orthologs:
//
//	str Symbol, str SourceID, str Species,
//	uv n, n × (str Species, str Symbol, str SourceID)
const (
	geneVersion  = 1
	gene2Version = 2
)

func encodeGene(g GeneInfo) []byte {
	if g.Species == "" && len(g.Orthologs) == 0 {
		e := newEnc(geneVersion, len(g.Symbol)+len(g.SourceID)+4)
		e.str(g.Symbol)
		e.str(g.SourceID)
		return e.seal()
	}
	e := newEnc(gene2Version, len(g.Symbol)+len(g.SourceID)+32)
	e.str(g.Symbol)
	e.str(g.SourceID)
	e.str(g.Species)
	e.count(len(g.Orthologs))
	for _, a := range g.Orthologs {
		e.str(a.Species)
		e.str(a.Symbol)
		e.str(a.SourceID)
	}
	return e.seal()
}

func decodeGene(v []byte) (GeneInfo, error) {
	version := byte(geneVersion)
	if len(v) > 0 && v[0] == gene2Version {
		version = gene2Version
	}
	d, err := openRecord("gene record", v, version)
	if err != nil {
		return GeneInfo{}, err
	}
	g := GeneInfo{Symbol: d.str(), SourceID: d.str()}
	if version == gene2Version {
		g.Species = d.str()
		n := d.count(3)
		for i := 0; i < n && d.err == nil; i++ {
			g.Orthologs = append(g.Orthologs, GeneAlias{Species: d.str(), Symbol: d.str(), SourceID: d.str()})
		}
	}
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
