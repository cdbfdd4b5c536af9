package annbench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"runtime/debug"

	"genestore/index"

	"github.com/coder/hnsw"
)

// genestoreSystem measures genestore/index.
type genestoreSystem struct {
	ix       *index.Index
	quantize string      // "float32" or "int8"
	floats   baseVectors // re-ranking source under int8
	rerank   int         // index.SearchOptions.Rerank under int8
	pack     bool        // pack the layer-0 links once loaded (index.PackLinks)
	upper    int         // index.SearchOptions.UpperBeam
}

// baseVectors serves the dataset's rows by row number (the key) for
// re-ranking, as a store would serve its embeddings.
type baseVectors struct {
	base []float32
	dim  int
}

func (b baseVectors) Vector(key uint64, dst []float32) ([]float32, bool) {
	if b.dim == 0 || key >= uint64(len(b.base)/b.dim) {
		return dst, false
	}
	o := int(key) * b.dim
	return append(dst, b.base[o:o+b.dim]...), true
}

// VectorView lends row key in place (index.VectorViews), as a store that
// maps its file would.
func (b baseVectors) VectorView(key uint64) ([]float32, bool) {
	if b.dim == 0 || key >= uint64(len(b.base)/b.dim) {
		return nil, false
	}
	o := int(key) * b.dim
	return b.base[o : o+b.dim : o+b.dim], true
}

func (s *genestoreSystem) name() string { return SystemGenestore }

func (s *genestoreSystem) version() string {
	v := fmt.Sprintf("index snapshot v%d, kernel %s, %s", index.SnapshotVersion, index.Kernel(), s.quantize)
	if s.pack {
		v += ", packed links"
	}
	return v
}

func (s *genestoreSystem) build(ctx context.Context, d *dataset, M, efc int, seed uint64, threads int) error {
	opts := index.DefaultOptions()
	opts.M, opts.EfConstruction, opts.Seed, opts.Threads = M, efc, seed, threads
	if s.quantize == "int8" {
		opts.Quantize = index.Int8
	}
	ix, err := index.New(d.dim, opts)
	if err != nil {
		return err
	}
	keys := make([]uint64, d.n)
	for i := range keys {
		keys[i] = uint64(i)
	}
	if err := ix.AddBatch(ctx, keys, d.base); err != nil {
		return err
	}
	s.ix = ix
	return nil
}

func (s *genestoreSystem) save(path string) error {
	return writeFile(path, func(w io.Writer) error {
		_, err := s.ix.WriteTo(w)
		return err
	})
}

func (s *genestoreSystem) load(path string, d *dataset) error {
	s.floats = baseVectors{d.base, d.dim}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("annbench: %w", err)
	}
	defer f.Close()
	ix, err := index.Read(f) // an *os.File lets Read size its arrays up front
	if err != nil {
		return err
	}
	if s.pack {
		ix.PackLinks()
	}
	s.ix = ix
	return nil
}

func (s *genestoreSystem) search(ctx context.Context, q []float32, k, ef int, out []uint64) ([]uint64, error) {
	return s.searchWith(ctx, q, k, index.SearchOptions{Ef: ef}, out)
}

func (s *genestoreSystem) searchWith(ctx context.Context, q []float32, k int, opts index.SearchOptions, out []uint64) ([]uint64, error) {
	if s.quantize == "int8" {
		opts.Floats, opts.Rerank = s.floats, s.rerank
	}
	opts.UpperBeam = s.upper
	res, err := s.ix.Search(ctx, q, k, opts)
	if err != nil {
		return nil, err
	}
	for _, r := range res {
		out = append(out, r.Key)
	}
	return out, nil
}

func (s *genestoreSystem) drop() { s.ix = nil }

// coderSystem measures github.com/coder/hnsw v0.6.1 as it is: its Add uses
// EfSearch as the build beam, so EfSearch is set to efConstruction while
// building and to ef while querying.
type coderSystem struct {
	g *hnsw.Graph[uint64]
	m int
}

func (s *coderSystem) name() string { return SystemCoderHNSW }

func (s *coderSystem) version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/coder/hnsw" {
				return m.Version
			}
		}
	}
	return "v0.6.1"
}

func (s *coderSystem) build(ctx context.Context, d *dataset, M, efc int, seed uint64, _ int) error {
	g := hnsw.NewGraph[uint64]()
	g.M, g.EfSearch, g.Distance = M, efc, hnsw.CosineDistance
	g.Rng = rand.New(rand.NewSource(int64(seed)))
	for i := range d.n {
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		// coder/hnsw keeps the slice: give it its own copy.
		v := make([]float32, d.dim)
		copy(v, d.base[i*d.dim:(i+1)*d.dim])
		g.Add(hnsw.MakeNode(uint64(i), v))
	}
	s.g, s.m = g, M
	return nil
}

func (s *coderSystem) save(path string) error {
	return writeFile(path, func(w io.Writer) error {
		if err := s.g.Export(w); err != nil {
			return fmt.Errorf("annbench: coder/hnsw export: %w", err)
		}
		return nil
	})
}

func (s *coderSystem) load(path string, _ *dataset) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("annbench: %w", err)
	}
	defer f.Close()
	g := hnsw.NewGraph[uint64]()
	if err := g.Import(bufio.NewReaderSize(f, 1<<20)); err != nil {
		return fmt.Errorf("annbench: coder/hnsw import: %w", err)
	}
	s.g = g
	return nil
}

func (s *coderSystem) search(_ context.Context, q []float32, k, ef int, out []uint64) ([]uint64, error) {
	s.g.EfSearch = ef
	for _, n := range s.g.Search(q, k) {
		out = append(out, n.Key)
	}
	return out, nil
}

func (s *coderSystem) drop() { s.g = nil }
