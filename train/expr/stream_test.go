package expr

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// TestPredictStreamsBoundedMemory predicts 10,000 targets for 100,000
// cells (4 GB of float32 if held at once) and checks that the heap stays
// far below that while blocks stream out.
func TestPredictStreamsBoundedMemory(t *testing.T) {
	if !*long {
		t.Skip("long test: -args -long")
	}
	const L, T, cells = 100, 10000, 100000
	train := simData(11, 1, 400, L, T, 6)
	o := DefaultOptions()
	o.Landmarks = simLandmarks(L)
	o.Hidden = []int{16}
	o.Epochs = 3
	m, err := Fit(context.Background(), train, o)
	if err != nil {
		t.Fatal(err)
	}
	// The query measures only the landmarks.
	q := Dataset{Name: "big", Genes: simLandmarks(L), X: make([]float32, cells*L)}
	src := simData(12, 1, 1000, L, 1, 6)[0]
	for r := range cells {
		copy(q.X[r*L:(r+1)*L], src.X[(r%1000)*(L+1):(r%1000)*(L+1)+L])
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	rows, blocks := 0, 0
	start := time.Now()
	info, err := m.Predict(context.Background(), &q, PredictOptions{BlockRows: 512}, func(first, n int, v []float32) error {
		rows += n
		blocks++
		if blocks%20 == 1 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rows × %d targets in %d blocks, %v; heap over the query and model: peak %d MiB; %d query means",
		rows, T, blocks, time.Since(start).Round(time.Millisecond), (peak-base)>>20, info.QueryMeans)
	if rows != cells || info.QueryMeans != 0 {
		t.Fatalf("rows %d, query means %d", rows, info.QueryMeans)
	}
	if peak-base > 512<<20 {
		t.Errorf("heap grew by %d MiB while streaming", (peak-base)>>20)
	}
}
