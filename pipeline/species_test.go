package pipeline

import (
	"context"
	"errors"
	"testing"
)

func TestRetrievalCountsOwnVectorAmongK(t *testing.T) {
	// Dataset 0: a, b, c; dataset 1: a, b, c, d. a's own vector is its
	// nearest, b's is second behind d, c has the opposite direction.
	st := &stackedGenes{dim: 2,
		genes:    []string{"a", "b", "c", "a", "b", "c", "d"},
		datasets: []int{0, 0, 0, 1, 1, 1, 1},
		vecs:     []float32{1, 0, 0, 1, 1, 0, 1, 0, 0.6, 0.8, -1, 0, 0, 1}}
	for _, tc := range []struct {
		k    int
		want float64
	}{{1, 1.0 / 3}, {2, 2.0 / 3}, {4, 1}} {
		share, n, nTo := retrieval(st, tc.k)
		if share != tc.want || n != 3 || nTo != 4 {
			t.Errorf("k %d: share %.3f of %d genes (%d candidates), want %.3f of 3 (4)", tc.k, share, n, nTo, tc.want)
		}
	}
}

func TestRetrieveOrthologsRefusesBadRequests(t *testing.T) {
	db, _ := simStore(t, smallSim(), 2)
	if _, err := RetrieveOrthologs(context.Background(), db, "D1", "D2", 0, 1, nil); !errors.Is(err, ErrSpecies) {
		t.Errorf("k 0: %v", err)
	}
	if _, err := RetrieveOrthologs(context.Background(), db, "D1", "D2", 10, 1, nil); err == nil {
		t.Error("no gene model: no error")
	}
}
