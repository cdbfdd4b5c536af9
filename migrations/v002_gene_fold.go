package migrations

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// v002FoldBucket is the bucket version 2 adds. Key: strings.ToLower(symbol)
// ‖ 0x00 ‖ u32 gene id (big-endian); value: empty. A prefix seek on the
// folded symbol followed by 0x00 lists every gene with that symbol in any
// letter case. Symbols never contain 0x00 (the store refuses them).
const v002FoldBucket = "gene_fold"

// v002FoldKey returns the gene_fold key of a gene (version 2 layout). Frozen
// copy: the store keeps its own live version (store.foldKey); this one must
// never change, or v002 would no longer write what version 2 stores hold.
func v002FoldKey(symbol string, id uint32) []byte {
	f := strings.ToLower(symbol)
	k := make([]byte, 0, len(f)+5)
	k = append(k, f...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint32(k, id)
}

// v002GeneFold creates gene_fold and fills it from every gene already stored.
func v002GeneFold(tx *bolt.Tx) error {
	fold, err := tx.CreateBucketIfNotExists([]byte(v002FoldBucket))
	if err != nil {
		return err
	}
	genes := tx.Bucket([]byte("genes"))
	if genes == nil {
		return errors.New("bucket genes missing (version 1 layout expected)")
	}
	return genes.ForEach(func(k, v []byte) error {
		if len(k) != 4 {
			return fmt.Errorf("gene key %x: want 4 bytes", k)
		}
		sym, err := v001GeneSymbol(v)
		if err != nil {
			return fmt.Errorf("gene %d: %w", binary.BigEndian.Uint32(k), err)
		}
		return fold.Put(v002FoldKey(sym, binary.BigEndian.Uint32(k)), []byte{})
	})
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// v001GeneSymbol decodes the symbol of a version-1 gene record. Frozen copy
// of the layout the store wrote at schema version 1:
//
//	[0]      record version = 1
//	uvarint  len(symbol), symbol bytes
//	uvarint  len(source id), source id bytes
//	4 bytes  CRC-32C (Castagnoli) of everything before, big-endian
func v001GeneSymbol(v []byte) (string, error) {
	if len(v) < 5 {
		return "", errors.New("gene record too short")
	}
	body, sum := v[:len(v)-4], binary.BigEndian.Uint32(v[len(v)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return "", errors.New("gene record checksum mismatch")
	}
	if body[0] != 1 {
		return "", fmt.Errorf("gene record version %d, want 1", body[0])
	}
	n, w := binary.Uvarint(body[1:])
	if w <= 0 || n > uint64(len(body)-1-w) {
		return "", errors.New("gene record: bad symbol length")
	}
	return string(body[1+w : 1+w+int(n)]), nil
}
