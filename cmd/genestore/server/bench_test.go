package server_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"genestore/cmd/genestore/server"
	"genestore/query"
	"genestore/query/backend"
	"genestore/query/eval"
	"genestore/query/querytest"
	"genestore/store"
	"genestore/vocab"

	"genestore/internal/cputime"
)

// The benchmark store of issue 6 (20k genes × 32 dims; 100k cells, 1M with
// -long), built once per process under a temporary directory that TestMain
// removes. In-process and HTTP benchmarks share it, so their figures compare.
var (
	benchOnce sync.Once
	benchFix  *benchFixture
	benchErr  error
	benchDir  string
)

type benchFixture struct {
	e  *query.Engine
	tr *querytest.Truth
	ts *httptest.Server
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchFix != nil {
		benchFix.ts.Close()
	}
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func getBench(b *testing.B) *benchFixture {
	benchOnce.Do(func() {
		ctx := context.Background()
		if benchDir, benchErr = os.MkdirTemp("", "genestore-bench-"); benchErr != nil {
			return
		}
		db, err := store.Open(filepath.Join(benchDir, "bench.db"), nil)
		if err != nil {
			benchErr = err
			return
		}
		n := 100_000
		if *long {
			n = 1_000_000
		}
		t0 := time.Now()
		tr, err := querytest.Build(ctx, db, querytest.BenchConfig(n))
		if err != nil {
			benchErr = err
			return
		}
		t1, c1 := time.Now(), cputime.Seconds()
		bk, _ := backend.New(db, backend.DefaultOptions())
		if benchErr = bk.Warm(ctx, vocab.SpaceGenes, vocab.SpaceCells); benchErr != nil {
			return
		}
		fmt.Fprintf(os.Stderr, "bench store: %d cells + 60k gene vectors written in %.1fs; indexes built in %.1fs (%.1f CPU-s)\n",
			n, t1.Sub(t0).Seconds(), time.Since(t1).Seconds(), cputime.Seconds()-c1)
		e, _ := query.New(bk, query.Options{})
		s, err := server.New(e, server.DefaultOptions())
		if err != nil {
			benchErr = err
			return
		}
		benchFix = &benchFixture{e: e, tr: tr, ts: httptest.NewServer(s)}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchFix
}

// latency runs op b.N times, one at a time, and reports p50/p99 wall
// latency, CPU time per op (client and server, the figure least disturbed by
// a busy machine) and queries per second.
func latency(b *testing.B, op func() error) {
	lat := make([]time.Duration, 0, b.N)
	cpu0 := cputime.Seconds()
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		if err := op(); err != nil {
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

func (f *benchFixture) randCell(rng *rand.Rand) (string, string) {
	d := rng.IntN(len(f.tr.Datasets))
	return f.tr.Datasets[d], f.tr.Barcodes[d][rng.IntN(len(f.tr.Barcodes[d]))]
}

func BenchmarkInProcessGeneNeighbors(b *testing.B) {
	f := getBench(b)
	rng := rand.New(rand.NewPCG(1, 2))
	latency(b, func() error {
		_, err := f.e.GeneNeighbors(context.Background(), query.GeneNeighborsRequest{Symbol: querytest.Symbol(rng.IntN(20000)), K: 10})
		return err
	})
}

func BenchmarkInProcessCellNeighbors(b *testing.B) {
	f := getBench(b)
	rng := rand.New(rand.NewPCG(1, 3))
	latency(b, func() error {
		ds, bc := f.randCell(rng)
		_, err := f.e.CellNeighbors(context.Background(), query.CellNeighborsRequest{Dataset: ds, Barcode: bc, K: 10})
		return err
	})
}

// BenchmarkInProcessGeneCells: the cells most associated with a gene, an
// exact inner-product scan over every cell vector.
func BenchmarkInProcessGeneCells(b *testing.B) {
	f := getBench(b)
	rng := rand.New(rand.NewPCG(1, 4))
	latency(b, func() error {
		_, err := f.e.GeneCells(context.Background(), query.GeneCellsRequest{Symbol: querytest.Symbol(rng.IntN(20000)), K: 10})
		return err
	})
}

func httpGet(c *http.Client, u string) error {
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return nil
}

func BenchmarkHTTPGeneNeighbors(b *testing.B) {
	f := getBench(b)
	rng := rand.New(rand.NewPCG(1, 2))
	c := f.ts.Client()
	latency(b, func() error {
		return httpGet(c, f.ts.URL+"/v1/genes/"+querytest.Symbol(rng.IntN(20000))+"/neighbors?k=10")
	})
}

func BenchmarkHTTPCellNeighbors(b *testing.B) {
	f := getBench(b)
	rng := rand.New(rand.NewPCG(1, 3))
	c := f.ts.Client()
	latency(b, func() error {
		ds, bc := f.randCell(rng)
		return httpGet(c, f.ts.URL+"/v1/cells/"+url.PathEscape(ds)+"/"+url.PathEscape(bc)+"/neighbors?k=10")
	})
}

// BenchmarkHTTPParallel: gene and cell neighbour requests from GOMAXPROCS×4
// client goroutines; reports throughput.
func BenchmarkHTTPParallel(b *testing.B) {
	f := getBench(b)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var seed uint64
	var mu sync.Mutex
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		seed++
		rng := rand.New(rand.NewPCG(seed, 9))
		mu.Unlock()
		for i := 0; pb.Next(); i++ {
			u := f.ts.URL + "/v1/genes/" + querytest.Symbol(rng.IntN(20000)) + "/neighbors?k=10"
			if i%2 == 1 {
				ds, bc := f.randCell(rng)
				u = f.ts.URL + "/v1/cells/" + ds + "/" + bc + "/neighbors?k=10"
			}
			if err := httpGet(c, u); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "qps")
}

// BenchmarkClusterGenes: Leiden over the SNN graph of the 20k consensus gene
// vectors' index neighbours (k = 15), stored; seconds per clustering.
func BenchmarkClusterGenes(b *testing.B) { benchCluster(b, vocab.SpaceGenes) }

// BenchmarkClusterCells: the same over every cell.
func BenchmarkClusterCells(b *testing.B) { benchCluster(b, vocab.SpaceCells) }

func benchCluster(b *testing.B, space string) {
	f := getBench(b)
	cpu0 := cputime.Seconds()
	b.ResetTimer()
	var s *query.ClusterSummary
	for i := 0; i < b.N; i++ {
		var err error
		if s, err = f.e.Clusters(context.Background(), query.ClusterRequest{Space: space, Compute: true, Recompute: true}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/clustering")
	b.ReportMetric((cputime.Seconds()-cpu0)/float64(b.N), "cpu-s/clustering")
	b.ReportMetric(float64(len(s.Clusters)), "clusters")
	b.ReportMetric(float64(s.Entities), "entities")
	if space == vocab.SpaceCells {
		ari, nmi := f.cellTypeAgreement(b, s)
		b.ReportMetric(ari, "ARI")
		b.ReportMetric(nmi, "NMI")
	}
}

// cellTypeAgreement scores the cells clustering s against the planted
// cell types.
func (f *benchFixture) cellTypeAgreement(b *testing.B, s *query.ClusterSummary) (ari, nmi float64) {
	var truth, pred []int
	for _, c := range s.Clusters {
		m, err := f.e.ClusterMembers(context.Background(), query.ClusterRequest{Space: vocab.SpaceCells}, c.ID, query.MemberOptions{MaxMembers: c.Size})
		if err != nil {
			b.Fatal(err)
		}
		for _, x := range m.Members {
			d := slices.Index(f.tr.Datasets, x.Dataset)
			truth = append(truth, f.tr.Types[d][x.ID])
			pred = append(pred, c.ID)
		}
	}
	ari, err := eval.ARI(truth, pred)
	if err != nil {
		b.Fatal(err)
	}
	nmi, err = eval.NMI(truth, pred)
	if err != nil {
		b.Fatal(err)
	}
	return ari, nmi
}
