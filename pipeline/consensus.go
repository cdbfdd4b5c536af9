package pipeline

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"genestore/internal/sparse"
	"genestore/train/baseline"
)

// Consensus baselines: one vector per gene over all datasets jointly, the
// counterpart of the gene model's consensus vectors, so that the joint
// representations are compared like for like. Both are built from the same
// preprocessed inputs as the per-dataset baselines (GeneInput: QC, HVG,
// normalised expression) and cover the same genes as the model's consensus:
// the union, by global gene id, of every dataset's selected genes.

// maxFisherR bounds |r| before the Fisher z transform, so that the diagonal
// (r = 1) stays finite: atanh(0.999) ≈ 3.80.
const maxFisherR = 0.999

// unionGenes returns the sorted union of the datasets' gene ids and, per
// dataset, the union position of each of its columns.
func unionGenes(ins []GeneInput) (ids []uint32, cols [][]int) {
	seen := map[uint32]bool{}
	for _, in := range ins {
		for _, g := range in.Input.Genes {
			if !seen[g] {
				seen[g] = true
				ids = append(ids, g)
			}
		}
	}
	slices.Sort(ids)
	pos := make(map[uint32]int, len(ids))
	for i, g := range ids {
		pos[g] = i
	}
	cols = make([][]int, len(ins))
	for d, in := range ins {
		cols[d] = make([]int, len(in.Input.Genes))
		for j, g := range in.Input.Genes {
			cols[d][j] = pos[g]
		}
	}
	return ids, cols
}

// pearsonConsensus returns, per gene of the union, the mean over the datasets
// that have it of its Fisher-z-transformed correlation row, over the union
// of genes: entry (g, h) is the mean of atanh(r_d(g, h)) over the datasets d
// holding both g and h, and 0 where none does. rows[d] is dataset d's
// correlation matrix (prep.PearsonRows, its genes in ins[d]'s column order).
// |r| is clipped to maxFisherR first; non-finite correlations are skipped.
// The result is len(ids) × len(ids), row-major.
func pearsonConsensus(ctx context.Context, ins []GeneInput, rows [][]float32) (ids []uint32, vecs []float32, err error) {
	ids, cols := unionGenes(ins)
	U := len(ids)
	// at[d][u]: dataset d's column of union gene u, or -1.
	at := make([][]int32, len(ins))
	for d := range ins {
		at[d] = make([]int32, U)
		for u := range at[d] {
			at[d][u] = -1
		}
		for j, u := range cols[d] {
			if at[d][u] < 0 { // a gene id twice in one dataset: keep the first
				at[d][u] = int32(j)
			}
		}
	}
	z := func(r float32) float64 {
		return math.Atanh(math.Max(-maxFisherR, math.Min(maxFisherR, float64(r))))
	}
	vecs = make([]float32, U*U)
	var have []int // datasets holding the current row's gene
	for u := range U {
		if u%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		have = have[:0]
		for d := range ins {
			if at[d][u] >= 0 {
				have = append(have, d)
			}
		}
		out := vecs[u*U : (u+1)*U]
		for v := range U {
			var sum float64
			var n int
			for _, d := range have {
				j := at[d][v]
				if j < 0 {
					continue
				}
				G := len(cols[d])
				r := rows[d][int(at[d][u])*G+int(j)]
				if math.IsNaN(float64(r)) || math.IsInf(float64(r), 0) {
					continue
				}
				sum += z(r)
				n++
			}
			if n > 0 {
				out[v] = float32(sum / float64(n))
			}
		}
	}
	return ids, vecs, nil
}

// stackStandardised stacks the cells of every dataset into one cells × union
// matrix: each dataset's genes are centred and scaled to unit variance over
// that dataset's cells (a gene constant in a dataset is left out of it), and
// a gene a dataset lacks is 0 in its cells — the dataset's mean, after
// centring. Above maxCells cells in all, each dataset contributes a seeded
// uniform sample of its cells in proportion to its size. The result is
// dense in the genes each dataset has.
func stackStandardised(ins []GeneInput, maxCells int, seed uint64) (*sparse.CSR, []uint32) {
	ids, cols := unionGenes(ins)
	total := 0
	for _, in := range ins {
		total += in.Input.X.Rows
	}
	rng := rand.New(rand.NewPCG(seed, 0x2545f4914f6cdd1d))
	out := &sparse.CSR{Cols: len(ids), Indptr: []int64{0}}
	for d, in := range ins {
		X := in.Input.X
		pick := make([]int, X.Rows)
		for i := range pick {
			pick[i] = i
		}
		if total > maxCells {
			take := max(1, int(math.Round(float64(maxCells)*float64(X.Rows)/float64(total))))
			if take < X.Rows {
				rng.Shuffle(len(pick), func(i, j int) { pick[i], pick[j] = pick[j], pick[i] })
				pick = pick[:take]
				sort.Ints(pick)
			}
		}
		G := X.Cols
		n := float64(len(pick))
		mean := make([]float64, G)
		sq := make([]float64, G)
		for _, r := range pick {
			idx, val := X.Row(r)
			for k, c := range idx {
				v := float64(val[k])
				mean[c] += v
				sq[c] += v * v
			}
		}
		inv := make([]float64, G) // 1/sd; 0 leaves the gene out
		for c := range G {
			mean[c] /= n
			ss := sq[c] - n*mean[c]*mean[c]
			if n > 1 && ss > 1e-12*max(1, sq[c]) {
				inv[c] = 1 / math.Sqrt(ss/(n-1))
			}
		}
		// Columns in union order, so that each output row's indices increase.
		order := make([]int, 0, G)
		for c := range G {
			if inv[c] != 0 {
				order = append(order, c)
			}
		}
		sort.Slice(order, func(a, b int) bool { return cols[d][order[a]] < cols[d][order[b]] })
		dense := make([]float64, G)
		for _, r := range pick {
			clear(dense)
			idx, val := X.Row(r)
			for k, c := range idx {
				dense[c] = float64(val[k])
			}
			for _, c := range order {
				out.Indices = append(out.Indices, int32(cols[d][c]))
				out.Data = append(out.Data, float32((dense[c]-mean[c])*inv[c]))
			}
			out.Indptr = append(out.Indptr, int64(len(out.Data)))
			out.Rows++
		}
	}
	return out, ids
}

// pcaConsensus returns PCA gene loadings (scaled by the square root of each
// component's variance, as the per-dataset baseline) of the stacked,
// per-dataset standardised cells of every dataset (stackStandardised), with
// at most dim components. Rows follow ids (the sorted union).
func pcaConsensus(ctx context.Context, ins []GeneInput, dim, maxCells int, seed uint64) (ids []uint32, k int, vecs []float32, err error) {
	X, ids := stackStandardised(ins, maxCells, seed)
	k, vecs, err = pcaLoadings(ctx, X, dim, seed+1)
	return ids, k, vecs, err
}

// pcaLoadings is the PCA gene baseline of X: the scaled gene loadings
// (baseline.PCAResult.ScaledLoadings) of min(dim, genes−1, cells−1)
// components, and that number.
func pcaLoadings(ctx context.Context, X *sparse.CSR, dim int, seed uint64) (k int, vecs []float32, err error) {
	res, err := baseline.PCA(ctx, X, min(dim, X.Cols-1, X.Rows-1), seed)
	if err != nil {
		return 0, nil, err
	}
	return res.K, res.ScaledLoadings(), nil
}
