package sim

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"genestore/internal/cputime"
)

var long = flag.Bool("long", false, "run long tests (1M cells × 2,000 genes written to a temporary directory)")

// benchConfig is one dataset of 2,000 genes with the default biology.
func benchConfig(cells int) Config {
	c := DefaultConfig()
	c.Datasets = 1
	c.Cells = cells
	return c
}

// BenchmarkFillBlock measures generation alone, one goroutine.
func BenchmarkFillBlock(b *testing.B) {
	cfg := benchConfig(blockCells)
	m := newModel(cfg)
	var cb cellBlock
	var sc scratch
	var nnz int
	cpu0 := cputime.Seconds()
	for b.Loop() {
		m.fillBlock(m.datasets[0], 0, &cb, &sc)
		nnz += len(cb.genes)
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N*blockCells)/sec, "cells/s")
	b.ReportMetric(float64(nnz)/sec, "nnz/s")
	b.ReportMetric(float64(b.N*blockCells)/(cputime.Seconds()-cpu0), "cells/CPU-s")
}

// BenchmarkGenerate measures the in-memory simulator on all CPUs.
func BenchmarkGenerate(b *testing.B) {
	cfg := benchConfig(8192)
	cpu0 := cputime.Seconds()
	for b.Loop() {
		if _, err := Generate(context.Background(), cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*cfg.Cells)/b.Elapsed().Seconds(), "cells/s")
	b.ReportMetric(float64(b.N*cfg.Cells)/(cputime.Seconds()-cpu0), "cells/CPU-s")
}

// BenchmarkWriteDir measures simulating and writing a 10x folder on all CPUs.
func BenchmarkWriteDir(b *testing.B) {
	cfg := benchConfig(8192)
	dir := b.TempDir()
	cpu0 := cputime.Seconds()
	for b.Loop() {
		if err := WriteDir(context.Background(), cfg, dir, nil); err != nil {
			b.Fatal(err)
		}
	}
	st, err := os.Stat(filepath.Join(dir, "D1", "matrix.mtx.gz"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N*cfg.Cells)/b.Elapsed().Seconds(), "cells/s")
	b.ReportMetric(float64(b.N*cfg.Cells)/(cputime.Seconds()-cpu0), "cells/CPU-s")
	b.ReportMetric(float64(st.Size())/float64(cfg.Cells), "gzbytes/cell")
}

// TestWriteDirMillion writes 1M cells × 2,000 genes (one dataset; $SIM_LONG_CELLS
// overrides the cell count) under $SIM_LONG_DIR or a temporary directory, and
// logs wall time, CPU time, peak RSS and output size. Only with -long.
func TestWriteDirMillion(t *testing.T) {
	if !*long {
		t.Skip("-long not set")
	}
	cells := 1_000_000
	if s := os.Getenv("SIM_LONG_CELLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("SIM_LONG_CELLS: %v", err)
		}
		cells = n
	}
	cfg := benchConfig(cells)
	dir := os.Getenv("SIM_LONG_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	lastLog := start
	err := WriteDir(context.Background(), cfg, dir, func(done, total int) {
		if time.Since(lastLog) > 30*time.Second {
			lastLog = time.Now()
			t.Logf("%d/%d cells, %.0f s", done, total, time.Since(start).Seconds())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Since(start)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano()+ru.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st, err := os.Stat(filepath.Join(dir, "D1", "matrix.mtx.gz"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d cells × %d genes: wall %.1f s (%.0f cells/s), CPU %.1f s (%.0f cells/CPU-s), peak RSS %d MiB, Go heap sys %d MiB, matrix.mtx.gz %d MiB, GOMAXPROCS %d",
		cfg.Cells, cfg.Genes, wall.Seconds(), float64(cfg.Cells)/wall.Seconds(), cpu.Seconds(), float64(cfg.Cells)/cpu.Seconds(),
		ru.Maxrss/1024, ms.HeapSys>>20, st.Size()>>20, runtime.GOMAXPROCS(0))
}
