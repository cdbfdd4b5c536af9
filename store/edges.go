package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Edge is one undirected co-expression edge between two global genes.
// Weight is signed (negative = anti-correlated).
type Edge struct {
	A, B   uint32
	Weight float32
}

// EdgeSet describes a dataset's stored edges.
type EdgeSet struct {
	Dataset    uint32     `json:"dataset"`
	Edges      int        `json:"edges"`
	Provenance Provenance `json:"provenance"`
}

// PutEdges replaces dataset ds's co-expression edges with edges (ds may be
// vocab.Consensus). Each undirected edge is given once (in either orientation);
// self-loops, repeated pairs and non-finite weights are errors. Edges are
// stored as per-gene adjacency lists, so Partners is one lookup.
func (tx *Tx) PutEdges(ds uint32, edges []Edge, prov Provenance) error {
	if err := tx.writable(); err != nil {
		return err
	}
	adj := make(map[uint32][]partner)
	for i, e := range edges {
		if e.A == e.B {
			return fmt.Errorf("%w: edge %d is a self-loop on gene %d", ErrInvalid, i, e.A)
		}
		if w := float64(e.Weight); math.IsNaN(w) || math.IsInf(w, 0) {
			return fmt.Errorf("%w: edge %d (%d–%d) has weight %v", ErrInvalid, i, e.A, e.B, e.Weight)
		}
		adj[e.A] = append(adj[e.A], partner{e.B, e.Weight})
		adj[e.B] = append(adj[e.B], partner{e.A, e.Weight})
	}
	genes := make([]uint32, 0, len(adj))
	for g, ps := range adj {
		slices.SortFunc(ps, func(a, b partner) int { return cmpU32(a.gene, b.gene) })
		for i := 1; i < len(ps); i++ {
			if ps[i].gene == ps[i-1].gene {
				return fmt.Errorf("%w: edge %d–%d given twice", ErrInvalid, g, ps[i].gene)
			}
		}
		genes = append(genes, g)
	}
	slices.Sort(genes)
	root, err := tx.bucket(bEdges)
	if err != nil {
		return err
	}
	key := u32key(ds)
	if root.Bucket(key) != nil {
		if err := root.DeleteBucket(key); err != nil {
			return err
		}
	}
	b, err := root.CreateBucket(key)
	if err != nil {
		return err
	}
	b.FillPercent = 1.0
	for _, g := range genes {
		if err := b.Put(u32key(g), encodeAdjacency(adj[g])); err != nil {
			return err
		}
	}
	meta, err := tx.bucket(bEdgeMeta)
	if err != nil {
		return err
	}
	return meta.Put(key, encodeEdgeSet(EdgeSet{Dataset: ds, Edges: len(edges), Provenance: tx.stamp(prov)}))
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type partner struct {
	gene   uint32
	weight float32
}

// Edges returns dataset ds's edges, each once with A < B, sorted by (A, B).
func (tx *Tx) Edges(ds uint32) ([]Edge, error) {
	b, err := tx.edgeBucket(ds)
	if err != nil {
		return nil, err
	}
	var out []Edge
	err = b.ForEach(func(k, v []byte) error {
		if len(k) != 4 {
			return fmt.Errorf("%w: edge key %x", ErrCorrupt, k)
		}
		g := binary.BigEndian.Uint32(k)
		ps, err := decodeAdjacency(v)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if g < p.gene {
				out = append(out, Edge{g, p.gene, p.weight})
			}
		}
		return nil
	})
	return out, err
}

// Partners returns gene's edges in dataset ds (A = gene, B = partner,
// sorted by B); a gene without edges gives none and no error.
func (tx *Tx) Partners(ds uint32, gene uint32) ([]Edge, error) {
	b, err := tx.edgeBucket(ds)
	if err != nil {
		return nil, err
	}
	v := b.Get(u32key(gene))
	if v == nil {
		return nil, nil
	}
	ps, err := decodeAdjacency(v)
	if err != nil {
		return nil, err
	}
	out := make([]Edge, len(ps))
	for i, p := range ps {
		out[i] = Edge{gene, p.gene, p.weight}
	}
	return out, nil
}

// EdgeSetInfo returns the count and provenance of dataset ds's edges.
func (tx *Tx) EdgeSetInfo(ds uint32) (EdgeSet, error) {
	meta, err := tx.bucket(bEdgeMeta)
	if err != nil {
		return EdgeSet{}, err
	}
	v := meta.Get(u32key(ds))
	if v == nil {
		return EdgeSet{}, fmt.Errorf("%w: no edges for dataset %d", ErrNotFound, ds)
	}
	return decodeEdgeSet(v)
}

func (tx *Tx) edgeBucket(ds uint32) (*bolt.Bucket, error) {
	root, err := tx.bucket(bEdges)
	if err != nil {
		return nil, err
	}
	b := root.Bucket(u32key(ds))
	if b == nil {
		return nil, fmt.Errorf("%w: no edges for dataset %d", ErrNotFound, ds)
	}
	return b, nil
}

// adjacencyVersion is the version byte of adjacency lists.
//
// Adjacency list (bucket "edges" / u32 dataset / key u32 gene), version 1:
//
//	uv n, n × (u32 partner gene, f32 weight), partners strictly increasing
const adjacencyVersion = 1

func encodeAdjacency(ps []partner) []byte {
	e := newEnc(adjacencyVersion, 8*len(ps)+8)
	e.count(len(ps))
	for _, p := range ps {
		e.u32(p.gene)
		e.f32(p.weight)
	}
	return e.seal()
}

func decodeAdjacency(v []byte) ([]partner, error) {
	d, err := openRecord("adjacency list", v, adjacencyVersion)
	if err != nil {
		return nil, err
	}
	n := d.count(8)
	out := make([]partner, n)
	for i := range out {
		out[i] = partner{d.u32(), d.f32()}
		if i > 0 && d.err == nil && out[i].gene <= out[i-1].gene {
			d.fail("partners not increasing")
		}
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return out, nil
}

// edgeSetVersion is the version byte of edge set records.
//
// Edge set (bucket "edge_meta", key u32 dataset), version 1:
//
//	u32 dataset, uv edges, provenance
const edgeSetVersion = 1

func encodeEdgeSet(s EdgeSet) []byte {
	e := newEnc(edgeSetVersion, 64+len(s.Provenance.Params))
	e.u32(s.Dataset)
	e.uv(uint64(s.Edges))
	e.prov(s.Provenance)
	return e.seal()
}

func decodeEdgeSet(v []byte) (EdgeSet, error) {
	d, err := openRecord("edge set", v, edgeSetVersion)
	if err != nil {
		return EdgeSet{}, err
	}
	s := EdgeSet{Dataset: d.u32(), Edges: int(d.uvBounded(math.MaxInt32)), Provenance: d.prov()}
	return s, d.done()
}
