// Package atomicfile writes a file all at once or not at all: through a
// temporary file in the same folder, synced, then renamed over the target.
// Readers of the target see the old file or the whole new one.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
)

// Write creates a temporary file beside path, lets fill write it, syncs
// it, gives it the permissions of the file it replaces or 0644 for a new
// one (CreateTemp's 0600 would survive the rename), renames it to path and
// syncs the folder. On any error the temporary file is
// removed and path is untouched.
func Write(path string, fill func(*os.File) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if fi, serr := os.Stat(path); serr == nil {
		mode = fi.Mode().Perm()
	}
	if err = os.Chmod(f.Name(), mode); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		err = d.Sync()
		d.Close()
		if errors.Is(err, os.ErrInvalid) {
			err = nil
		}
	}
	return err
}
