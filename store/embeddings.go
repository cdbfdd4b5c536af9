package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// SpaceInfo describes one embedding space: a named set of vectors of one
// dimension, e.g. "genes/v1" or "cells/v1".
type SpaceInfo struct {
	Name string `json:"name"`
	Dim  int    `json:"dim"`
	// Generation increases by one on every write to the space (put or
	// delete). An index snapshot records the generation it was built from;
	// a different current generation means the snapshot is stale.
	Generation uint64         `json:"generation"`
	Sets       []EmbeddingSet `json:"sets"`
}

// EmbeddingSet describes the vectors one dataset (or vocab.Consensus) has in a
// space.
type EmbeddingSet struct {
	Dataset    uint32     `json:"dataset"`
	Count      int        `json:"count"`
	Provenance Provenance `json:"provenance"` // of the last write
}

// Set returns the space's set of dataset ds (or vocab.Consensus), and
// whether it has one.
func (s SpaceInfo) Set(ds uint32) (EmbeddingSet, bool) {
	for _, set := range s.Sets {
		if set.Dataset == ds {
			return set, true
		}
	}
	return EmbeddingSet{}, false
}

// Keys inside an embedding space bucket ("embeddings" / space name).
var (
	kSpaceInfo = []byte("info") // space record
	kSpaceVec  = []byte("vec")  // bucket: u32 dataset ‖ u32 entity id → vector record
	kSpaceSets = []byte("sets") // bucket: u32 dataset → embedding set record
)

// PutEmbeddings writes vectors for entities ids of dataset ds into space
// (created on first write, which fixes its dimension). vecs is row-major,
// len(ids) × dim. Existing vectors of the same ids are replaced, others are
// kept (use DeleteEmbeddings first to replace a whole set). Entity ids are
// cell row indices for cells and global gene ids for genes; vocab.EntityKey packs
// (ds, id) for indexes. The space's generation is bumped.
func (tx *Tx) PutEmbeddings(space string, ds uint32, ids []uint32, dim int, vecs []float32, prov Provenance) error {
	if err := tx.writable(); err != nil {
		return err
	}
	if err := checkName("space", space); err != nil {
		return err
	}
	if dim <= 0 || dim > 1<<16 {
		return fmt.Errorf("%w: space %q: dimension %d", ErrInvalid, space, dim)
	}
	if len(vecs) != len(ids)*dim {
		return fmt.Errorf("%w: space %q: %d values for %d vectors of dimension %d", ErrInvalid, space, len(vecs), len(ids), dim)
	}
	for i, v := range vecs {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%w: space %q: vector of entity %d has non-finite value %v", ErrInvalid, space, ids[i/dim], v)
		}
	}
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmpU32(ids[a], ids[b]) })
	for i := 1; i < len(order); i++ {
		if ids[order[i]] == ids[order[i-1]] {
			return fmt.Errorf("%w: space %q: entity %d given twice", ErrInvalid, space, ids[order[i]])
		}
	}
	sb, info, err := tx.space(space, true)
	if err != nil {
		return err
	}
	if info.Dim != 0 && info.Dim != dim {
		return fmt.Errorf("%w: space %q has dimension %d, vectors have %d", ErrInvalid, space, info.Dim, dim)
	}
	info.Dim = dim
	vb, setb := sb.Bucket(kSpaceVec), sb.Bucket(kSpaceSets)
	vb.FillPercent = 1.0
	set := EmbeddingSet{Dataset: ds}
	if v := setb.Get(u32key(ds)); v != nil {
		if set, err = decodeEmbeddingSet(v); err != nil {
			return err
		}
	}
	for _, i := range order {
		k := u32u32key(ds, ids[i])
		if vb.Get(k) == nil {
			set.Count++
		}
		if err := vb.Put(k, encodeVector(vecs[i*dim:(i+1)*dim])); err != nil {
			return err
		}
	}
	set.Provenance = tx.stamp(prov)
	if err := setb.Put(u32key(ds), encodeEmbeddingSet(set)); err != nil {
		return err
	}
	info.Generation++
	return sb.Put(kSpaceInfo, encodeSpace(info))
}

// DeleteEmbeddings removes every vector of dataset ds from space and bumps
// its generation; a space left without sets forgets its dimension. Deleting
// what is absent is not an error.
func (tx *Tx) DeleteEmbeddings(space string, ds uint32) error {
	if err := tx.writable(); err != nil {
		return err
	}
	sb, info, err := tx.space(space, false)
	if err != nil {
		return err
	}
	vb := sb.Bucket(kSpaceVec)
	prefix := u32key(ds)
	c := vb.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	setb := sb.Bucket(kSpaceSets)
	if err := setb.Delete(prefix); err != nil {
		return err
	}
	if k, _ := setb.Cursor().First(); k == nil {
		// An emptied space takes the dimension of its next write: a model
		// retrained with another latent size replaces the space whole.
		info.Dim = 0
	}
	info.Generation++
	return sb.Put(kSpaceInfo, encodeSpace(info))
}

// Embeddings returns every vector of dataset ds in space, ordered by
// entity id: ids, the dimension, and the vectors row-major.
func (tx *Tx) Embeddings(space string, ds uint32) (ids []uint32, dim int, vecs []float32, err error) {
	sb, info, err := tx.space(space, false)
	if err != nil {
		return nil, 0, nil, err
	}
	dim = info.Dim
	if v := sb.Bucket(kSpaceSets).Get(u32key(ds)); v != nil {
		if set, err := decodeEmbeddingSet(v); err == nil {
			n := tx.sizeHint(uint64(set.Count), 4*dim+4)
			ids = make([]uint32, 0, n)
			vecs = make([]float32, 0, n*dim)
		}
	}
	prefix := u32key(ds)
	c := sb.Bucket(kSpaceVec).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) != 8 {
			return nil, 0, nil, fmt.Errorf("%w: space %q: vector key %x", ErrCorrupt, space, k)
		}
		vecs, err = decodeVectorAppend(vecs, v, dim)
		if err != nil {
			return nil, 0, nil, fmt.Errorf("space %q entity %d: %w", space, binary.BigEndian.Uint32(k[4:]), err)
		}
		ids = append(ids, binary.BigEndian.Uint32(k[4:]))
	}
	return ids, dim, vecs, nil
}

// Embedding returns one vector, or ErrNotFound.
func (tx *Tx) Embedding(space string, ds, id uint32) ([]float32, error) {
	sb, info, err := tx.space(space, false)
	if err != nil {
		return nil, err
	}
	v := sb.Bucket(kSpaceVec).Get(u32u32key(ds, id))
	if v == nil {
		return nil, fmt.Errorf("%w: space %q has no vector for dataset %d entity %d", ErrNotFound, space, ds, id)
	}
	return decodeVectorAppend(make([]float32, 0, info.Dim), v, info.Dim)
}

// VectorReader reads single vectors of one space during one transaction
// without looking the space up again for each, as re-ranking a quantized
// index's candidates does tens of times per query. It is valid while its
// transaction is open and, like the transaction, not safe for concurrent
// use.
type VectorReader struct {
	space string
	dim   int
	cur   *bolt.Cursor // over the space's vectors, reused: Bucket.Get allocates one a call
	key   [8]byte
}

// VectorReader returns a reader of space's vectors, or ErrNotFound.
func (tx *Tx) VectorReader(space string) (*VectorReader, error) {
	sb, info, err := tx.space(space, false)
	if err != nil {
		return nil, err
	}
	r := &VectorReader{space: space, dim: info.Dim}
	if vecs := sb.Bucket(kSpaceVec); vecs != nil {
		r.cur = vecs.Cursor()
	}
	return r, nil
}

// Vector appends the vector of dataset ds's entity id to dst[:0], or
// returns ErrNotFound (ErrCorrupt for a damaged record).
func (r *VectorReader) Vector(ds, id uint32, dst []float32) ([]float32, error) {
	var v []byte
	if r.cur != nil {
		key := appendU32U32(r.key[:0], ds, id)
		if k, val := r.cur.Seek(key); bytes.Equal(k, key) {
			v = val
		}
	}
	if v == nil {
		return dst[:0], fmt.Errorf("%w: space %q has no vector for dataset %d entity %d", ErrNotFound, r.space, ds, id)
	}
	return decodeVectorAppend(dst[:0], v, r.dim)
}

// Space returns one space's description, or ErrNotFound.
func (tx *Tx) Space(space string) (SpaceInfo, error) {
	sb, info, err := tx.space(space, false)
	if err != nil {
		return SpaceInfo{}, err
	}
	err = sb.Bucket(kSpaceSets).ForEach(func(k, v []byte) error {
		s, err := decodeEmbeddingSet(v)
		if err != nil {
			return err
		}
		info.Sets = append(info.Sets, s)
		return nil
	})
	return info, err
}

// Spaces lists every embedding space by name.
func (tx *Tx) Spaces() ([]SpaceInfo, error) {
	root, err := tx.bucket(bEmbeddings)
	if err != nil {
		return nil, err
	}
	var out []SpaceInfo
	err = root.ForEachBucket(func(name []byte) error {
		s, err := tx.Space(string(name))
		out = append(out, s)
		return err
	})
	return out, err
}

// space opens (or, with create, creates) a space bucket and its record.
func (tx *Tx) space(space string, create bool) (*bolt.Bucket, SpaceInfo, error) {
	root, err := tx.bucket(bEmbeddings)
	if err != nil {
		return nil, SpaceInfo{}, err
	}
	sb := root.Bucket([]byte(space))
	if sb == nil {
		if !create {
			return nil, SpaceInfo{}, fmt.Errorf("%w: embedding space %q", ErrNotFound, space)
		}
		if sb, err = root.CreateBucket([]byte(space)); err != nil {
			return nil, SpaceInfo{}, err
		}
		if _, err = sb.CreateBucket(kSpaceVec); err != nil {
			return nil, SpaceInfo{}, err
		}
		if _, err = sb.CreateBucket(kSpaceSets); err != nil {
			return nil, SpaceInfo{}, err
		}
		return sb, SpaceInfo{Name: space}, nil
	}
	v := sb.Get(kSpaceInfo)
	if v == nil || sb.Bucket(kSpaceVec) == nil || sb.Bucket(kSpaceSets) == nil {
		return nil, SpaceInfo{}, fmt.Errorf("%w: embedding space %q incomplete", ErrCorrupt, space)
	}
	info, err := decodeSpace(v)
	info.Name = space
	return sb, info, err
}

// Generation returns a space's generation (0 for a space never written).
func (tx *Tx) Generation(space string) (uint64, error) {
	_, info, err := tx.space(space, false)
	if err != nil && !isNotFound(err) {
		return 0, err
	}
	return info.Generation, nil
}

// spaceVersion is the version byte of space records.
//
// Space record (bucket "embeddings" / space, key "info"), version 1:
//
//	uv dim, u64 generation
const spaceVersion = 1

func encodeSpace(s SpaceInfo) []byte {
	e := newEnc(spaceVersion, 16)
	e.uv(uint64(s.Dim))
	e.u64(s.Generation)
	return e.seal()
}

func decodeSpace(v []byte) (SpaceInfo, error) {
	d, err := openRecord("space record", v, spaceVersion)
	if err != nil {
		return SpaceInfo{}, err
	}
	s := SpaceInfo{Dim: int(d.uvBounded(1 << 16)), Generation: d.u64()}
	return s, d.done()
}

// vectorVersion is the version byte of vectors.
//
// Vector (bucket "embeddings" / space / "vec", key u32 dataset ‖ u32
// entity), version 1: dim × f32 (the body length gives dim).
const vectorVersion = 1

func encodeVector(v []float32) []byte {
	e := newEnc(vectorVersion, 4*len(v))
	for _, x := range v {
		e.f32(x)
	}
	return e.seal()
}

// decodeVectorAppend appends the vector in v to dst; dim > 0 is checked.
func decodeVectorAppend(dst []float32, v []byte, dim int) ([]float32, error) {
	body, err := recordBody("vector", v, vectorVersion)
	if err != nil {
		return dst, err
	}
	if len(body)%4 != 0 || (dim > 0 && len(body) != 4*dim) {
		return dst, fmt.Errorf("%w: vector of %d bytes, dimension %d", ErrCorrupt, len(body), dim)
	}
	for i := 0; i < len(body); i += 4 {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(body[i:])))
	}
	return dst, nil
}

// embeddingSetVersion is the version byte of embedding set records.
//
// Embedding set (bucket "embeddings" / space / "sets", key u32 dataset),
// version 1: u32 dataset, uv count, provenance
const embeddingSetVersion = 1

func encodeEmbeddingSet(s EmbeddingSet) []byte {
	e := newEnc(embeddingSetVersion, 64+len(s.Provenance.Params))
	e.u32(s.Dataset)
	e.uv(uint64(s.Count))
	e.prov(s.Provenance)
	return e.seal()
}

func decodeEmbeddingSet(v []byte) (EmbeddingSet, error) {
	d, err := openRecord("embedding set", v, embeddingSetVersion)
	if err != nil {
		return EmbeddingSet{}, err
	}
	s := EmbeddingSet{Dataset: d.u32(), Count: int(d.uvBounded(math.MaxUint32)), Provenance: d.prov()}
	return s, d.done()
}
