package expr

import "fmt"

// Dataset is one dense expression matrix: samples (cells) × genes of
// log-normalised values, float32, row-major.
type Dataset struct {
	// Name identifies the dataset (batch); it only appears in errors and
	// in group keys.
	Name string
	// Genes are the column symbols (len = columns). A symbol that occurs
	// twice is read from its first column.
	Genes []string
	// X holds rows × len(Genes) values, row-major.
	X []float32
	// Groups optionally gives each row a group id (donor, batch, time
	// point); validation then holds out whole groups. nil or empty means
	// no groups.
	Groups []string
}

// Rows is the number of samples (0 when Genes is empty).
func (d *Dataset) Rows() int {
	if len(d.Genes) == 0 {
		return 0
	}
	return len(d.X) / len(d.Genes)
}

func (d *Dataset) check() error {
	if len(d.Genes) == 0 {
		return fmt.Errorf("%w: dataset %q has no genes", ErrInput, d.Name)
	}
	if len(d.X)%len(d.Genes) != 0 {
		return fmt.Errorf("%w: dataset %q: %d values is not a multiple of %d genes", ErrInput, d.Name, len(d.X), len(d.Genes))
	}
	if len(d.Groups) != 0 && len(d.Groups) != d.Rows() {
		return fmt.Errorf("%w: dataset %q: %d groups for %d rows", ErrInput, d.Name, len(d.Groups), d.Rows())
	}
	for i, v := range d.X {
		if v != v || v > 3e38 || v < -3e38 {
			return fmt.Errorf("%w: dataset %q: value %v at row %d, gene %q", ErrInput, d.Name, v, i/len(d.Genes), d.Genes[i%len(d.Genes)])
		}
	}
	return nil
}

// index maps each symbol to its first column.
func (d *Dataset) index() map[string]int {
	m := make(map[string]int, len(d.Genes))
	for j, g := range d.Genes {
		if _, ok := m[g]; !ok {
			m[g] = j
		}
	}
	return m
}

// columns gathers the named genes' columns (−1 where absent).
func (d *Dataset) columns(names []string) []int {
	idx := d.index()
	cols := make([]int, len(names))
	for i, n := range names {
		c, ok := idx[n]
		if !ok {
			c = -1
		}
		cols[i] = c
	}
	return cols
}

// gather copies rows [lo, hi) of the given columns into dst (rows ×
// len(cols)), writing fill where a column is −1.
func (d *Dataset) gather(dst []float32, cols []int, lo, hi int, fill []float32) {
	G, n := len(d.Genes), len(cols)
	for r := lo; r < hi; r++ {
		src, out := d.X[r*G:(r+1)*G], dst[(r-lo)*n:(r-lo+1)*n]
		for j, c := range cols {
			if c >= 0 {
				out[j] = src[c]
			} else if fill != nil {
				out[j] = fill[j]
			} else {
				out[j] = 0
			}
		}
	}
}

// colMeans returns the mean of each column (0 for −1 columns).
func (d *Dataset) colMeans(cols []int) []float64 {
	G, n := len(d.Genes), d.Rows()
	m := make([]float64, len(cols))
	if n == 0 {
		return m
	}
	for r := range n {
		row := d.X[r*G : (r+1)*G]
		for j, c := range cols {
			if c >= 0 {
				m[j] += float64(row[c])
			}
		}
	}
	for j := range m {
		m[j] /= float64(n)
	}
	return m
}
