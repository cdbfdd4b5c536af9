package backend_test

import (
	"os"
	"path/filepath"
)

// openRepoFile opens a file relative to the module root (the directory
// holding go.mod, found walking up from the package).
func openRepoFile(rel string) (*os.File, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return os.Open(filepath.Join(dir, rel))
		}
		up := filepath.Dir(dir)
		if up == dir {
			return nil, os.ErrNotExist
		}
		dir = up
	}
}
