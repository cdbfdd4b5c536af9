// Command umapbench times layout.Fit on raw vectors, for bench/umap_vs_tsne.py
// and the 1M-point timing in the README. It is not part of the CLI.
//
//	go run ./layout/internal/umapbench --fvecs base.fvecs --out coords.f32
//	go run ./layout/internal/umapbench --gen 1000000 --dim 64 --out /tmp/c.f32
//
// The kNN graph comes from an HNSW index (package index, cosine) or, with
// --exact, from query/cluster's exact search. It prints one JSON line:
// points, knn_seconds, layout_seconds, points_per_second, init.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"time"

	"genestore/index"
	"genestore/layout"
	"genestore/query/cluster"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "umapbench:", err)
		os.Exit(1)
	}
}

func run() error {
	fvecs := flag.String("fvecs", "", "vectors in .fvecs format")
	gen := flag.Int("gen", 0, "generate this many Gaussian-mixture vectors instead")
	dim := flag.Int("dim", 64, "dimension of generated vectors")
	clusters := flag.Int("clusters", 100, "mixture components of generated vectors")
	exact := flag.Bool("exact", false, "exact kNN (O(n²)) instead of HNSW")
	efc := flag.Int("ef-construction", 100, "HNSW efConstruction")
	ef := flag.Int("ef", 32, "HNSW search beam")
	epochs := flag.Int("epochs", 0, "SGD epochs (0: umap-learn's choice)")
	threads := flag.Int("threads", 0, "SGD threads (0: all)")
	seed := flag.Uint64("seed", 1, "seed")
	out := flag.String("out", "", "write n×2 float32 coordinates here (little-endian)")
	cache := flag.String("knn-cache", "", "read the kNN graph from this file if it exists, else write it there")
	flag.Parse()
	ctx := context.Background()
	var x []float32
	var n, d int
	var err error
	if *gen > 0 {
		n, d = *gen, *dim
		x = mixture(n, d, *clusters, *seed)
	} else if x, n, d, err = readFvecs(*fvecs); err != nil {
		return err
	}
	k := layout.DefaultNNeighbors - 1
	t0 := time.Now()
	var ids [][]uint32
	var dists [][]float32
	cached := false
	if *cache != "" {
		if ids, dists, err = readKNN(*cache, n, k); err == nil {
			cached = true
		} else if !os.IsNotExist(err) {
			return err
		}
	}
	switch {
	case cached:
	case *exact:
		ids, dists, err = cluster.KNN(ctx, x, n, d, k, cluster.Cosine)
	default:
		ids, dists, err = hnswKNN(ctx, x, n, d, k, *efc, *ef)
	}
	if err != nil {
		return err
	}
	if *cache != "" && !cached {
		if err := writeKNN(*cache, ids, dists, k); err != nil {
			return err
		}
	}
	tk := time.Since(t0).Seconds()
	t1 := time.Now()
	res, err := layout.Fit(ctx, ids, dists, x, d, layout.Options{Epochs: *epochs, Threads: *threads}, rand.NewPCG(*seed, 2))
	if err != nil {
		return err
	}
	tl := time.Since(t1).Seconds()
	if *out != "" {
		b := make([]byte, 0, 4*len(res.Coords))
		for _, c := range res.Coords {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(c))
		}
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			return err
		}
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"points": n, "dim": d, "knn_seconds": tk, "layout_seconds": tl,
		"points_per_second": float64(n) / tl, "init": res.Params.Init.String(), "epochs": res.Params.Epochs,
		"threads": res.Params.Threads, "knn_cached": cached, "components": res.Components, "gomaxprocs": runtime.GOMAXPROCS(0)})
}

func hnswKNN(ctx context.Context, x []float32, n, d, k, efc, ef int) ([][]uint32, [][]float32, error) {
	ix, err := index.New(d, index.Options{EfConstruction: efc, Seed: 1})
	if err != nil {
		return nil, nil, err
	}
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = uint64(i)
	}
	t := time.Now()
	if err := ix.AddBatch(ctx, keys, x); err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(os.Stderr, "index built in %.1fs\n", time.Since(t).Seconds())
	ids := make([][]uint32, n)
	dists := make([][]float32, n)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				me := uint64(i)
				res, err := ix.Search(ctx, x[i*d:(i+1)*d], k, index.SearchOptions{Ef: ef, Filter: func(key uint64) bool { return key != me }})
				if err != nil {
					errs[w] = err
					return
				}
				for _, r := range res {
					ids[i] = append(ids[i], uint32(r.Key))
					dists[i] = append(dists[i], max(r.Distance, 0))
				}
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return nil, nil, e
		}
	}
	return ids, dists, nil
}

// mixture draws n vectors around c random centres (unit-variance noise,
// centres N(0, 3²) per coordinate).
func mixture(n, d, c int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 3))
	centres := make([]float32, c*d)
	for i := range centres {
		centres[i] = float32(r.NormFloat64() * 3)
	}
	x := make([]float32, n*d)
	for i := 0; i < n; i++ {
		cc := r.IntN(c)
		for j := 0; j < d; j++ {
			x[i*d+j] = centres[cc*d+j] + float32(r.NormFloat64())
		}
	}
	return x
}

// readFvecs reads the .fvecs format: per vector, u32 dim then dim float32.
func readFvecs(path string) ([]float32, int, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, 0, 0, err
	}
	if len(b) < 4 {
		return nil, 0, 0, fmt.Errorf("%s: too short for .fvecs", path)
	}
	d := int(binary.LittleEndian.Uint32(b))
	rec := 4 + 4*d
	if d <= 0 || d > 1<<16 || len(b)%rec != 0 {
		return nil, 0, 0, fmt.Errorf("%s: %d bytes is not a whole number of %d-dimensional .fvecs records", path, len(b), d)
	}
	n := len(b) / rec
	x := make([]float32, 0, n*d)
	for i := 0; i < n; i++ {
		r := b[i*rec:]
		if int(binary.LittleEndian.Uint32(r)) != d {
			return nil, 0, 0, fmt.Errorf("%s: vector %d has dimension %d, not %d", path, i, binary.LittleEndian.Uint32(r), d)
		}
		for j := 0; j < d; j++ {
			x = append(x, math.Float32frombits(binary.LittleEndian.Uint32(r[4+4*j:])))
		}
	}
	return x, n, d, nil
}

// writeKNN stores the graph as n × k (u32 id, f32 distance) pairs, short
// rows padded with id 0xFFFFFFFF.
func writeKNN(path string, ids [][]uint32, dists [][]float32, k int) error {
	b := make([]byte, 0, len(ids)*k*8)
	for i := range ids {
		for j := 0; j < k; j++ {
			id, dv := uint32(math.MaxUint32), float32(0)
			if j < len(ids[i]) {
				id, dv = ids[i][j], dists[i][j]
			}
			b = binary.LittleEndian.AppendUint32(b, id)
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(dv))
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// readKNN reads what writeKNN wrote for n points and k neighbours.
func readKNN(path string, n, k int) ([][]uint32, [][]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if len(b) != n*k*8 {
		return nil, nil, fmt.Errorf("%s: %d bytes, want %d for %d points × %d neighbours", path, len(b), n*k*8, n, k)
	}
	ids := make([][]uint32, n)
	dists := make([][]float32, n)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			p := b[(i*k+j)*8:]
			id := binary.LittleEndian.Uint32(p)
			if id == math.MaxUint32 {
				continue
			}
			if int(id) >= n {
				return nil, nil, fmt.Errorf("%s: point %d has neighbour %d of %d", path, i, id, n)
			}
			ids[i] = append(ids[i], id)
			dists[i] = append(dists[i], math.Float32frombits(binary.LittleEndian.Uint32(p[4:])))
		}
	}
	return ids, dists, nil
}
