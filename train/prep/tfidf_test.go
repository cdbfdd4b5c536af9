package prep

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"genestore/internal/sparse"
)

func TestTFIDFAndBinarize(t *testing.T) {
	// 2 cells × 3 features: cell 0 = (1, 3, 0), cell 1 = (0, 1, 0).
	x := &sparse.CSR{Rows: 2, Cols: 3, Indptr: []int64{0, 2, 3}, Indices: []int32{0, 1, 1}, Data: []float32{1, 3, 1}}
	got, err := TFIDF(x, 10)
	if err != nil {
		t.Fatal(err)
	}
	// value = log1p(x / cell total × cells / feature total × scale)
	want := []float64{math.Log1p(1.0 / 4 * 2 / 1 * 10), math.Log1p(3.0 / 4 * 2 / 4 * 10), math.Log1p(1.0 / 1 * 2 / 4 * 10)}
	for k, w := range want {
		if math.Abs(float64(got.Data[k])-w) > 1e-5 {
			t.Errorf("value %d: %v, want %v", k, got.Data[k], w)
		}
	}
	if x.Data[1] != 3 {
		t.Error("TFIDF changed its input")
	}
	b := Binarize(x)
	if b.Data[0] != 1 || b.Data[1] != 1 || b.Data[2] != 1 || x.Data[1] != 3 {
		t.Errorf("Binarize: %v (input %v)", b.Data, x.Data)
	}
	if _, err := TFIDF(&sparse.CSR{Rows: 1, Cols: 1, Indptr: []int64{0, 1}, Indices: []int32{0}, Data: []float32{-1}}, 0); err == nil {
		t.Error("negative count accepted")
	}
}

// TestTFIDFStoredZeroAndCoexprNaN: a stored zero in a feature with no
// counts stays 0 (it was 0/0 = NaN), and Coexpression refuses a non-finite
// value instead of indexing its histogram with int(NaN).
func TestTFIDFStoredZeroAndCoexprNaN(t *testing.T) {
	X := &sparse.CSR{Rows: 4, Cols: 3, Indptr: []int64{0, 3, 5, 7, 9},
		Indices: []int32{0, 1, 2, 0, 1, 0, 1, 0, 1}, Data: []float32{1, 2, 0, 3, 1, 2, 2, 1, 4}}
	got, err := TFIDF(X, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got.Data {
		if math.IsNaN(float64(v)) {
			t.Fatalf("TF-IDF value %d is NaN", i)
		}
	}
	bad := *X
	bad.Data = slices.Clone(X.Data)
	bad.Data[0] = float32(math.NaN())
	if _, err := Coexpression(context.Background(), &bad, DefaultCoexprOptions()); !errors.Is(err, ErrInput) {
		t.Fatalf("NaN input: %v, want ErrInput", err)
	}
}
