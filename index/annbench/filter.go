package annbench

import (
	"context"
	"math"
	"sync"

	"genestore/index"
)

// Filtered queries admit a fixed pseudo-random subset of the rows: row i is
// admitted when splitmix64(i) < selectivity·2^64, so the subset is spread
// over every cluster and the same in every run.

// admitted returns the admitted rows of n for selectivity sel.
func admitted(n int, sel float64) []bool {
	limit := uint64(math.Min(sel, 1) * (1 << 64))
	if sel >= 1 {
		limit = math.MaxUint64
	}
	out := make([]bool, n)
	for i := range out {
		out[i] = splitmix64(uint64(i)) < limit
	}
	return out
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// filteredTruth returns, per query, the k admitted rows of highest cosine
// similarity (exact, by scan; two goroutines), nq × k ids.
func filteredTruth(d *dataset, allowed []bool, k int) []int32 {
	dim := d.dim
	inv := make([]float32, d.n)
	for i := range d.n {
		v := d.base[i*dim : (i+1)*dim]
		if nn := index.Dot(v, v); nn > 0 {
			inv[i] = float32(1 / math.Sqrt(float64(nn)))
		}
	}
	out := make([]int32, d.nq*k)
	var wg sync.WaitGroup
	const workers = 2
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			type hit struct {
				s  float32
				id int32
			}
			for qi := w; qi < d.nq; qi += workers {
				q := d.query[qi*dim : (qi+1)*dim]
				best := make([]hit, 0, k+1)
				for i := range d.n {
					if !allowed[i] {
						continue
					}
					s := index.Dot(q, d.base[i*dim:(i+1)*dim]) * inv[i]
					if len(best) == k && s <= best[k-1].s {
						continue
					}
					j := len(best)
					best = append(best, hit{s, int32(i)})
					for j > 0 && best[j-1].s < s {
						best[j] = best[j-1]
						j--
					}
					best[j] = hit{s, int32(i)}
					if len(best) > k {
						best = best[:k]
					}
				}
				for j, h := range best {
					out[qi*k+j] = h.id
				}
				for j := len(best); j < k; j++ {
					out[qi*k+j] = -1
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// filterSearcher is a system that can search with a key filter.
type filterSearcher interface {
	searchFiltered(ctx context.Context, q []float32, k, ef int, filter func(uint64) bool, out []uint64) ([]uint64, error)
}

func (s *genestoreSystem) searchFiltered(ctx context.Context, q []float32, k, ef int, filter func(uint64) bool, out []uint64) ([]uint64, error) {
	return s.searchWith(ctx, q, k, index.SearchOptions{Ef: ef, Filter: filter}, out)
}
