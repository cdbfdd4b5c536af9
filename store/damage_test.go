package store

import (
	"encoding/binary"
	"errors"
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
