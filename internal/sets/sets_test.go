package sets

import "testing"

func TestJaccard(t *testing.T) {
	tests := []struct {
		a, b []int
		want float64
	}{
		{nil, nil, 0},
		{[]int{1}, nil, 0},
		{[]int{1, 2, 3}, []int{1, 2, 3}, 1},
		{[]int{1, 2, 3}, []int{2, 3, 4}, 0.5},
		{[]int{1, 5}, []int{2, 6}, 0},
	}
	for _, tt := range tests {
		if got := Jaccard(tt.a, tt.b); got != tt.want {
			t.Errorf("Jaccard(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	if got := Jaccard([]string{"a", "b"}, []string{"b", "c"}); got != 1.0/3 {
		t.Errorf("strings: %v", got)
	}
}
