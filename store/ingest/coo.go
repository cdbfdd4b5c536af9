package ingest

import (
	"sort"

	"genestore/internal/sparse"
)

// cooBlock holds a fixed number of triplets. Growing by blocks instead of
// by append keeps allocation proportional to the entries actually read and
// avoids copying everything each time a slice doubles.
const cooBlock = 1 << 16

type cooChunk struct {
	r, c [cooBlock]int32
	v    [cooBlock]float32
}

// coo collects (row, col, value) triplets and turns them into a CSR. Rows
// are cells. Triplets usually arrive grouped by row (10x files are sorted by
// cell); the CSR is then filled in one pass without a sort.
type coo struct {
	rows, cols int
	chunks     []*cooChunk
	n          int // triplets stored
	grouped    bool
	last       int32
}

func newCOO(rows, cols int) *coo {
	return &coo{rows: rows, cols: cols, grouped: true}
}

func (m *coo) add(r, c int32, v float32) {
	if r < m.last {
		m.grouped = false
	}
	m.last = r
	k := m.n & (cooBlock - 1)
	if k == 0 {
		m.chunks = append(m.chunks, new(cooChunk))
	}
	ch := m.chunks[len(m.chunks)-1]
	ch.r[k], ch.c[k], ch.v[k] = r, c, v
	m.n++
}

// each calls fn for every triplet in insertion order.
func (m *coo) each(fn func(r, c int32, v float32)) {
	left := m.n
	for _, ch := range m.chunks {
		n := min(left, cooBlock)
		for k := 0; k < n; k++ {
			fn(ch.r[k], ch.c[k], ch.v[k])
		}
		left -= n
	}
}

// dupEntry names a coordinate that occurs more than once.
type dupEntry struct {
	row, col int32
}

// toCSR builds the CSR. Columns within a row end up strictly increasing; a
// repeated (row, col) is returned as dup (and the CSR is nil).
func (m *coo) toCSR() (*sparse.CSR, *dupEntry) {
	out := &sparse.CSR{Rows: m.rows, Cols: m.cols, Indptr: make([]int64, m.rows+1),
		Indices: make([]int32, m.n), Data: make([]float32, m.n)}
	m.each(func(r, _ int32, _ float32) { out.Indptr[r+1]++ })
	for i := 0; i < m.rows; i++ {
		out.Indptr[i+1] += out.Indptr[i]
	}
	if m.grouped {
		p := 0
		left := m.n
		for _, ch := range m.chunks {
			n := min(left, cooBlock)
			copy(out.Indices[p:], ch.c[:n])
			copy(out.Data[p:], ch.v[:n])
			p += n
			left -= n
		}
	} else {
		next := make([]int64, m.rows)
		copy(next, out.Indptr[:m.rows])
		m.each(func(r, c int32, v float32) {
			p := next[r]
			out.Indices[p] = c
			out.Data[p] = v
			next[r]++
		})
	}
	m.chunks = nil
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
