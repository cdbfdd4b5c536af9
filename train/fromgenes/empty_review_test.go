package fromgenes

import (
	"context"
	"testing"
)

// TestExpressionZeroVectorIsEmpty: under Expression a cell whose weighted
// mean is the zero vector (it expresses only a gene whose vector Centre
// left zero, or genes whose centred vectors cancel) has no direction: it
// must be Empty, or the cosine index refuses it and the whole build fails.
func TestExpressionZeroVectorIsEmpty(t *testing.T) {
	c := Centre([]float32{0, 0, 1, 0, 0, 1}, 2) // gene 0 zero; genes 1, 2 centred to opposite vectors
	E := [][]float32{c[0:2], c[2:4], c[4:6]}
	X := dense([][]float32{
		{1, 0, 0}, // only the zero-vector gene
		{0, 2, 2}, // two opposite vectors, equal weights
		{0, 1, 0}, // a real vector
	})
	res, err := Embed(context.Background(), X, E, 2, Expression, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, true, false} {
		v := res.Vecs[i*2 : i*2+2]
		zero := v[0] == 0 && v[1] == 0
		if res.Empty[i] != want || zero != want {
			t.Errorf("cell %d: vector %v, Empty %v, want Empty %v", i, v, res.Empty[i], want)
		}
	}
}
