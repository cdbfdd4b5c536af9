package migrations

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	bolt "go.etcd.io/bbolt"
)

// v005SpatialBucket is the bucket version 5 adds: per-dataset spot
// coordinates (key u32 dataset id; the layout is the store's spatial.go).
const v005SpatialBucket = "spatial"

// v005DefaultModality is what every dataset stored before version 5 was.
const v005DefaultModality = "rna"

// v005Modality rewrites every dataset record from version 1 to version 2
// and creates the spatial bucket. Version 2 is version 1 with four fields
// appended: str Modality, str Species, str GeneJoin, uv Spots. Datasets
// stored before version 5 were single-cell RNA of the store's one species,
// joined by symbol, without coordinates: modality "rna", species "", join
// "", spots 0.
func v005Modality(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists([]byte(v005SpatialBucket)); err != nil {
		return err
	}
	ds := tx.Bucket([]byte("datasets"))
	if ds == nil {
		return errors.New("bucket datasets missing (version 4 layout expected)")
	}
	type kv struct{ k, v []byte }
	var out []kv
	err := ds.ForEach(func(k, v []byte) error {
		if len(k) != 4 {
			return nil // the sequence-free bucket holds only u32 keys; anything else is left as is
		}
		nv, err := v005Rewrite(v)
		if err != nil {
			return fmt.Errorf("dataset %d: %w", binary.BigEndian.Uint32(k), err)
		}
		out = append(out, kv{append([]byte(nil), k...), nv})
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range out {
		if err := ds.Put(p.k, p.v); err != nil {
			return err
		}
	}
	return nil
}

// v005Rewrite turns a version-1 dataset record into version 2. Frozen copy
// of the framing both versions share:
//
//	[0]      record version
//	...      body
//	4 bytes  CRC-32C (Castagnoli) of everything before, big-endian
func v005Rewrite(v []byte) ([]byte, error) {
	if len(v) < 5 {
		return nil, errors.New("dataset record too short")
	}
	body, sum := v[:len(v)-4], binary.BigEndian.Uint32(v[len(v)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, errors.New("dataset record checksum mismatch")
	}
	if body[0] != 1 {
		return nil, fmt.Errorf("dataset record version %d, want 1", body[0])
	}
	out := make([]byte, 0, len(v)+8)
	out = append(out, 2)
	out = append(out, body[1:]...)
	out = binary.AppendUvarint(out, uint64(len(v005DefaultModality)))
	out = append(out, v005DefaultModality...)
	out = binary.AppendUvarint(out, 0) // species
	out = binary.AppendUvarint(out, 0) // gene join
	out = binary.AppendUvarint(out, 0) // spots
	return binary.BigEndian.AppendUint32(out, crc32.Checksum(out, castagnoli)), nil
}
