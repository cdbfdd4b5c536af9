// Package shareddata finds the real sample data that sits beside a checkout
// (../shared/data, relative to the module root) for tests, and skips the
// test cleanly when it is absent, as it is in a user's fresh clone.
package shareddata

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared data folder, or skips t when there is none.
func Dir(t testing.TB) string {
	t.Helper()
	data, err := find()
	if err != nil {
		t.Skip(err)
	}
	return data
}

// find returns the shared data folder beside the module root.
func find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("module root not found")
		}
		dir = parent
	}
	data := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(data, "pbmc_small")); err != nil {
		return "", fmt.Errorf("shared sample data absent: %v", err)
	}
	return data, nil
}
