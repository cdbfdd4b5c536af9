package query_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"genestore/query"
	"genestore/query/backend"
	"genestore/query/backend/simstore"
	"genestore/store"

	"genestore/internal/cputime"
)

// The benchmark store (20k genes × 32 dims; 100k cells, 1M with -long) is
// built once per process, with its indexes saved, under a temporary
// directory removed by TestMain.
var (
	benchOnce sync.Once
	benchFix  *benchFixture
	benchErr  error
	benchDir  string
)

type benchFixture struct {
	e     *query.Engine
	tr    *simstore.Truth
	cells int
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func benchCells() int {
	if *long {
		return 1_000_000
	}
	return 100_000
}

func getBench(b *testing.B) *benchFixture {
	benchOnce.Do(func() {
		ctx := context.Background()
		benchDir, benchErr = os.MkdirTemp("", "genestore-bench-")
		if benchErr != nil {
			return
		}
		db, err := store.Open(filepath.Join(benchDir, "bench.db"), nil)
		if err != nil {
			benchErr = err
			return
		}
		n := benchCells()
		t0 := time.Now()
		tr, err := simstore.Build(ctx, db, simstore.BenchConfig(n))
		if err != nil {
			benchErr = err
			return
		}
		t1 := time.Now()
		bk, _ := backend.New(db, backend.DefaultOptions())
		if benchErr = bk.Warm(ctx, query.SpaceGenes, query.SpaceCells); benchErr != nil {
			return
		}
		fmt.Fprintf(os.Stderr, "bench store: %d cells written in %.1fs; indexes built in %.1fs\n", n, t1.Sub(t0).Seconds(), time.Since(t1).Seconds())
		e, _ := query.New(bk, query.Options{})
		benchFix = &benchFixture{e: e, tr: tr, cells: n}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchFix
}

// latency runs op b.N times and reports p50/p99 wall latency, CPU time per
// op (the figure least disturbed by a busy machine) and queries per second.
func latency(b *testing.B, op func(i int) error) {
	lat := make([]time.Duration, 0, b.N)
	cpu0 := cputime.Seconds()
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		if err := op(i); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	b.StopTimer()
	wall := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric((cputime.Seconds()-cpu0)*1e6/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(b.N)/wall.Seconds(), "qps")
}

func BenchmarkGeneNeighbors(b *testing.B) {
	f := getBench(b)
	rng := rand.New(rand.NewPCG(1, 2))
	latency(b, func(int) error {
		_, err := f.e.GeneNeighbors(context.Background(), query.GeneNeighborsRequest{Symbol: simstore.Symbol(rng.IntN(20000)), K: 10})
		return err
	})
}

func BenchmarkCellNeighbors(b *testing.B) {
	f := getBench(b)
	rng := rand.New(rand.NewPCG(1, 3))
	latency(b, func(int) error {
		d := rng.IntN(2)
		r := rng.IntN(len(f.tr.Barcodes[d]))
		_, err := f.e.CellNeighbors(context.Background(), query.CellNeighborsRequest{Dataset: f.tr.Datasets[d], Barcode: f.tr.Barcodes[d][r], K: 10})
		return err
	})
}

func BenchmarkGeneCells(b *testing.B) {
	f := getBench(b)
	rng := rand.New(rand.NewPCG(1, 4))
	latency(b, func(int) error {
		_, err := f.e.GeneCells(context.Background(), query.GeneCellsRequest{Symbol: simstore.Symbol(rng.IntN(20000)), K: 10})
		return err
	})
}

// BenchmarkClusterGenes: kNN graph of the 20k consensus gene vectors through
// the index, then Leiden; reports seconds per clustering.
func BenchmarkClusterGenes(b *testing.B) { benchCluster(b, query.SpaceGenes) }

// BenchmarkClusterCells: the same over every cell.
func BenchmarkClusterCells(b *testing.B) { benchCluster(b, query.SpaceCells) }

func benchCluster(b *testing.B, space string) {
	f := getBench(b)
	cpu0 := cputime.Seconds()
	b.ResetTimer()
	var s *query.ClusterSummary
	for i := 0; i < b.N; i++ {
		var err error
		s, err = f.e.Clusters(context.Background(), query.ClusterRequest{Space: space, Compute: true, Recompute: true})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/clustering")
	b.ReportMetric((cputime.Seconds()-cpu0)/float64(b.N), "cpu-s/clustering")
	b.ReportMetric(float64(len(s.Clusters)), "clusters")
	b.ReportMetric(float64(s.Entities), "entities")
}
