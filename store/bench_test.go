package store

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"genestore/store/ingest"

	"genestore/internal/cputime"
)

// benchNamed reports whether -test.bench names this size explicitly.
func benchNamed(s string) bool {
	f := flag.Lookup("test.bench")
	return f != nil && strings.Contains(f.Value.String(), s)
}

// benchDataset is a random cells × 2000 count matrix with ~100 nonzeros
// per cell.
func benchDataset(cells int) *ingest.Dataset {
	return randomDataset(42, "bench", cells, 2000, 100, true)
}

func benchWrite(b *testing.B, cells int) {
	ds := benchDataset(cells)
	ctx := context.Background()
	var fileBytes int64
	var cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		path := filepath.Join(b.TempDir(), "s.db")
		c0 := cputime.Used()
		db, err := Open(path, &Options{Clock: fixedClock})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.AddDataset(ctx, "bench", ds, AddOptions{BatchKey: "batch"}); err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		cpu += cputime.Used() - c0
		b.StopTimer()
		st, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		fileBytes = st.Size()
		os.Remove(path)
		b.StartTimer()
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(cells*b.N)/sec, "cells/s")
	b.ReportMetric(float64(fileBytes)*float64(b.N)/sec/1e6, "fileMB/s")
	b.ReportMetric(float64(fileBytes)/1e6, "file_MB")
	b.ReportMetric(float64(fileBytes)/float64(ds.X.NNZ()), "file_B/nnz")
	b.ReportMetric(float64(cells*b.N)/cpu.Seconds(), "cells/cpu-s")
}

func benchRead(b *testing.B, cells int) {
	ds := benchDataset(cells)
	db, err := Open(filepath.Join(b.TempDir(), "s.db"), &Options{Clock: fixedClock})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	info, err := db.AddDataset(context.Background(), "bench", ds, AddOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c0 := cputime.Used()
		err := db.View(func(tx *Tx) error {
			m, err := tx.Matrix(info.ID)
			if err == nil && m.NNZ() != ds.X.NNZ() {
				err = fmt.Errorf("read %d nonzeros, want %d", m.NNZ(), ds.X.NNZ())
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		cpu += cputime.Used() - c0
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(cells*b.N)/sec, "cells/s")
	b.ReportMetric(float64(ds.X.NNZ()*b.N)/sec/1e6, "Mnnz/s")
	b.ReportMetric(float64(cells*b.N)/cpu.Seconds(), "cells/cpu-s")
}

// BenchmarkStoreWrite measures AddDataset of a random 2000-gene count
// matrix with ~100 nonzeros per cell (open, one transaction, fsync, close).
// The 1M-cell size runs with -long or when -bench names "1M".
func BenchmarkStoreWrite(b *testing.B) {
	for _, cells := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("cells=%s", human(cells)), func(b *testing.B) {
			if cells >= 1_000_000 && !*long && !benchNamed("1M") {
				b.Skip("1M cells: run with -long or -bench 'StoreWrite/cells=1M'")
			}
			benchWrite(b, cells)
		})
	}
}

// BenchmarkMatrixRead measures reading a whole stored matrix back.
func BenchmarkMatrixRead(b *testing.B) {
	for _, cells := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("cells=%s", human(cells)), func(b *testing.B) {
			if cells >= 1_000_000 && !*long && !benchNamed("1M") {
				b.Skip("1M cells: run with -long or -bench 'MatrixRead/cells=1M'")
			}
			benchRead(b, cells)
		})
	}
}

func human(n int) string {
	if n >= 1_000_000 {
		return fmt.Sprintf("%dM", n/1_000_000)
	}
	return fmt.Sprintf("%dk", n/1000)
}

// BenchmarkVectorReader measures single-vector reads of a 100k × 64 space
// in random order through one VectorReader, as an int8 index's re-ranking
// does: one B+tree lookup, a checksum and a copy per vector.
func BenchmarkVectorReader(b *testing.B) {
	const n, dim = 100_000, 64
	db := openTemp(b)
	r := rand.New(rand.NewPCG(1, 2))
	ids, vecs := randomVectors(r, n, dim)
	if err := db.Update(func(tx *Tx) error {
		return tx.PutEmbeddings("cells", 1, ids, dim, vecs, Provenance{Kind: "bench"})
	}); err != nil {
		b.Fatal(err)
	}
	order := make([]uint32, 1<<16)
	for i := range order {
		order[i] = uint32(r.IntN(n))
	}
	err := db.View(func(tx *Tx) error {
		vr, err := tx.VectorReader("cells")
		if err != nil {
			return err
		}
		buf := make([]float32, 0, dim)
		i := 0
		for b.Loop() {
			id := order[i&(len(order)-1)]
			if buf, err = vr.Vector(1, id, buf); err != nil || buf[0] != vecs[int(id)*dim] {
				return fmt.Errorf("vector %d: %v", id, err)
			}
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "vectors/s")
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
