package store

import (
	"os"
	"slices"
	"time"

	"genestore/vocab"

	bolt "go.etcd.io/bbolt"
)

// Info describes a store file: what is in it and where its bytes go.
//
// The sizes add up: MetaBytes + DirectoryBytes + the Bytes of every
// bucket + FreeBytes + TailBytes = FileBytes. Bucket bytes are whole pages
// (a bucket small enough to live inline in its parent's page counts 0 and
// is part of its parent's bytes); FreeBytes are pages inside the file's
// high-water mark that no bucket uses (free and pending pages, which
// `genestore compact` gives back); TailBytes is room bbolt preallocated past
// the high-water mark.
type Info struct {
	Path           string        `json:"path"`
	SchemaVersion  int           `json:"schema_version"`
	PageSize       int           `json:"page_size"`
	FileBytes      int64         `json:"file_bytes"`
	MetaBytes      int64         `json:"meta_bytes"`      // the two meta pages
	DirectoryBytes int64         `json:"directory_bytes"` // pages of the top-level bucket directory
	FreeBytes      int64         `json:"free_bytes"`
	FreePages      int64         `json:"free_pages"`
	TailBytes      int64         `json:"tail_bytes"`
	Buckets        []BucketSize  `json:"buckets"`
	Spaces         []SpaceSize   `json:"spaces"`
	Datasets       []DatasetInfo `json:"datasets"`
	Models         []ModelInfo   `json:"models"`
	Dropped        []DropRecord  `json:"dropped"`
}

// BucketSize is one top-level bucket's share of the file, sub-buckets
// included.
type BucketSize struct {
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
	Keys  int    `json:"keys"`
}

// SpaceSize is one embedding space: its vectors, the bytes they take, its
// index snapshot's bytes and the bytes of the model of the same name.
type SpaceSize struct {
	Name        string `json:"name"`
	Dim         int    `json:"dim"`
	Vectors     int    `json:"vectors"`
	Generation  uint64 `json:"generation"`
	VectorBytes int64  `json:"vector_bytes"`
	IndexBytes  int64  `json:"index_bytes"`
	ModelBytes  int64  `json:"model_bytes"`
}

// ModelInfo is one stored model (a blob of kind vocab.BlobModel): its
// bytes, the version id of its weights and when it was trained (the oldest
// write of a vector set of that version, or its model record's date).
type ModelInfo struct {
	Name    string    `json:"name"`
	Bytes   int64     `json:"bytes"`
	Version string    `json:"version,omitempty"`
	Trained time.Time `json:"trained,omitzero"`
}

// Info reads the store's description in one read transaction.
func (db *DB) Info() (*Info, error) {
	out := &Info{Path: db.path, SchemaVersion: db.schema}
	err := db.boltView(func(btx *bolt.Tx) error {
		fi, err := os.Stat(db.path)
		if err != nil {
			return err
		}
		ps := int64(btx.DB().Info().PageSize)
		out.PageSize, out.FileBytes = int(ps), fi.Size()
		out.MetaBytes = 2 * ps
		pages := func(s bolt.BucketStats) int64 {
			return int64(s.BranchPageN + s.BranchOverflowN + s.LeafPageN + s.LeafOverflowN)
		}
		dir := pages(btx.Cursor().Bucket().Stats())
		err = btx.ForEach(func(name []byte, b *bolt.Bucket) error {
			s := b.Stats()
			n := pages(s)
			dir -= n
			out.Buckets = append(out.Buckets, BucketSize{Name: string(name), Bytes: n * ps, Keys: s.KeyN})
			return nil
		})
		if err != nil {
			return err
		}
		out.DirectoryBytes = dir * ps
		used := 2 + dir
		for _, b := range out.Buckets {
			used += b.Bytes / ps
		}
		hwm := btx.Size() / ps
		out.FreePages = hwm - used
		out.FreeBytes = out.FreePages * ps
		out.TailBytes = out.FileBytes - hwm*ps
		tx := &Tx{btx: btx, db: db}
		return tx.describe(out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// describe fills the logical half of Info: datasets, spaces, models.
func (tx *Tx) describe(out *Info) error {
	var err error
	if out.Datasets, err = tx.Datasets(); err != nil {
		return err
	}
	if out.Dropped, err = tx.DropRecords(); err != nil {
		return err
	}
	allocOf := func(b *bolt.Bucket) int64 {
		if b == nil {
			return 0
		}
		s := b.Stats()
		return int64(s.BranchAlloc + s.LeafAlloc)
	}
	blobBytes := func(kind, name string) int64 {
		b, err := tx.blobBucket(kind, name)
		if err != nil {
			return 0
		}
		return allocOf(b)
	}
	spaces, err := tx.Spaces()
	if err != nil {
		return err
	}
	emb, err := tx.bucket(bEmbeddings)
	if err != nil {
		return err
	}
	trained := map[string]ModelInfo{} // by model name = space name
	for _, sp := range spaces {
		s := SpaceSize{Name: sp.Name, Dim: sp.Dim, Generation: sp.Generation,
			VectorBytes: allocOf(emb.Bucket([]byte(sp.Name))),
			IndexBytes:  blobBytes(vocab.BlobIndex, sp.Name),
			ModelBytes:  blobBytes(vocab.BlobModel, sp.Name)}
		m := ModelInfo{Name: sp.Name}
		for _, set := range sp.Sets {
			s.Vectors += set.Count
			p := set.Provenance
			if m.Version == "" || (p.ModelVersion == m.Version && p.Created.Before(m.Trained)) {
				m.Version, m.Trained = p.ModelVersion, p.Created
			}
		}
		trained[sp.Name] = m
		out.Spaces = append(out.Spaces, s)
	}
	recs, err := tx.Models()
	if err != nil {
		return err
	}
	for _, r := range recs {
		trained[r.Name] = ModelInfo{Name: r.Name, Version: r.Provenance.ModelVersion, Trained: r.Provenance.Created}
	}
	names, err := tx.Blobs(vocab.BlobModel)
	if err != nil {
		return err
	}
	for _, n := range names {
		m, ok := trained[n]
		if !ok {
			m = ModelInfo{Name: n}
		}
		m.Bytes = blobBytes(vocab.BlobModel, n)
		out.Models = append(out.Models, m)
	}
	slices.SortFunc(out.Models, func(a, b ModelInfo) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return nil
}

// Sum returns what the parts of i add up to; it equals FileBytes (a check
// the tests make).
func (i *Info) Sum() int64 {
	s := i.MetaBytes + i.DirectoryBytes + i.FreeBytes + i.TailBytes
	for _, b := range i.Buckets {
		s += b.Bytes
	}
	return s
}
