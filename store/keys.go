package store

import (
	"encoding/binary"
	"strings"
)

// u32key returns v as a 4-byte big-endian key.
func u32key(v uint32) []byte { return binary.BigEndian.AppendUint32(make([]byte, 0, 4), v) }

// u32u32key returns a‖b as an 8-byte big-endian key.
func u32u32key(a, b uint32) []byte { return appendU32U32(make([]byte, 0, 8), a, b) }

// appendU32U32 appends u32u32key(a, b) to dst (into a caller's buffer, so
// that a loop of lookups allocates no key).
func appendU32U32(dst []byte, a, b uint32) []byte {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(dst, a), b)
}

// u32strkey returns a‖s (4-byte big-endian id then the string bytes).
func u32strkey(a uint32, s string) []byte {
	k := make([]byte, 4, 4+len(s))
	binary.BigEndian.PutUint32(k, a)
	return append(k, s...)
}

// foldKey returns the gene_fold key of a gene: strings.ToLower(symbol) ‖ 0x00
// ‖ u32 gene id (big-endian). The v002 migration keeps a frozen copy.
func foldKey(symbol string, id uint32) []byte {
	f := strings.ToLower(symbol)
	k := make([]byte, 0, len(f)+5)
	k = append(k, f...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint32(k, id)
}
