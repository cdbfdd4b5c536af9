package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"genestore/internal/testutil/crash"
	"genestore/migrations"

	bolt "go.etcd.io/bbolt"
)

// fewCrashTrials is the kill count of the crash tests of short operations:
// a few by default, crashTrials under -long.
func fewCrashTrials() int {
	if *long {
		return crashTrials()
	}
	return 4
}

// TestCrashBackup kills a process writing a backup of a store: the store
// must be unchanged, and the backup's name must hold nothing or a whole
// copy that opens and verifies with the store's content (never a partial
// file under the final name).
func TestCrashBackup(t *testing.T) {
	rep := crash.Run(t, crash.Config{Trials: fewCrashTrials(), Seed: 31,
		Prepare: func(dir string) error {
			if err := prepareOneDataset(dir); err != nil {
				return err
			}
			db, err := Open(filepath.Join(dir, "s.db"), &Options{Clock: fixedClock})
			if err != nil {
				return err
			}
			defer db.Close()
			_, err = db.AddDataset(context.Background(), "second", randomDataset(2, "b", 60000, 2000, 40, true), AddOptions{})
			return err
		},
		Digest: func(dir string) (string, error) {
			d, err := storeDigest(dir)
			if err != nil {
				return "", err
			}
			out := filepath.Join(dir, "backup.db")
			if _, err := os.Lstat(out); errors.Is(err, fs.ErrNotExist) {
				return d + "/no backup", nil
			}
			b, err := Open(out, &Options{ReadOnly: true, Clock: fixedClock})
			if err != nil {
				return "", fmt.Errorf("backup: %w", err)
			}
			defer b.Close()
			if err := b.Verify(context.Background()); err != nil {
				return "", fmt.Errorf("backup: %w", err)
			}
			bd, err := b.Digest()
			if err != nil {
				return "", fmt.Errorf("backup: %w", err)
			}
			if bd != d {
				return "", fmt.Errorf("backup holds another content than the store")
			}
			return d + "/backup", nil
		},
	}, func(dir string, ready func()) error {
		db, err := Open(filepath.Join(dir, "s.db"), &Options{Clock: fixedClock, ReadOnly: true})
		if err != nil {
			return err
		}
		defer db.Close()
		ready()
		_, err = db.Backup(context.Background(), filepath.Join(dir, "backup.db"))
		return err
	})
	if rep.Child {
		return
	}
	t.Logf("backup crash trials: %d (before %d, after %d, finished %d; backup %v)",
		rep.Trials, rep.Before, rep.After, rep.Finished, rep.OpTime)
}

// rawDigest hashes every key and value of every bucket (nested ones too) of
// the bbolt file at path and its schema version, whatever that version.
func rawDigest(path string) (string, error) {
	h, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		return "", err
	}
	defer h.Close()
	sum := sha256.New()
	var version int
	err = h.View(func(tx *bolt.Tx) error {
		if version, err = migrations.Version(tx); err != nil {
			return err
		}
		var walk func(b *bolt.Bucket, depth int) error
		walk = func(b *bolt.Bucket, depth int) error {
			return b.ForEach(func(k, v []byte) error {
				fmt.Fprintf(sum, "%d %x=%x;", depth, k, v)
				if v == nil {
					return walk(b.Bucket(k), depth+1)
				}
				return nil
			})
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			fmt.Fprintf(sum, "bucket %x;", name)
			return walk(b, 1)
		})
	})
	return fmt.Sprintf("v%d/%x", version, sum.Sum(nil)), err
}

// TestCrashMigrate kills a process migrating a schema-1 store to the
// current schema (one transaction): the file must still be the old store,
// refused with ErrNeedsMigration and unchanged, or the migrated one, which
// opens and verifies.
func TestCrashMigrate(t *testing.T) {
	rep := crash.Run(t, crash.Config{Trials: fewCrashTrials(), Seed: 32,
		Prepare: func(dir string) error {
			b, err := os.ReadFile(filepath.Join("..", "migrations", "testdata", "v001.bbolt"))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "s.db"), b, 0o644)
		},
		Digest: func(dir string) (string, error) {
			path := filepath.Join(dir, "s.db")
			db, err := Open(path, &Options{Clock: fixedClock})
			switch {
			case errors.Is(err, ErrNeedsMigration):
			case err != nil:
				return "", err
			default:
				err = db.Verify(context.Background())
				db.Close()
				if err != nil {
					return "", err
				}
			}
			return rawDigest(path)
		},
	}, func(dir string, ready func()) error {
		ready()
		_, _, err := Migrate(context.Background(), filepath.Join(dir, "s.db"), &Options{Clock: fixedClock})
		return err
	})
	if rep.Child {
		return
	}
	t.Logf("migrate crash trials: %d (before %d, after %d, finished %d; migrate %v)",
		rep.Trials, rep.Before, rep.After, rep.Finished, rep.OpTime)
}
