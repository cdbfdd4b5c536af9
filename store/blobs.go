package store

import (
	"fmt"
	"hash/crc32"
	"math"

	bolt "go.etcd.io/bbolt"
)

// BlobChunkSize is the largest piece a blob is split into.
const BlobChunkSize = 1 << 20

// kBlobHeader is the header key inside a blob's bucket; chunk keys are
// 4-byte big-endian chunk numbers and can never equal it (6 bytes).
var kBlobHeader = []byte("header")

// PutBlob stores data as blob (kind, name), replacing any previous one:
// model weights, index snapshots and other opaque bytes. It is split into
// chunks of BlobChunkSize, each with its own length and CRC-32C, and the
// header holds the total length and a CRC-32C of the whole.
func (tx *Tx) PutBlob(kind, name string, data []byte) error {
	if err := tx.writable(); err != nil {
		return err
	}
	if err := checkName("blob kind", kind); err != nil {
		return err
	}
	if err := checkName("blob", name); err != nil {
		return err
	}
	root, err := tx.bucket(bBlobs)
	if err != nil {
		return err
	}
	kb, err := root.CreateBucketIfNotExists([]byte(kind))
	if err != nil {
		return err
	}
	if kb.Bucket([]byte(name)) != nil {
		if err := kb.DeleteBucket([]byte(name)); err != nil {
			return err
		}
	}
	b, err := kb.CreateBucket([]byte(name))
	if err != nil {
		return err
	}
	b.FillPercent = 1.0
	n := 0
	for off := 0; off < len(data); off += BlobChunkSize {
		end := min(off+BlobChunkSize, len(data))
		if err := b.Put(u32key(uint32(n)), encodeBlobChunk(data[off:end])); err != nil {
			return err
		}
		n++
	}
	h := blobHeader{Size: uint64(len(data)), Chunks: uint32(n), CRC: crc32.Checksum(data, castagnoli)}
	return b.Put(kBlobHeader, encodeBlobHeader(h))
}

// Blob returns a blob's bytes. A checksum or length mismatch anywhere is
// ErrCorrupt; a missing blob is ErrNotFound.
func (tx *Tx) Blob(kind, name string) ([]byte, error) {
	b, err := tx.blobBucket(kind, name)
	if err != nil {
		return nil, err
	}
	hv := b.Get(kBlobHeader)
	if hv == nil {
		return nil, fmt.Errorf("%w: blob %s/%s has no header", ErrCorrupt, kind, name)
	}
	h, err := decodeBlobHeader(hv)
	if err != nil {
		return nil, fmt.Errorf("blob %s/%s: %w", kind, name, err)
	}
	if h.Size > uint64(h.Chunks)*BlobChunkSize || h.Size > math.MaxInt {
		return nil, fmt.Errorf("%w: blob %s/%s: %d bytes in %d chunks", ErrCorrupt, kind, name, h.Size, h.Chunks)
	}
	out := make([]byte, 0, tx.sizeHint(h.Size, 1))
	for i := uint32(0); i < h.Chunks; i++ {
		v := b.Get(u32key(i))
		if v == nil {
			return nil, fmt.Errorf("%w: blob %s/%s: chunk %d of %d missing", ErrCorrupt, kind, name, i, h.Chunks)
		}
		out, err = decodeBlobChunkAppend(out, v)
		if err != nil {
			return nil, fmt.Errorf("blob %s/%s chunk %d: %w", kind, name, i, err)
		}
	}
	if uint64(len(out)) != h.Size || crc32.Checksum(out, castagnoli) != h.CRC {
		return nil, fmt.Errorf("%w: blob %s/%s: length or checksum of the whole differs from its header", ErrCorrupt, kind, name)
	}
	return out, nil
}

// DeleteBlob removes a blob; removing an absent one is not an error.
func (tx *Tx) DeleteBlob(kind, name string) error {
	if err := tx.writable(); err != nil {
		return err
	}
	root, err := tx.bucket(bBlobs)
	if err != nil {
		return err
	}
	kb := root.Bucket([]byte(kind))
	if kb == nil || kb.Bucket([]byte(name)) == nil {
		return nil
	}
	return kb.DeleteBucket([]byte(name))
}

// Blobs lists the names of the blobs of one kind, in byte order.
func (tx *Tx) Blobs(kind string) ([]string, error) {
	root, err := tx.bucket(bBlobs)
	if err != nil {
		return nil, err
	}
	kb := root.Bucket([]byte(kind))
	if kb == nil {
		return nil, nil
	}
	var out []string
	err = kb.ForEachBucket(func(k []byte) error { out = append(out, string(k)); return nil })
	return out, err
}

func (tx *Tx) blobBucket(kind, name string) (*bolt.Bucket, error) {
	root, err := tx.bucket(bBlobs)
	if err != nil {
		return nil, err
	}
	kb := root.Bucket([]byte(kind))
	if kb == nil || kb.Bucket([]byte(name)) == nil {
		return nil, fmt.Errorf("%w: blob %s/%s", ErrNotFound, kind, name)
	}
	return kb.Bucket([]byte(name)), nil
}

// PutBlob is Tx.PutBlob in its own transaction.
func (db *DB) PutBlob(kind, name string, data []byte) error {
	return db.Update(func(tx *Tx) error { return tx.PutBlob(kind, name, data) })
}

// Blob is Tx.Blob in its own transaction.
func (db *DB) Blob(kind, name string) (data []byte, err error) {
	err = db.View(func(tx *Tx) error { data, err = tx.Blob(kind, name); return err })
	return data, err
}

type blobHeader struct {
	Size   uint64
	Chunks uint32
	CRC    uint32
}

// blobHeaderVersion is the version byte of blob headers.
//
// Blob header (bucket "blobs" / kind / name, key "header"), version 1:
//
//	u64 total length, u32 chunk count, u32 CRC-32C of the whole blob
const blobHeaderVersion = 1

func encodeBlobHeader(h blobHeader) []byte {
	e := newEnc(blobHeaderVersion, 16)
	e.u64(h.Size)
	e.u32(h.Chunks)
	e.u32(h.CRC)
	return e.seal()
}

func decodeBlobHeader(v []byte) (blobHeader, error) {
	d, err := openRecord("blob header", v, blobHeaderVersion)
	if err != nil {
		return blobHeader{}, err
	}
	h := blobHeader{Size: d.u64(), Chunks: d.u32(), CRC: d.u32()}
	return h, d.done()
}

// blobChunkVersion is the version byte of blob chunks.
//
// Blob chunk (bucket "blobs" / kind / name, key u32 chunk number from 0),
// version 1: bytes data (uv length, then the bytes; at most BlobChunkSize).
const blobChunkVersion = 1

func encodeBlobChunk(p []byte) []byte {
	e := newEnc(blobChunkVersion, len(p)+4)
	e.bytes(p)
	return e.seal()
}

func decodeBlobChunkAppend(dst, v []byte) ([]byte, error) {
	d, err := openRecord("blob chunk", v, blobChunkVersion)
	if err != nil {
		return dst, err
	}
	p := d.rawBytes()
	if err := d.done(); err != nil {
		return dst, err
	}
	if len(p) > BlobChunkSize {
		return dst, fmt.Errorf("%w: blob chunk of %d bytes", ErrCorrupt, len(p))
	}
	return append(dst, p...), nil
}
