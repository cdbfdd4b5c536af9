package index

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// split draws n base vectors and nq queries from one mixture.
func split(seed uint64, n, nq, dim int) (base, queries []float32) {
	all := mixture(seed, n+nq, dim, 50)
	return all[:n*dim], all[n*dim:]
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []string // substrings of the joined error; nil: valid
	}{
		{"zero", Options{}, nil},
		{"defaults", DefaultOptions(), nil},
		{"bad", Options{M: 1, EfConstruction: -1, EfSearch: -2, Metric: 9},
			[]string{"M 1", "EfConstruction -1", "EfSearch -2", "metric 9"}},
		{"M too big", Options{M: MaxM + 1}, []string{"M 513"}},
		{"threads and quantization", Options{Threads: -1, Quantize: 7}, []string{"Threads -1", "quantization 7"}},
		{"int8, 4 threads", Options{Threads: 4, Quantize: Int8}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrOptions) {
				t.Fatalf("Validate = %v, want ErrOptions", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := New(0, Options{}); !errors.Is(err, ErrOptions) {
		t.Errorf("New(0) = %v, want ErrOptions", err)
	}
}

func TestAddErrors(t *testing.T) {
	ix, err := New(4, Options{})
	if err != nil {
		t.Fatal(err)
	}
	nan := float32(math.NaN())
	tests := []struct {
		name string
		key  uint64
		vec  []float32
		want error
	}{
		{"ok", 1, []float32{1, 2, 3, 4}, nil},
		{"short", 2, []float32{1, 2, 3}, ErrDimension},
		{"long", 2, []float32{1, 2, 3, 4, 5}, ErrDimension},
		{"nan", 2, []float32{1, nan, 3, 4}, ErrVector},
		{"inf", 2, []float32{1, float32(math.Inf(1)), 3, 4}, ErrVector},
		{"zero under cosine", 2, []float32{0, 0, 0, 0}, ErrVector},
		{"duplicate", 1, []float32{4, 3, 2, 1}, ErrKeyExists},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := ix.Add(tc.key, tc.vec); !errors.Is(err, tc.want) {
				t.Errorf("Add = %v, want %v", err, tc.want)
			}
		})
	}
	if ix.Len() != 1 {
		t.Errorf("Len = %d after failed adds, want 1", ix.Len())
	}
	ctx := context.Background()
	if _, err := ix.Search(ctx, []float32{1, 2}, 1, SearchOptions{}); !errors.Is(err, ErrDimension) {
		t.Errorf("Search short query = %v, want ErrDimension", err)
	}
	if _, err := ix.Search(ctx, []float32{1, 2, 3, 4}, 0, SearchOptions{}); !errors.Is(err, ErrOptions) {
		t.Errorf("Search k=0 = %v, want ErrOptions", err)
	}
	// AddBatch checks everything first and inserts nothing on error.
	err = ix.AddBatch(ctx, []uint64{7, 8}, []float32{1, 1, 1, 1, 1, nan, 1, 1})
	if !errors.Is(err, ErrVector) || ix.Len() != 1 {
		t.Errorf("AddBatch with NaN = %v, Len %d", err, ix.Len())
	}
	err = ix.AddBatch(ctx, []uint64{7, 7}, []float32{1, 1, 1, 1, 1, 2, 1, 1})
	if !errors.Is(err, ErrKeyExists) || ix.Len() != 1 {
		t.Errorf("AddBatch with repeated key = %v, Len %d", err, ix.Len())
	}
	// Inner product keeps vectors as given, zero included.
	ip, _ := New(2, Options{Metric: InnerProduct})
	if err := ip.Add(1, []float32{0, 0}); err != nil {
		t.Errorf("inner product zero vector: %v", err)
	}
}

func TestRecallAgainstExact(t *testing.T) {
	n, dim := 5000, 32
	if *long {
		n = 50000
	}
	base, queries := split(11, n, 100, dim)
	for _, m := range []Metric{Cosine, InnerProduct} {
		t.Run(m.String(), func(t *testing.T) {
			ix := build(t, dim, Options{Seed: 1, Metric: m, M: 12, EfConstruction: 100}, base)
			// ef 40 is the stated operating point; the graph is 5k × 32, M 12.
			if r := recallAt(t, ix, queries, 10, 40); r < 0.95 {
				t.Errorf("recall@10 at ef 40 = %.3f, want ≥ 0.95", r)
			}
			// Results are sorted, exactly k, with the true distances.
			ctx := context.Background()
			q := queries[:dim]
			res, err := ix.Search(ctx, q, 10, SearchOptions{Ef: 40})
			if err != nil || len(res) != 10 {
				t.Fatalf("Search: %v, %d results", err, len(res))
			}
			qq, _ := ix.prepare(q, true)
			for i, r := range res {
				v, ok := ix.Get(r.Key)
				if !ok {
					t.Fatalf("Get(%d) missing", r.Key)
				}
				if want := 1 - dotPortable(qq, v); !approx(r.Distance, want) {
					t.Errorf("result %d distance %v, want %v", i, r.Distance, want)
				}
				if i > 0 && res[i-1].Distance > r.Distance {
					t.Errorf("results not sorted at %d", i)
				}
			}
		})
	}
}

func TestSmallIndexIsExact(t *testing.T) {
	base, queries := split(12, 500, 20, 16)
	ix := build(t, 16, Options{Seed: 2, M: 4, EfConstruction: 8}, base)
	if r := recallAt(t, ix, queries, 10, 1); r != 1 {
		t.Errorf("recall below ExactBelow = %v, want 1", r)
	}
}

func TestDeleteReAddCompact(t *testing.T) {
	n, dim := 4000, 24
	base, queries := split(13, n, 50, dim)
	ix := build(t, dim, Options{Seed: 3}, base)
	ctx := context.Background()
	deleted := map[uint64]bool{}
	for k := uint64(0); k < uint64(n); k += 3 {
		if err := ix.Delete(k); err != nil {
			t.Fatal(err)
		}
		deleted[k] = true
	}
	if err := ix.Delete(0); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	if _, ok := ix.Get(0); ok || ix.Contains(0) {
		t.Error("deleted key still visible")
	}
	if got, want := ix.Len(), n-len(deleted); got != want {
		t.Errorf("Len = %d, want %d", got, want)
	}
	check := func(name string) {
		t.Helper()
		for i := 0; i < len(queries)/dim; i++ {
			res, err := ix.Search(ctx, queries[i*dim:(i+1)*dim], 10, SearchOptions{Ef: 40})
			if err != nil || len(res) != 10 {
				t.Fatalf("%s: Search: %v, %d results", name, err, len(res))
			}
			for _, r := range res {
				if deleted[r.Key] {
					t.Fatalf("%s: deleted key %d returned", name, r.Key)
				}
			}
		}
		if r := recallAt(t, ix, queries, 10, 40); r < 0.95 {
			t.Errorf("%s: recall@10 = %.3f, want ≥ 0.95", name, r)
		}
	}
	check("after delete")
	// Re-add a deleted key with a new vector: it is found as its own nearest.
	v := base[5*dim : 6*dim] // row 5 is live; give key 3 the same vector
	if err := ix.Add(3, v); err != nil {
		t.Fatalf("re-add: %v", err)
	}
	delete(deleted, 3)
	res, err := ix.Search(ctx, v, 2, SearchOptions{Exact: true})
	if err != nil || len(res) != 2 || !slices.Contains([]uint64{res[0].Key, res[1].Key}, 3) {
		t.Errorf("re-added key not found: %v %v", res, err)
	}
	check("after re-add")
	keys := ix.Keys()
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if ix.Nodes() != ix.Len() || !slices.Equal(keys, ix.Keys()) {
		t.Errorf("after Compact: %d nodes, %d live, keys equal %v", ix.Nodes(), ix.Len(), slices.Equal(keys, ix.Keys()))
	}
	check("after compact")
}

func TestDeleteEverything(t *testing.T) {
	base, _ := split(14, 300, 0, 8)
	ix := build(t, 8, Options{Seed: 4, ExactBelow: -1}, base)
	for k := range uint64(300) {
		if err := ix.Delete(k); err != nil {
			t.Fatal(err)
		}
	}
	res, err := ix.Search(context.Background(), base[:8], 5, SearchOptions{})
	if err != nil || len(res) != 0 {
		t.Errorf("Search on all-deleted index: %v, %v", res, err)
	}
	if err := ix.Add(7, base[:8]); err != nil {
		t.Fatal(err)
	}
	res, err = ix.Search(context.Background(), base[:8], 5, SearchOptions{})
	if err != nil || len(res) != 1 || res[0].Key != 7 {
		t.Errorf("Search after re-adding one: %v, %v", res, err)
	}
	for _, exact := range []bool{false, true} {
		res, err = ix.Search(context.Background(), base[:8], 1<<40, SearchOptions{Exact: exact})
		if err != nil || len(res) != 1 {
			t.Errorf("Search with huge k (exact %v): %v, %v", exact, res, err)
		}
	}
}

func TestFilteredSearch(t *testing.T) {
	n, dim := 5000, 24
	base, queries := split(15, n, 30, dim)
	ix := build(t, dim, Options{Seed: 5}, base)
	ctx := context.Background()
	tests := []struct {
		name      string
		filter    func(uint64) bool
		matches   int
		minRecall float64
	}{
		{"half", func(k uint64) bool { return k%2 == 0 }, n / 2, 0.95},
		{"tenth", func(k uint64) bool { return k%10 == 3 }, n / 10, 0.95},
		{"selective", func(k uint64) bool { return k%1000 == 7 }, 5, 1},
		{"none", func(k uint64) bool { return false }, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hits, total := 0, 0
			for i := 0; i < len(queries)/dim; i++ {
				q := queries[i*dim : (i+1)*dim]
				got, err := ix.Search(ctx, q, 10, SearchOptions{Ef: 20, Filter: tc.filter})
				if err != nil {
					t.Fatal(err)
				}
				want, err := ix.Search(ctx, q, 10, SearchOptions{Exact: true, Filter: tc.filter})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != min(10, tc.matches) || len(want) != len(got) {
					t.Fatalf("query %d: %d results, exact %d, want %d", i, len(got), len(want), min(10, tc.matches))
				}
				in := map[uint64]bool{}
				for _, r := range want {
					in[r.Key] = true
				}
				for _, r := range got {
					if !tc.filter(r.Key) {
						t.Fatalf("key %d does not pass the filter", r.Key)
					}
					if in[r.Key] {
						hits++
					}
				}
				total += len(want)
			}
			if total > 0 && float64(hits)/float64(total) < tc.minRecall {
				t.Errorf("filtered recall %.3f, want ≥ %.2f", float64(hits)/float64(total), tc.minRecall)
			}
		})
	}
}

// TestConcurrentSearchDuringInsert is meant for the race detector
// (go test -race): searches run while vectors are added and deleted.
func TestConcurrentSearchDuringInsert(t *testing.T) {
	n, dim := 3000, 16
	base, queries := split(16, n, 20, dim)
	ix := build(t, dim, Options{Seed: 6, ExactBelow: -1}, base[:1000*dim])
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wait := searchWhile(ctx, ix, queries, 3, 1)
	for i := 1000; i < n; i++ {
		if err := ix.Add(uint64(i), base[i*dim:(i+1)*dim]); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			if err := ix.Delete(uint64(i - 500)); err != nil {
				t.Fatal(err)
			}
		}
	}
	cancel()
	for _, err := range wait() {
		t.Error(err)
	}
}

func TestDeterministicBuild(t *testing.T) {
	base, _ := split(17, 1500, 0, 16)
	a := build(t, 16, Options{Seed: 9}, base)
	b := build(t, 16, Options{Seed: 9}, base)
	if !slices.Equal(a.links0, b.links0) || !slices.Equal(a.upper, b.upper) || !slices.Equal(a.levels, b.levels) {
		t.Error("two builds with the same seed differ")
	}
}

func TestSearchCancelled(t *testing.T) {
	base, _ := split(18, 100, 0, 8)
	ix := build(t, 8, Options{}, base)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ix.Search(ctx, base[:8], 3, SearchOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Search with cancelled ctx = %v", err)
	}
}
