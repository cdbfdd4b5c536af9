package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bigStore writes a store of a little over 3 MB (a random blob) and returns
// its path, closed.
func bigStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "a.db")
	db, err := Open(path, &Options{Clock: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	blob := make([]byte, 3<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range blob {
		blob[i] = byte(r.Uint32())
	}
	if err := db.PutBlob("k", "n", blob); err != nil {
		t.Fatal(err)
	}
	db.Close()
	return path
}

// derive writes a copy of src changed by edit under dir and returns it.
func derive(t *testing.T, src, name string, edit func(b []byte) []byte) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(filepath.Dir(src), name)
	if err := os.WriteFile(dst, edit(b), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestDamagedFiles: files that bbolt would crash on (SIGBUS past the end
// of a truncated file, assertion panics on a corrupt page) or misuse (an
// empty file) give a clear error through Open and every transaction.
func TestDamagedFiles(t *testing.T) {
	big := bigStore(t)
	const ps = 4096
	tests := []struct {
		name string
		edit func(b []byte) []byte
		want error
		text string
	}{
		{"empty", func([]byte) []byte { return nil }, ErrNotStore, "is empty (0 bytes)"},
		{"head -c 2000000", func(b []byte) []byte { return b[:2000000] }, ErrDamaged, "not a whole number of 4096-byte pages"},
		{"truncated at a page", func(b []byte) []byte { return b[:2000000/ps*ps] }, ErrDamaged, "meta page says"},
		{"creation out of space (12 KiB)", func(b []byte) []byte { return b[:12<<10] }, ErrDamaged, "damaged"},
		{"both metas corrupt", func(b []byte) []byte { b[ps-1+60] ^= 0xFF; b[60] ^= 0xFF; b[ps+60] ^= 0xFF; return b }, ErrDamaged, "both bbolt meta pages"},
		{"root page corrupt", func(b []byte) []byte {
			// The root bucket's page (from the meta with the higher txid)
			// gets an invalid page type: bbolt panics on it.
			meta := func(off int) (root, txid uint64) {
				return binary.LittleEndian.Uint64(b[off+32:]), binary.LittleEndian.Uint64(b[off+64:])
			}
			r0, t0 := meta(0)
			r1, t1 := meta(ps)
			root := r0
			if t1 > t0 {
				root = r1
			}
			binary.LittleEndian.PutUint16(b[int(root)*ps+8:], 0x7777)
			return b
		}, ErrDamaged, "reading it failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := derive(t, big, strings.ReplaceAll(tc.name, " ", "_")+".db", tc.edit)
			for _, ro := range []bool{true, false} {
				db, err := Open(path, &Options{ReadOnly: ro})
				if err == nil {
					_, err = db.Datasets()
					db.Close()
				}
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), path) {
					t.Fatalf("read-only %v: err = %v, want %v with %q", ro, err, tc.want, tc.text)
				}
				if tc.want == ErrDamaged && !strings.Contains(err.Error(), "genestore verify") {
					t.Errorf("no hint in %q", err)
				}
				t.Logf("read-only %v: %v", ro, err)
			}
		})
	}
}

// TestHugeCountsInValidRecords gives a blob header and an embedding-set
// record counts far beyond the file (1 TiB of blob, 2³²−1 vectors of dim
// 64) with their checksums intact, as a bug or a hostile writer could:
// reading them must be ErrCorrupt (or a short read), not an allocation that
// exhausts memory. Before the capacity hints were bounded by the file size
// both reads died with "fatal error: runtime: out of memory".
func TestHugeCountsInValidRecords(t *testing.T) {
	db := openTemp(t)
	if err := db.PutBlob("k", "n", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	err := db.Update(func(tx *Tx) error {
		b, err := tx.blobBucket("k", "n")
		if err != nil {
			return err
		}
		if err := b.Put(kBlobHeader, encodeBlobHeader(blobHeader{Size: 1 << 40, Chunks: 1 << 20})); err != nil {
			return err
		}
		if err := tx.PutEmbeddings("sp", 1, []uint32{0, 1}, 64, make([]float32, 128), Provenance{}); err != nil {
			return err
		}
		sb, _, err := tx.space("sp", false)
		if err != nil {
			return err
		}
		set, err := decodeEmbeddingSet(sb.Bucket(kSpaceSets).Get(u32key(1)))
		if err != nil {
			return err
		}
		set.Count = 1<<32 - 1
		return sb.Bucket(kSpaceSets).Put(u32key(1), encodeEmbeddingSet(set))
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error { _, err := tx.Blob("k", "n"); return err })
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("blob of 1 TiB in a small file: %v, want ErrCorrupt", err)
	}
	err = db.View(func(tx *Tx) error {
		ids, _, vecs, err := tx.Embeddings("sp", 1)
		if err == nil && (len(ids) != 2 || len(vecs) != 128) {
			return fmt.Errorf("read %d ids, %d values", len(ids), len(vecs))
		}
		return err
	})
	t.Logf("embeddings with a claimed count of 2³²−1: %v", err)
	if err != nil && !errors.Is(err, ErrCorrupt) {
		t.Fatal(err)
	}
}

// TestDamagedInnerPage: a page deep in the tree with invalid flags, which
// reads of other buckets never touch. bbolt rebuilds its free list (the
// store syncs none) by walking every page in a goroutine of its own, when
// a handle opens for writing and in tx.Check, and panics there on such a
// page, where no recover reaches: verify and the next write killed the
// process. The store walks the tree itself first, where the panic is
// caught, and answers ErrDamaged.
func TestDamagedInnerPage(t *testing.T) {
	big := bigStore(t)
	path := derive(t, big, "inner.db", func(b []byte) []byte {
		binary.LittleEndian.PutUint16(b[2*4096+8:], 0x7777)
		return b
	})
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Verify(context.Background()); !errors.Is(err, ErrDamaged) {
		t.Errorf("verify: %v, want ErrDamaged", err)
	}
	if err := db.PutBlob("k", "n", []byte("x")); !errors.Is(err, ErrDamaged) {
		t.Errorf("write: %v, want ErrDamaged", err)
	}
}
