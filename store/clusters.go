package store

import (
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"
)

// Clustering is one labelling of the entities of an embedding space.
type Clustering struct {
	Space string `json:"space"`
	Name  string `json:"name"`
	// IDs are entity keys (vocab.EntityKey(dataset, id)); Labels[i] is the
	// cluster of IDs[i].
	IDs    []uint64 `json:"ids"`
	Labels []int32  `json:"labels"`
	// Stale is set when data the clustering was computed from changed
	// (e.g. a dataset was appended) and it was not recomputed.
	Stale      bool       `json:"stale"`
	Provenance Provenance `json:"provenance"`
}

// PutClustering stores (replacing) clustering name of space.
func (tx *Tx) PutClustering(space, name string, ids []uint64, labels []int32, prov Provenance) error {
	if err := tx.writable(); err != nil {
		return err
	}
	if err := checkName("space", space); err != nil {
		return err
	}
	if err := checkName("clustering", name); err != nil {
		return err
	}
	if len(ids) != len(labels) {
		return fmt.Errorf("%w: clustering %s/%s: %d ids, %d labels", ErrInvalid, space, name, len(ids), len(labels))
	}
	root, err := tx.bucket(bClusterings)
	if err != nil {
		return err
	}
	sb, err := root.CreateBucketIfNotExists([]byte(space))
	if err != nil {
		return err
	}
	c := Clustering{IDs: ids, Labels: labels, Provenance: tx.stamp(prov)}
	return sb.Put([]byte(name), encodeClustering(c))
}

// Clustering returns one clustering, or ErrNotFound.
func (tx *Tx) Clustering(space, name string) (Clustering, error) {
	sb, err := tx.nested(bClusterings, space)
	if err != nil {
		return Clustering{}, err
	}
	var v []byte
	if sb != nil {
		v = sb.Get([]byte(name))
	}
	if v == nil {
		return Clustering{}, fmt.Errorf("%w: clustering %s/%s", ErrNotFound, space, name)
	}
	c, err := decodeClustering(v)
	c.Space, c.Name = space, name
	return c, err
}

// Clusterings lists the clustering names of a space.
func (tx *Tx) Clusterings(space string) ([]string, error) {
	sb, err := tx.nested(bClusterings, space)
	if err != nil || sb == nil {
		return nil, err
	}
	var out []string
	err = sb.ForEach(func(k, _ []byte) error { out = append(out, string(k)); return nil })
	return out, err
}

// MarkClusteringsStale sets the Stale flag of every clustering of a space
// (append calls it when it adds vectors the clusterings do not cover).
func (tx *Tx) MarkClusteringsStale(space string) error {
	if err := tx.writable(); err != nil {
		return err
	}
	sb, err := tx.nested(bClusterings, space)
	if err != nil || sb == nil {
		return err
	}
	names, err := tx.Clusterings(space)
	if err != nil {
		return err
	}
	for _, n := range names {
		c, err := tx.Clustering(space, n)
		if err != nil {
			return err
		}
		c.Stale = true
		if err := sb.Put([]byte(n), encodeClustering(c)); err != nil {
			return err
		}
	}
	return nil
}

// nested returns root/name, or nil if absent.
func (tx *Tx) nested(root []byte, name string) (*bolt.Bucket, error) {
	rb, err := tx.bucket(root)
	if err != nil {
		return nil, err
	}
	return rb.Bucket([]byte(name)), nil
}

// clusteringVersion is the version byte of clustering records.
//
// Clustering (bucket "clusterings" / space, key name), version 1:
//
//	u8 stale (0/1), uv n, n × u64 entity key, n × sv label, provenance
const clusteringVersion = 1

func encodeClustering(c Clustering) []byte {
	e := newEnc(clusteringVersion, 10*len(c.IDs)+64)
	e.boolean(c.Stale)
	e.count(len(c.IDs))
	for _, id := range c.IDs {
		e.u64(id)
	}
	for _, l := range c.Labels {
		e.sv(int64(l))
	}
	e.prov(c.Provenance)
	return e.seal()
}

func decodeClustering(v []byte) (Clustering, error) {
	d, err := openRecord("clustering", v, clusteringVersion)
	if err != nil {
		return Clustering{}, err
	}
	var c Clustering
	c.Stale = d.boolean()
	n := d.count(9)
	if d.err == nil {
		c.IDs = make([]uint64, n)
		c.Labels = make([]int32, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		c.IDs[i] = d.u64()
	}
	for i := 0; i < n && d.err == nil; i++ {
		l := d.sv()
		if l < math.MinInt32 || l > math.MaxInt32 {
			d.fail("label %d out of int32 range", l)
		}
		c.Labels[i] = int32(l)
	}
	c.Provenance = d.prov()
	if err := d.done(); err != nil {
		return Clustering{}, err
	}
	return c, nil
}
