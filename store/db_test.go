package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"genestore/migrations"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		errs []string
	}{
		{"zero", Options{}, nil},
		{"default", *DefaultOptions(), nil},
		{"negative timeout", Options{Timeout: -1}, []string{"negative Timeout"}},
		{"all bad", Options{Timeout: -1, ReadOnly: true, AutoMigrate: true, InitialMmapSize: -5},
			[]string{"negative Timeout", "AutoMigrate needs a writable", "negative InitialMmapSize"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.Validate()
			if len(tc.errs) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err %v does not wrap ErrInvalid", err)
			}
			for _, s := range tc.errs {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}

func TestOpenCreateReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := Open(path, &Options{Version: "v0.1.0", Clock: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	if db.Path() != path || db.SchemaVersion() != migrations.Latest() || db.ReadOnly() {
		t.Fatalf("path %q schema %d ro %v", db.Path(), db.SchemaVersion(), db.ReadOnly())
	}
	v, at, err := db.CreatedBy()
	if err != nil || v != "v0.1.0" || !at.Equal(fixedClock()) {
		t.Fatalf("created by %q at %v, %v", v, at, err)
	}
	d0, _ := db.Digest()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, &Options{Version: "v0.2.0", ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d1, _ := db.Digest()
	if d0 != d1 {
		t.Errorf("digest changed on reopen")
	}
	if v, _, _ := db.CreatedBy(); v != "v0.1.0" {
		t.Errorf("created_by rewritten: %q", v)
	}
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "text.db")
	writeFile(t, text, []byte("barcode,cell_type\nAAAC,T\n"))
	big := filepath.Join(dir, "big.db")
	writeFile(t, big, make([]byte, 64*1024))
	foreign := filepath.Join(dir, "foreign.db")
	b, err := bolt.Open(foreign, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err })
	b.Close()
	newer := filepath.Join(dir, "newer.db")
	db, err := Open(newer, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.boltUpdate(func(tx *bolt.Tx) error {
		return tx.Bucket(bMeta).Put([]byte(migrations.VersionKey), binary.BigEndian.AppendUint32(nil, uint32(migrations.Latest()+1)))
	})
	db.Close()

	tests := []struct {
		name string
		path string
		opts *Options
		want error
		text []string
	}{
		{"text file", text, nil, ErrNotStore, []string{text}},
		{"zero-filled file", big, nil, ErrNotStore, []string{big}},
		{"foreign bbolt", foreign, nil, ErrNotStore, []string{foreign, "meta bucket"}},
		{"directory", dir, nil, ErrNotStore, []string{dir}},
		{"newer schema", newer, nil, ErrTooNew, []string{newer, fmt.Sprintf("version %d", migrations.Latest()+1), fmt.Sprintf("up to %d", migrations.Latest())}},
		{"missing read-only", filepath.Join(dir, "none.db"), &Options{ReadOnly: true}, ErrNotFound, []string{"none.db"}},
		{"bad options", filepath.Join(dir, "x.db"), &Options{Timeout: -1}, ErrInvalid, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := os.ReadFile(tc.path)
			db, err := Open(tc.path, tc.opts)
			if err == nil {
				db.Close()
				t.Fatal("opened")
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			for _, s := range tc.text {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if after, _ := os.ReadFile(tc.path); string(before) != string(after) {
				t.Errorf("file changed by a failed open")
			}
		})
	}
}

// copyFile copies src to dst.
func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMigrateFromV1(t *testing.T) {
	// a mistyped path is an error, not a new empty store
	typo := filepath.Join(t.TempDir(), "typo.db")
	if _, _, err := Migrate(context.Background(), typo, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("migrate a missing store: %v, want ErrNotFound", err)
	}
	if _, err := os.Stat(typo); err == nil {
		t.Error("migrate created a store at a missing path")
	}
	path := filepath.Join(t.TempDir(), "v1.db")
	copyFile(t, filepath.Join("..", "migrations", "testdata", "v001.bbolt"), path)
	_, err := Open(path, nil)
	if !errors.Is(err, ErrNeedsMigration) || !strings.Contains(err.Error(), "genestore migrate") {
		t.Fatalf("err = %v, want ErrNeedsMigration", err)
	}
	from, to, err := Migrate(context.Background(), path, nil)
	if err != nil || from != 1 || to != migrations.Latest() {
		t.Fatalf("Migrate: %d → %d, %v", from, to, err)
	}
	from, to, err = Migrate(context.Background(), path, nil)
	if err != nil || from != to {
		t.Fatalf("second Migrate: %d → %d, %v", from, to, err)
	}
	db, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *Tx) error {
		g, err := tx.GenesBySymbol("tspan6")
		if err != nil || len(g) != 2 || g[0].Symbol != "TSPAN6" || g[1].SourceID != "ENSMUSG00000067377" {
			t.Errorf("GenesBySymbol after migration: %+v, %v", g, err)
		}
		return nil
	})
	// AutoMigrate path on a fresh copy.
	p2 := filepath.Join(t.TempDir(), "v1.db")
	copyFile(t, filepath.Join("..", "migrations", "testdata", "v001.bbolt"), p2)
	db2, err := Open(p2, &Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	if db2.SchemaVersion() != migrations.Latest() {
		t.Errorf("schema %d after AutoMigrate", db2.SchemaVersion())
	}
	db2.Close()
}

func TestReadOnly(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Log("running as root: file permissions do not stop root; checking the ReadOnly option only")
	}
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := Open(path, &Options{Clock: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddDataset(context.Background(), "d", randomDataset(1, "d", 20, 30, 5, true), AddOptions{}); err != nil {
		t.Fatal(err)
	}
	want, _ := db.Digest()
	db.Close()
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		_, err := Open(path, nil)
		if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), path) {
			t.Fatalf("writable open of a read-only file: %v", err)
		}
	}
	ro, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if got, _ := ro.Datasets(); len(got) != 1 {
		t.Fatalf("datasets %v", got)
	}
	_, err = ro.AddDataset(context.Background(), "e", randomDataset(2, "e", 5, 5, 2, true), AddOptions{})
	if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), path) {
		t.Fatalf("write on read-only store: %v", err)
	}
	if err := ro.PutBlob("k", "n", []byte("x")); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("PutBlob: %v", err)
	}
	// A write method called inside View is refused too.
	err = ro.View(func(tx *Tx) error { return tx.PutBlob("k", "n", []byte("x")) })
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("write in View: %v", err)
	}
	if got, _ := ro.Digest(); got != want {
		t.Errorf("read-only store changed")
	}
}

// TestErrorMapping checks how bbolt and OS errors become the store's.
func TestErrorMapping(t *testing.T) {
	db := &DB{path: "/x/s.db"}
	tests := []struct {
		name string
		in   error
		want error
		text string
	}{
		{"timeout", berrors.ErrTimeout, ErrLocked, "/x/s.db"},
		{"invalid", berrors.ErrInvalid, ErrNotStore, "/x/s.db"},
		{"version mismatch", berrors.ErrVersionMismatch, ErrNotStore, "/x/s.db"},
		{"checksum", berrors.ErrChecksum, ErrNotStore, "/x/s.db"},
		{"permission", &fs.PathError{Op: "open", Path: "/x/s.db", Err: fs.ErrPermission}, ErrReadOnly, "open it read-only"},
		{"read-only fs", &fs.PathError{Op: "open", Path: "/x/s.db", Err: syscall.EROFS}, ErrReadOnly, "read-only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := openError(db.path, tc.in)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("openError(%v) = %v", tc.in, err)
			}
		})
	}
	writes := []struct {
		in   error
		want error
	}{
		{berrors.ErrDatabaseReadOnly, ErrReadOnly},
		{berrors.ErrTxNotWritable, ErrReadOnly},
		{&fs.PathError{Op: "write", Path: "/x/s.db", Err: syscall.ENOSPC}, ErrNoSpace},
		{fmt.Errorf("file resize error: %s", syscall.EFBIG), ErrNoSpace},
		{fmt.Errorf("mmap allocate error: %s", syscall.EDQUOT), ErrNoSpace},
	}
	for _, w := range writes {
		if err := db.writeError(w.in); !errors.Is(err, w.want) || !strings.Contains(err.Error(), "/x/s.db") {
			t.Errorf("writeError(%v) = %v, want %v", w.in, err, w.want)
		}
	}
	other := errors.New("other")
	if err := db.writeError(other); err != other {
		t.Errorf("writeError passes other errors through: %v", err)
	}
}

// TestSchemaChangedUnderOpenDB: a DB that opened the file at one schema
// refuses to go on (reads and writes) once another process has migrated
// it to another: it would read and write the new records with its old
// layouts.
func TestSchemaChangedUnderOpenDB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := Open(path, &Options{Linger: -1}) // no lingering handle: each transaction reopens
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PutBlob("k", "n", []byte("x")); err != nil {
		t.Fatal(err)
	}
	// another process's newer binary migrates the file
	h, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = h.Update(func(tx *bolt.Tx) error {
		v := make([]byte, 4)
		binary.BigEndian.PutUint32(v, uint32(migrations.Latest()+1))
		return tx.Bucket([]byte(migrations.MetaBucket)).Put([]byte(migrations.VersionKey), v)
	})
	h.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutBlob("k", "n2", []byte("y")); !errors.Is(err, ErrTooNew) {
		t.Errorf("write after another process migrated the file: %v, want ErrTooNew", err)
	}
	if _, err := db.Datasets(); !errors.Is(err, ErrTooNew) {
		t.Errorf("read after another process migrated the file: %v, want ErrTooNew", err)
	}
}
