package export

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// writeFileAtomic writes path through write, so that a failure leaves any
// previous file untouched: the bytes go to a temporary file in the same
// folder, which is synced and then renamed over path. Without force an
// existing path is refused with ErrExists, checked before writing and
// again, atomically, when the file is put in place (a hard link, which
// fails if path appeared meanwhile).
func writeFileAtomic(path string, force bool, write func(*os.File) error) (err error) {
	if !force {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%w: %s (pass --force to replace it)", ErrExists, path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("export: %w", err)
		}
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	name := tmp.Name()
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err = os.Chmod(name, 0o644); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if force {
		err = os.Rename(name, path)
	} else if err = os.Link(name, path); err == nil {
		err = os.Remove(name)
	} else if errors.Is(err, fs.ErrExist) {
		err = fmt.Errorf("%w: %s (pass --force to replace it)", ErrExists, path)
	} else if _, serr := os.Lstat(path); errors.Is(serr, fs.ErrNotExist) {
		err = os.Rename(name, path) // a file system without hard links
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	// the rename is durable once the folder is synced
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
