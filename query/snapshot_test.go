package query_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"genestore/index"
	"genestore/query"
	"genestore/query/backend"
	"genestore/query/querytest"
	"genestore/store"
	"genestore/vecindex"
	"genestore/vocab"
)

// TestOneSnapshotPerQuery: a writer commits new generations of the "genes"
// space (every consensus vector rewritten, stamped with model version
// "gen-<i>", the index saved in the same transaction on even i and left
// stale on odd i) while queries run. Every answer must come from one
// generation: its model version names generation i, and each neighbour's
// score is the cosine of generation i's vectors. An engine reading the
// model version, the query vector and the index in separate transactions
// mixes them.
func TestOneSnapshotPerQuery(t *testing.T) {
	f := newFixture(t, querytest.DefaultConfig())
	ctx := context.Background()
	// Indexes of these 720 vectors search exactly (default ExactBelow), so
	// the in-memory builds after unsaved commits stay cheap under -race.
	b, err := backend.New(f.db, backend.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if f.e, err = query.New(b, query.Options{}); err != nil {
		t.Fatal(err)
	}
	dim, n := f.cfg.Dim, f.cfg.Genes
	var gens sync.Map // model version → []float32 (n × dim, gene i at row i)
	io := index.DefaultOptions()
	io.Seed = 3
	write := func(i int) error {
		rng := rand.New(rand.NewPCG(uint64(i), 9))
		vecs := make([]float32, n*dim)
		for j := range vecs {
			vecs[j] = float32(rng.NormFloat64())
		}
		ver := fmt.Sprintf("gen-%d", i)
		gens.Store(ver, vecs)
		return f.db.Update(func(tx *store.Tx) error {
			err := tx.PutEmbeddings(vocab.SpaceGenes, vocab.Consensus, f.tr.GeneIDs, dim, vecs,
				store.Provenance{Kind: "gene-model", ModelVersion: ver})
			if err != nil || i%2 == 1 {
				return err
			}
			ix, err := vecindex.Current(ctx, tx, vocab.SpaceGenes, nil, io)
			if err != nil {
				return err
			}
			return vecindex.Save(tx, vocab.SpaceGenes, ix)
		})
	}
	if err := write(0); err != nil {
		t.Fatal(err)
	}
	var (
		stop    atomic.Bool
		wg      sync.WaitGroup
		answers atomic.Int64
		commits int
	)
	errs := make(chan error, 4)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				g := (w*37 + i*11) % n
				a, err := f.e.GeneNeighbors(ctx, query.GeneNeighborsRequest{Symbol: f.tr.Symbols[g], K: 5})
				if err != nil {
					errs <- err
					return
				}
				if err := checkGeneration(&gens, f, a, g, dim); err != nil {
					errs <- err
					return
				}
				answers.Add(1)
			}
		}(w)
	}
	start := time.Now()
	for i := 1; len(errs) == 0; i++ {
		if el := time.Since(start); el > 10*time.Second || (el > time.Second && commits >= 5 && answers.Load() >= 20) {
			break
		}
		if err := write(i); err != nil {
			t.Fatal(err)
		}
		commits++
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d answers during %d commits", answers.Load(), commits)
	if answers.Load() < 10 || commits < 5 {
		t.Errorf("too little overlap to test: %d answers, %d commits", answers.Load(), commits)
	}
}

// checkGeneration checks that answer a for gene g is the one of the
// generation its model version names.
func checkGeneration(gens *sync.Map, f *fixture, a *query.GeneNeighbors, g, dim int) error {
	v, ok := gens.Load(a.ModelVersion)
	if !ok {
		return fmt.Errorf("answer of model %q: no such generation", a.ModelVersion)
	}
	vecs := v.([]float32)
	row := func(id uint32) []float32 {
		for i, gid := range f.tr.GeneIDs {
			if gid == id {
				return vecs[i*dim : (i+1)*dim]
			}
		}
		return nil
	}
	q := vecs[g*dim : (g+1)*dim]
	for _, h := range a.Neighbors {
		if h.ModelVersion != a.ModelVersion {
			return fmt.Errorf("answer of model %q has a neighbour of model %q", a.ModelVersion, h.ModelVersion)
		}
		r := row(h.GeneID)
		var ab, aa, bb float64
		for j := range q {
			ab += float64(q[j]) * float64(r[j])
			aa += float64(q[j]) * float64(q[j])
			bb += float64(r[j]) * float64(r[j])
		}
		if want := ab / math.Sqrt(aa*bb); math.Abs(want-float64(h.Score)) > 1e-3 {
			return fmt.Errorf("answer of model %q: %s scores %.4f, its cosine in that generation is %.4f (mixed generations)",
				a.ModelVersion, h.Symbol, h.Score, want)
		}
	}
	return nil
}
