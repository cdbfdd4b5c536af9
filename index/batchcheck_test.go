package index

import (
	"bytes"
	"context"
	"errors"
	"math"
	"sync"
	"testing"
)

// TestAddBatchZeroRowInsertsNothing: a zero row under Cosine fails the
// batch before any row goes in (it once failed at its turn, with every
// row before it inserted), with one thread or several.
func TestAddBatchZeroRowInsertsNothing(t *testing.T) {
	for _, thr := range []int{1, 2} {
		ix, _ := New(2, Options{Threads: thr})
		keys := make([]uint64, 3000)
		vecs := make([]float32, 2*3000)
		for i := range keys {
			keys[i] = uint64(i)
			vecs[2*i] = 1
		}
		vecs[2*2999] = 0
		err := ix.AddBatch(context.Background(), keys, vecs)
		if !errors.Is(err, ErrVector) || ix.Len() != 0 {
			t.Errorf("threads %d: %v, %d rows inserted; want ErrVector and none", thr, err, ix.Len())
		}
	}
}

// TestSubnormalVector: a vector of subnormal floats normalises (1/‖v‖
// overflows float32; it once became +Inf and NaN, searched with NaN
// distances, and the snapshot did not read back).
func TestSubnormalVector(t *testing.T) {
	ix, _ := New(4, Options{})
	tiny := math.Float32frombits(1) // 1.4e-45
	if err := ix.Add(1, []float32{tiny, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Add(2, []float32{0, 1, 0, 0}); err != nil {
		t.Fatal(err)
	}
	res, err := ix.Search(context.Background(), []float32{1, 0, 0, 0}, 2, SearchOptions{})
	if err != nil || len(res) != 2 || res[0].Key != 1 || math.IsNaN(float64(res[0].Distance)) {
		t.Fatalf("search %v, %v", res, err)
	}
	var buf bytes.Buffer
	if _, err := ix.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(&buf); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
}

// TestParallelAddBatchConcurrentAdd: an Add of a key of a parallel batch,
// made while the batch runs, and the batch cannot both succeed (two live
// nodes for one key, a snapshot that does not read back).
func TestParallelAddBatchConcurrentAdd(t *testing.T) {
	const dim, n = 8, 6000
	vecs := mixture(1, n, dim, 4)
	for try := 0; try < 3; try++ {
		ix, _ := New(dim, Options{Threads: 2, EfConstruction: 16, M: 4})
		keys := make([]uint64, n)
		for i := range keys {
			keys[i] = uint64(i)
		}
		var wg sync.WaitGroup
		wg.Add(1)
		var addErr error
		go func() {
			defer wg.Done()
			for {
				err := ix.Add(n-1, vecs[:dim])
				if err == nil || errors.Is(err, ErrKeyExists) {
					addErr = err
					return
				}
			}
		}()
		batchErr := ix.AddBatch(context.Background(), keys, vecs)
		wg.Wait()
		if addErr == nil && batchErr == nil || ix.Nodes() != ix.Len() {
			t.Fatalf("try %d: Add %v, AddBatch %v, %d live keys, %d nodes", try, addErr, batchErr, ix.Len(), ix.Nodes())
		}
	}
}
