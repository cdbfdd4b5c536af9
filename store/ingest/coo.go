package ingest

import (
	"sort"

	"genestore/internal/sparse"
)

// coo collects (row, col, value) triplets and turns them into a CSR. Rows
// are cells. Triplets usually arrive grouped by row (10x files are sorted by
// cell); then the CSR is built without a sort.
type coo struct {
	rows, cols int
	r, c       []int32
	v          []float32
	grouped    bool // rows never decreased so far
	last       int32
}

func newCOO(rows, cols int, capHint int64) *coo {
	const maxHint = 1 << 22 // never trust a declared size for more than this up front
	if capHint > maxHint {
		capHint = maxHint
	}
	if capHint < 0 {
		capHint = 0
	}
	return &coo{rows: rows, cols: cols, grouped: true,
		r: make([]int32, 0, capHint), c: make([]int32, 0, capHint), v: make([]float32, 0, capHint)}
}

func (m *coo) add(r, c int32, v float32) {
	if r < m.last {
		m.grouped = false
	}
	m.last = r
	m.r = append(m.r, r)
	m.c = append(m.c, c)
	m.v = append(m.v, v)
}

// dupEntry names a coordinate that occurs more than once.
type dupEntry struct {
	row, col int32
}

// toCSR builds the CSR. Columns within a row end up strictly increasing; a
// repeated (row, col) is returned as dup (and the CSR is nil).
func (m *coo) toCSR() (*sparse.CSR, *dupEntry) {
	out := &sparse.CSR{Rows: m.rows, Cols: m.cols, Indptr: make([]int64, m.rows+1)}
	for _, r := range m.r {
		out.Indptr[r+1]++
	}
	for i := 0; i < m.rows; i++ {
		out.Indptr[i+1] += out.Indptr[i]
	}
	if m.grouped {
		out.Indices, out.Data = m.c, m.v
	} else {
		out.Indices = make([]int32, len(m.c))
		out.Data = make([]float32, len(m.v))
		next := make([]int64, m.rows)
		copy(next, out.Indptr[:m.rows])
		for k, r := range m.r {
			p := next[r]
			out.Indices[p] = m.c[k]
			out.Data[p] = m.v[k]
			next[r]++
		}
	}
	m.r, m.c, m.v = nil, nil, nil
	if d := sortRows(out); d != nil {
		return nil, d
	}
	return out, nil
}

// sortRows makes the column indices of every row strictly increasing,
// sorting rows that are out of order, and reports the first repeated column.
func sortRows(m *sparse.CSR) *dupEntry {
	for r := 0; r < m.Rows; r++ {
		lo, hi := m.Indptr[r], m.Indptr[r+1]
		idx, val := m.Indices[lo:hi], m.Data[lo:hi]
		sorted := true
		for k := 1; k < len(idx); k++ {
			if idx[k] <= idx[k-1] {
				sorted = false
				break
			}
		}
		if sorted {
			continue
		}
		sort.Sort(rowSorter{idx, val})
		for k := 1; k < len(idx); k++ {
			if idx[k] == idx[k-1] {
				return &dupEntry{row: int32(r), col: idx[k]}
			}
		}
	}
	return nil
}

type rowSorter struct {
	idx []int32
	val []float32
}

func (s rowSorter) Len() int           { return len(s.idx) }
func (s rowSorter) Less(i, j int) bool { return s.idx[i] < s.idx[j] }
func (s rowSorter) Swap(i, j int) {
	s.idx[i], s.idx[j] = s.idx[j], s.idx[i]
	s.val[i], s.val[j] = s.val[j], s.val[i]
}
