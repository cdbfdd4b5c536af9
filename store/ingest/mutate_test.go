package ingest

import (
	"context"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHDF5Mutations flips random bits and overwrites random 8-byte words
// (with huge values) in the h5ad and 10x h5 fixtures and checks that Read
// returns (in time) either a dataset or an error wrapping a sentinel that
// names the file: no panic, no hang, no runaway allocation. -long runs 25×
// more mutations.
func TestHDF5Mutations(t *testing.T) {
	n := 150
	if *long {
		n = 4000
	}
	dir := filepath.Join(repoRoot(t), "testdata", "ingest")
	for _, name := range []string{"tiny_csr.h5ad", "tiny_csc.h5ad", "tiny_v3.h5"} {
		t.Run(name, func(t *testing.T) {
			seed, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(int64(len(name))))
			p := filepath.Join(t.TempDir(), "m_"+name)
			for i := 0; i < n; i++ {
				b := append([]byte(nil), seed...)
				for k := 0; k < 1+rng.Intn(3); k++ {
					if rng.Intn(3) == 0 {
						at := rng.Intn(len(b) - 8)
						for j := 0; j < 8; j++ {
							b[at+j] = byte(rng.Intn(256))
						}
					} else {
						b[rng.Intn(len(b))] ^= byte(1 << rng.Intn(8))
					}
				}
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() {
					_, err := Read(context.Background(), p, Options{MaxNNZ: 1 << 20, MaxDim: 1 << 20})
					done <- err
				}()
				select {
				case err := <-done:
					if err != nil && (!knownError(err) || !strings.Contains(err.Error(), filepath.Base(p))) {
						t.Fatalf("mutation %d: error without a sentinel or file name: %v", i, err)
					}
				case <-time.After(30 * time.Second):
					os.WriteFile(filepath.Join(os.TempDir(), "genestore-hdf5-hang"+filepath.Ext(name)), b, 0o644)
					t.Fatalf("mutation %d: Read did not return within 30 s (input saved in %s)", i, os.TempDir())
				}
			}
		})
	}
}
