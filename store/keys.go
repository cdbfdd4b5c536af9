package store

import "encoding/binary"

// Consensus is the dataset id under which cross-dataset vectors (for
// example consensus gene embeddings) are stored. Real dataset ids start at 1
// and never reach it.
const Consensus uint32 = 0xFFFFFFFF

// EntityKey packs a dataset id and an entity id into the uint64 key that
// indexes, clusterings and predictions use: dataset << 32 | id. For cells
// the id is the cell's row index in its dataset; for genes it is the global
// gene id (with dataset Consensus for consensus vectors). Keys sort by
// dataset first, so one dataset's entities are a contiguous key range, and
// one HNSW index over several datasets answers "nearest cells across
// datasets" with keys that name their dataset.
func EntityKey(dataset, id uint32) uint64 { return uint64(dataset)<<32 | uint64(id) }

// SplitEntityKey is the inverse of EntityKey.
func SplitEntityKey(k uint64) (dataset, id uint32) { return uint32(k >> 32), uint32(k) }

// u32key returns v as a 4-byte big-endian key.
func u32key(v uint32) []byte { return binary.BigEndian.AppendUint32(make([]byte, 0, 4), v) }

// u32u32key returns a‖b as an 8-byte big-endian key.
func u32u32key(a, b uint32) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint32(k, a)
	binary.BigEndian.PutUint32(k[4:], b)
	return k
}

// u32strkey returns a‖s (4-byte big-endian id then the string bytes).
func u32strkey(a uint32, s string) []byte {
	k := make([]byte, 4, 4+len(s))
	binary.BigEndian.PutUint32(k, a)
	return append(k, s...)
}
