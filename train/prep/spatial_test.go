package prep

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"genestore/internal/sparse"
)

// grid returns the coordinates of a w × h lattice, row by row.
func grid(w, h int) [][2]float64 {
	var c [][2]float64
	for y := range h {
		for x := range w {
			c = append(c, [2]float64{float64(x), float64(y)})
		}
	}
	return c
}

func denseCSR(rows [][]float32) *sparse.CSR {
	m := &sparse.CSR{Rows: len(rows), Cols: len(rows[0]), Indptr: []int64{0}}
	for _, r := range rows {
		for c, v := range r {
			if v != 0 {
				m.Indices = append(m.Indices, int32(c))
				m.Data = append(m.Data, v)
			}
		}
		m.Indptr = append(m.Indptr, int64(len(m.Data)))
	}
	return m
}

// naiveMoran is the textbook formula with a dense weight matrix.
func naiveMoran(col []float64, nbrs [][]int32) float64 {
	n := len(col)
	w := make([][]float64, n)
	s0 := 0.0
	for i := range w {
		w[i] = make([]float64, n)
		for _, j := range nbrs[i] {
			w[i][j] = 1 / float64(len(nbrs[i]))
			s0 += w[i][j]
		}
	}
	mean := 0.0
	for _, v := range col {
		mean += v
	}
	mean /= float64(n)
	num, den := 0.0, 0.0
	for i := range n {
		den += (col[i] - mean) * (col[i] - mean)
		for j := range n {
			num += w[i][j] * (col[i] - mean) * (col[j] - mean)
		}
	}
	return float64(n) / s0 * num / den
}

func TestSpatialKNNGrid(t *testing.T) {
	nb, err := SpatialKNN(context.Background(), grid(5, 5), 4)
	if err != nil {
		t.Fatal(err)
	}
	// The centre spot (2,2) = row 12: its rook neighbours 7, 11, 13, 17.
	want := map[int32]bool{7: true, 11: true, 13: true, 17: true}
	for _, j := range nb[12] {
		if !want[j] {
			t.Fatalf("neighbours of the centre %v, want the four rook neighbours", nb[12])
		}
	}
	if len(nb[0]) != 4 || nb[0][0] != 1 || nb[0][1] != 5 {
		t.Errorf("corner neighbours %v", nb[0])
	}
}

func TestMoransI(t *testing.T) {
	ctx := context.Background()
	const w, h = 12, 12
	coords := grid(w, h)
	nb, err := SpatialKNN(ctx, coords, 4)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([][]float32, w*h)
	for i, c := range coords {
		checker := float32(int(c[0]+c[1]) % 2)
		rows[i] = []float32{float32(c[0]) + 1, checker + 1, float32(rng.NormFloat64()) + 5, 3}
	}
	x := denseCSR(rows)
	got, err := MoransI(ctx, x, nb)
	if err != nil {
		t.Fatal(err)
	}
	for g := range 3 {
		col := make([]float64, len(rows))
		for i := range rows {
			col[i] = float64(rows[i][g])
		}
		if want := naiveMoran(col, nb); math.Abs(got[g].I-want) > 1e-9 {
			t.Errorf("gene %d: I = %v, textbook formula %v", g, got[g].I, want)
		}
	}
	if got[0].I < 0.8 || got[0].PNorm > 1e-10 {
		t.Errorf("gradient: %+v, want I > 0.8 and a tiny p", got[0])
	}
	if got[1].I > -0.8 || got[1].PNorm < 0.99 {
		t.Errorf("checkerboard: %+v, want I below -0.8 and p near 1", got[1])
	}
	if math.Abs(got[2].Z) > 3 {
		t.Errorf("noise: %+v, want |z| < 3", got[2])
	}
	if got[3] != (Moran{PNorm: 1}) {
		t.Errorf("constant gene: %+v", got[3])
	}

	// The normal approximation's variance matches the permutation
	// distribution of I for a noise gene.
	col := make([]float64, len(rows))
	for i := range rows {
		col[i] = rng.ExpFloat64()
	}
	s0, s1, s2 := weightSums(nb)
	var sum, sq float64
	const perms = 2000
	for range perms {
		rng.Shuffle(len(col), func(i, j int) { col[i], col[j] = col[j], col[i] })
		I := moranOf(col, nb, s0, s1, s2).I
		sum += I
		sq += I * I
	}
	mean, sd := sum/perms, math.Sqrt(sq/perms-(sum/perms)*(sum/perms))
	n := float64(len(col))
	e := -1 / (n - 1)
	normSD := math.Sqrt((n*n*s1-n*s2+3*s0*s0)/((n*n-1)*s0*s0) - e*e)
	if math.Abs(mean-e) > 0.01 || math.Abs(sd/normSD-1) > 0.15 {
		t.Errorf("permutation mean %.4f sd %.4f; normal approximation %.4f, %.4f", mean, sd, e, normSD)
	}
	grad := make([]float64, len(rows))
	for i := range rows {
		grad[i] = float64(rows[i][0])
	}
	if p := MoranPermutation(grad, nb, 99, rng); p != 0.01 {
		t.Errorf("gradient permutation p = %v, want 1/100", p)
	}
}

func TestSmoothSpatial(t *testing.T) {
	x := denseCSR([][]float32{{4, 0}, {0, 2}, {2, 2}})
	nb := [][]int32{{1, 2}, {0}, {0}}
	got, err := SmoothSpatial(x, nb, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float32{{2 + 0.25*(0+2), 0.25 * (2 + 2)}, {0.5 * 4, 1}, {1 + 2, 1}}
	for i := range want {
		idx, val := got.Row(i)
		row := make([]float32, 2)
		for t, c := range idx {
			row[c] = val[t]
		}
		for c := range row {
			if math.Abs(float64(row[c]-want[i][c])) > 1e-6 {
				t.Errorf("row %d = %v, want %v", i, row, want[i])
				break
			}
		}
	}
	if _, err := SmoothSpatial(x, nb[:2], 0.5); err == nil {
		t.Error("wrong neighbour count accepted")
	}
}

// TestWeightSumsAsymmetric: S0, S1 and S2 of a kNN graph with one-way
// pairs equal the dense definitions (S1 = ½ Σ_ij (w_ij + w_ji)²); a one-way
// pair once counted half, understating the variance of Moran's I.
func TestWeightSumsAsymmetric(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	coords := make([][2]float64, 40)
	for i := range coords {
		coords[i] = [2]float64{rng.Float64() * 10, rng.Float64() * 10}
	}
	nb, err := SpatialKNN(context.Background(), coords, 2)
	if err != nil {
		t.Fatal(err)
	}
	n := len(nb)
	w := make([][]float64, n)
	for i := range w {
		w[i] = make([]float64, n)
		for _, j := range nb[i] {
			w[i][j] += 1 / float64(len(nb[i]))
		}
	}
	var s0, s1, s2 float64
	oneWay := 0
	for i := range n {
		var rs, cs float64
		for j := range n {
			s0 += w[i][j]
			s1 += (w[i][j] + w[j][i]) * (w[i][j] + w[j][i]) / 2
			rs += w[i][j]
			cs += w[j][i]
			if w[i][j] > 0 && w[j][i] == 0 {
				oneWay++
			}
		}
		s2 += (rs + cs) * (rs + cs)
	}
	if oneWay == 0 {
		t.Fatal("the test graph has no one-way pair")
	}
	g0, g1, g2 := weightSums(nb)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"S0", g0, s0}, {"S1", g1, s1}, {"S2", g2, s2}} {
		if math.Abs(c.got-c.want) > 1e-9*math.Max(1, c.want) {
			t.Errorf("%s %v, dense %v (%d one-way pairs)", c.name, c.got, c.want, oneWay)
		}
	}
}
