package command

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"genestore/internal/sparse"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/vocab"
)

// envCLI makes the test binary run as the genestore command (TestMain), so
// that process-level tests start real second processes without a build.
const envCLI = "GENESTORE_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(envCLI) == "1" {
		err := NewRootCommand().ExecuteContext(context.Background())
		if err != nil {
			fmt.Fprintln(os.Stderr, "genestore:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// cli returns a genestore process (this test binary in CLI mode) running
// args; its stderr, when captured, comes on the returned reader.
func cli(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), envCLI+"=1")
	return cmd
}

// startServe starts `serve` on a free loopback port and returns its base URL.
func startServe(t *testing.T, path string) string {
	t.Helper()
	srv := cli(t, "--store", path, "serve", "--addr", "127.0.0.1:0")
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Signal(os.Interrupt); srv.Wait() })
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if _, u, ok := strings.Cut(sc.Text(), " on http://"); ok {
				urlc <- "http://" + u
			}
		}
		close(urlc)
	}()
	select {
	case u, ok := <-urlc:
		if !ok {
			t.Fatal("serve exited before listening")
		}
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	return ""
}

func getDatasets(base string) ([]string, error) {
	resp, err := http.Get(base + "/v1/datasets")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	var ds []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(b, &ds); err != nil {
		return nil, fmt.Errorf("%v: %s", err, b)
	}
	var names []string
	for _, d := range ds {
		names = append(names, d.Name)
	}
	return names, nil
}

// TestServeAndCLIAppendShareStore: a running `serve` (one process, under a
// steady stream of requests) does not keep a CLI `append` (another process)
// out of the store, and the server's next answer lists the new dataset.
func TestServeAndCLIAppendShareStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	sample := filepath.Join(repoRoot, "testdata", "sample")
	mustRun(t, "--store", path, "ingest", "--name", "pbmc_small", filepath.Join(sample, "pbmc_small"))
	base := startServe(t, path)
	if names, err := getDatasets(base); err != nil || len(names) != 1 {
		t.Fatalf("datasets before: %v, %v", names, err)
	}
	// Keep the server busy meanwhile: two clients with no pause.
	var stop atomic.Bool
	var served, failed atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if _, err := getDatasets(base); err != nil {
					failed.Add(1)
					t.Logf("request during the append: %v", err)
				} else {
					served.Add(1)
				}
			}
		}()
	}
	start := time.Now()
	out, err := cli(t, "--store", path, "--lock-timeout", "10s", "append", "--name", "pbmc3k", filepath.Join(sample, "pbmc3k_sct283")).CombinedOutput()
	took := time.Since(start)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatalf("CLI append while serve runs: %v\n%s", err, out)
	}
	t.Logf("append took %v while the server answered %d requests (%d failed)", took.Round(time.Millisecond), served.Load(), failed.Load())
	if failed.Load() > 0 {
		t.Errorf("%d requests failed during the append", failed.Load())
	}
	names, err := getDatasets(base)
	if err != nil || len(names) != 2 || names[1] != "pbmc3k" {
		t.Fatalf("datasets after the append: %v, %v", names, err)
	}
}

// countsDataset is a random count matrix of cells × genes with three
// batches, enough for the cell model to train on.
func countsDataset(cells, genes, perCell int, seed uint64) *ingest.Dataset {
	r := rand.New(rand.NewPCG(seed, 1))
	x := &sparse.CSR{Rows: cells, Cols: genes, Indptr: make([]int64, cells+1)}
	ds := &ingest.Dataset{Format: "mtx", Source: "synthetic", SHA256: fmt.Sprintf("%064x", seed), Values: vocab.Counts, X: x}
	batch := ingest.ObsColumn{Name: "batch", Categorical: true}
	for i := range cells {
		step := genes / perCell
		for c := r.IntN(step); c < genes; c += 1 + r.IntN(2*step-1) {
			x.Indices = append(x.Indices, int32(c))
			x.Data = append(x.Data, float32(1+r.IntN(1+(c+i%7)%9)))
		}
		x.Indptr[i+1] = int64(len(x.Indices))
		ds.Barcodes = append(ds.Barcodes, fmt.Sprintf("C%06d", i))
		batch.Values = append(batch.Values, fmt.Sprintf("b%d", i%3))
	}
	for g := range genes {
		ds.Genes = append(ds.Genes, ingest.Gene{ID: fmt.Sprintf("ENSG%06d", g), Symbol: fmt.Sprintf("G%05d", g)})
	}
	ds.Obs = []ingest.ObsColumn{batch}
	return ds
}

// TestQueriesWhileTrainCells: `train cells` on a 20,000-cell store (another
// process) holds no lock while it trains, so queries answer meanwhile, well
// within the default lock timeout; its commit then succeeds.
func TestQueriesWhileTrainCells(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddDataset(t.Context(), "big", countsDataset(20000, 400, 25, 1), store.AddOptions{BatchKey: "batch"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	train := cli(t, "--store", path, "-q", "train", "cells", "--epochs", "3", "--hvg", "200", "--latent", "8", "--seed", "1")
	stderr, err := train.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := train.Start(); err != nil {
		t.Fatal(err)
	}
	training := make(chan struct{})
	var log strings.Builder
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "cell model: 20000 cells") {
				once.Do(func() { close(training) })
			}
		}
	}()
	exited := make(chan error, 1)
	select {
	case <-training:
	case <-time.After(60 * time.Second):
		t.Fatal("train cells did not start training")
	}
	go func() { <-logDone; exited <- train.Wait() }()
	queries, slowest := 0, time.Duration(0)
	for {
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("train cells: %v\n%s", err, log.String())
			}
			t.Logf("%d queries while training (slowest %v)", queries, slowest.Round(time.Millisecond))
			if queries < 3 {
				t.Fatalf("training ended after %d queries: too short to show anything", queries)
			}
			if out := mustRun(t, "--store", path, "datasets"); !strings.Contains(out, "big") {
				t.Fatalf("datasets after training:\n%s", out)
			}
			return
		default:
		}
		start := time.Now()
		out, err := run(t, "--store", path, "--lock-timeout", "2s", "datasets", "--json")
		el := time.Since(start)
		if err != nil || !strings.Contains(out, `"big"`) {
			t.Fatalf("datasets while train cells runs (after %v): %v\n%s", el, err, out)
		}
		queries++
		slowest = max(slowest, el)
		time.Sleep(100 * time.Millisecond)
	}
}
