package eval

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"genestore/query/cluster"
)

// Metric is the distance used by the silhouette and kNN metrics; it is
// cluster.Metric (cluster.Euclidean, cluster.Cosine).
type Metric = cluster.Metric

// checkVecs validates a row-major n×dim block.
func checkVecs(vecs []float32, n, dim int) error {
	if n < 0 || dim <= 0 || len(vecs) != n*dim {
		return fmt.Errorf("%w: %d values for %d×%d vectors", ErrInvalidInput, len(vecs), n, dim)
	}
	for i, v := range vecs {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%w: non-finite value in vector %d", ErrInvalidInput, i/dim)
		}
	}
	return nil
}

// prepare returns the vectors to take dot products of and the squared norms:
// unit rows for cosine, the vectors themselves for Euclidean.
func prepare(vecs []float32, n, dim int, m Metric) ([]float32, []float32) {
	norms := make([]float32, n)
	x := vecs
	if m == cluster.Cosine {
		x = make([]float32, len(vecs))
		copy(x, vecs)
	}
	for i := 0; i < n; i++ {
		row := x[i*dim : (i+1)*dim]
		var s float64
		for _, v := range row {
			s += float64(v) * float64(v)
		}
		if m == cluster.Cosine {
			if s > 0 {
				inv := float32(1 / math.Sqrt(s))
				for j := range row {
					row[j] *= inv
				}
			}
		} else {
			norms[i] = float32(s)
		}
	}
	return x, norms
}

const (
	qBlock = 64
	bBlock = 2048
)

// crossDistances calls visit(worker, i, j0, d) for each query row i and each
// block of base rows starting at j0, d holding the distances from query i
// to base rows j0.. (cosine distance 1 − cos or Euclidean). Query blocks
// are spread over GOMAXPROCS goroutines; visit must only touch state owned
// by query i or by the worker.
// base nil means base = q.
func crossDistances(q []float32, nq int, base []float32, nb, dim int, m Metric, workers int, visit func(worker, i, j0 int, d []float32)) {
	xq, nqn := prepare(q, nq, dim, m)
	xb, nbn := xq, nqn
	if base != nil {
		xb, nbn = prepare(base, nb, dim, m)
	} else {
		nb = nq
	}
	blocks := (nq + qBlock - 1) / qBlock
	next := make(chan int, blocks)
	for b := 0; b < blocks; b++ {
		next <- b
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			scratch := make([]float32, qBlock*bBlock)
			for b := range next {
				q0 := b * qBlock
				q1 := min(q0+qBlock, nq)
				for b0 := 0; b0 < nb; b0 += bBlock {
					b1 := min(b0+bBlock, nb)
					cols := b1 - b0
					c := blas32.General{Rows: q1 - q0, Cols: cols, Stride: cols, Data: scratch[:(q1-q0)*cols]}
					blas32.Gemm(blas.NoTrans, blas.Trans, 1,
						blas32.General{Rows: q1 - q0, Cols: dim, Stride: dim, Data: xq[q0*dim : q1*dim]},
						blas32.General{Rows: cols, Cols: dim, Stride: dim, Data: xb[b0*dim : b1*dim]},
						0, c)
					for i := q0; i < q1; i++ {
						row := c.Data[(i-q0)*cols : (i-q0+1)*cols]
						for j, dot := range row {
							if m == cluster.Cosine {
								row[j] = 1 - dot
							} else {
								row[j] = float32(math.Sqrt(float64(max(0, nqn[i]+nbn[b0+j]-2*dot))))
							}
						}
						visit(w, i, b0, row)
					}
				}
			}
		}(w)
	}
	wg.Wait()
}

func numWorkers(n int) int {
	return max(1, min(runtime.GOMAXPROCS(0), (n+qBlock-1)/qBlock))
}
