package gnn

import (
	"fmt"
	"math"
	"math/rand"
	"sort"

	"genestore/internal/sparse"
	"genestore/train/prep"
)

// DatasetInput is one dataset as the gene model sees it.
type DatasetInput struct {
	// Name identifies the dataset; unique within a model.
	Name string
	// Genes gives the global gene id of each column of X (unique).
	Genes []uint32
	// X is the normalised expression (cells × genes, e.g. from
	// prep.Normalize) restricted to the selected genes.
	X *sparse.CSR
	// Edges is the co-expression graph over X's columns (prep.Coexpression).
	// Only positively weighted edges enter the model; negative ones are
	// ignored (they stay facts in the store).
	Edges []prep.Edge
}

func (in *DatasetInput) validate() error {
	if in.Name == "" {
		return fmt.Errorf("%w: empty dataset name", ErrInput)
	}
	if in.X == nil {
		return fmt.Errorf("%w: dataset %q: nil matrix", ErrInput, in.Name)
	}
	if err := in.X.Validate(); err != nil {
		return fmt.Errorf("%w: dataset %q: %w", ErrInput, in.Name, err)
	}
	if in.X.Rows < 2 || in.X.Cols < 2 {
		return fmt.Errorf("%w: dataset %q: %d×%d matrix is too small", ErrInput, in.Name, in.X.Rows, in.X.Cols)
	}
	if len(in.Genes) != in.X.Cols {
		return fmt.Errorf("%w: dataset %q: %d gene ids for %d columns", ErrInput, in.Name, len(in.Genes), in.X.Cols)
	}
	seen := make(map[uint32]bool, len(in.Genes))
	for _, g := range in.Genes {
		if seen[g] {
			return fmt.Errorf("%w: dataset %q: gene id %d repeats", ErrInput, in.Name, g)
		}
		seen[g] = true
	}
	n := int32(in.X.Cols)
	for _, e := range in.Edges {
		if e.A < 0 || e.B < 0 || e.A >= n || e.B >= n || e.A == e.B {
			return fmt.Errorf("%w: dataset %q: edge (%d, %d) out of range", ErrInput, in.Name, e.A, e.B)
		}
		if w := float64(e.Weight); math.IsNaN(w) || math.IsInf(w, 0) {
			return fmt.Errorf("%w: dataset %q: edge (%d, %d) has weight %v (want finite; the walks draw by cumulative weight)", ErrInput, in.Name, e.A, e.B, w)
		}
	}
	return nil
}

// profiles returns the genes × p feature matrix of X: each gene's values
// over the cells (p = cells), or summed over p metacells when X has more
// than maxProfile cells (cells are dealt into metacells by a seeded
// permutation). Each gene's profile is then centred and scaled to unit
// variance; a constant profile stays zero.
func profiles(X *sparse.CSR, maxProfile int, rng *rand.Rand) ([]float32, int) {
	p := X.Rows
	meta := make([]int, X.Rows)
	if X.Rows > maxProfile {
		p = maxProfile
		for rank, c := range rng.Perm(X.Rows) {
			meta[c] = rank % p
		}
	} else {
		for c := range meta {
			meta[c] = c
		}
	}
	G := X.Cols
	acc := make([]float64, G*p)
	for c := 0; c < X.Rows; c++ {
		idx, val := X.Row(c)
		m := meta[c]
		for k, g := range idx {
			acc[int(g)*p+m] += float64(val[k])
		}
	}
	F := make([]float32, G*p)
	for g := 0; g < G; g++ {
		row := acc[g*p : (g+1)*p]
		s := 0.0
		for _, v := range row {
			s += v
		}
		mean := s / float64(p)
		ss := 0.0
		for _, v := range row {
			ss += (v - mean) * (v - mean)
		}
		if ss <= 1e-24 {
			continue
		}
		inv := 1 / math.Sqrt(ss/float64(p))
		for i, v := range row {
			F[g*p+i] = float32((v - mean) * inv)
		}
	}
	return F, p
}

// positiveEdges returns the positively weighted edges as local pairs (a < b),
// deduplicated, in (a, b) order, and each one's weight (the larger, where a
// pair repeats).
func positiveEdges(edges []prep.Edge) ([][2]int32, []float32) {
	type wedge struct {
		e [2]int32
		w float32
	}
	all := make([]wedge, 0, len(edges))
	for _, e := range edges {
		if e.Weight > 0 {
			a, b := e.A, e.B
			if a > b {
				a, b = b, a
			}
			all = append(all, wedge{[2]int32{a, b}, e.Weight})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].e[0] != all[j].e[0] {
			return all[i].e[0] < all[j].e[0]
		}
		if all[i].e[1] != all[j].e[1] {
			return all[i].e[1] < all[j].e[1]
		}
		return all[i].w > all[j].w
	})
	out := make([][2]int32, 0, len(all))
	w := make([]float32, 0, len(all))
	for i, e := range all {
		if i == 0 || e.e != all[i-1].e {
			out = append(out, e.e)
			w = append(w, e.w)
		}
	}
	return out, w
}

// normalizedAdjacency returns D^-1/2 (A + I) D^-1/2 for the undirected edges
// over n nodes (the GCN operator; symmetric).
func normalizedAdjacency(n int, edges [][2]int32) *adjacency {
	deg := make([]int32, n)
	for _, e := range edges {
		deg[e[0]]++
		deg[e[1]]++
	}
	a := &adjacency{n: n, indptr: make([]int32, n+1)}
	for i := 0; i < n; i++ {
		a.indptr[i+1] = a.indptr[i] + deg[i] + 1
	}
	a.idx = make([]int32, a.indptr[n])
	a.val = make([]float32, a.indptr[n])
	nbr := make([][]int32, n)
	for _, e := range edges {
		nbr[e[0]] = append(nbr[e[0]], e[1])
		nbr[e[1]] = append(nbr[e[1]], e[0])
	}
	for i := 0; i < n; i++ {
		l := append(nbr[i], int32(i))
		sort.Slice(l, func(x, y int) bool { return l[x] < l[y] })
		k := a.indptr[i]
		di := float64(deg[i] + 1)
		for _, j := range l {
			a.idx[k] = j
			a.val[k] = float32(1 / math.Sqrt(di*float64(deg[j]+1)))
			k++
		}
	}
	return a
}

// globalNeighbours returns, per local gene, the sorted global ids of its
// neighbours.
func globalNeighbours(genes []uint32, edges [][2]int32) [][]uint32 {
	nb := make([][]uint32, len(genes))
	for _, e := range edges {
		nb[e[0]] = append(nb[e[0]], genes[e[1]])
		nb[e[1]] = append(nb[e[1]], genes[e[0]])
	}
	for _, l := range nb {
		sort.Slice(l, func(x, y int) bool { return l[x] < l[y] })
	}
	return nb
}
